package io.flinkvision.jobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link InputLagProbe} against a real (in-process KRaft) broker and a consumer group with committed offsets. */
@Timeout(180)
class InputLagProbeTest {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** Produces {@code n} records to one partition (synchronously: the log-end offset is {@code n} afterwards). */
    private static void produce(String topic, int partition, int n) throws Exception {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(kafka.producerProperties(), new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < n; i++) {
                p.send(new ProducerRecord<>(topic, partition, "k", "v" + i)).get();
            }
        }
    }

    @Test
    void lagIsLogEndMinusCommittedSummedOverPartitions() throws Exception {
        kafka.createTopic("lag-frames", 3);
        produce("lag-frames", 0, 10);
        produce("lag-frames", 1, 20);
        produce("lag-frames", 2, 30);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            // The group committed 4 of partition 0, all of partition 1 and nothing of partition 2.
            admin.alterConsumerGroupOffsets("lag-group", Map.of(
                    new TopicPartition("lag-frames", 0), new OffsetAndMetadata(4),
                    new TopicPartition("lag-frames", 1), new OffsetAndMetadata(20))).all().get();
            try (InputLagProbe probe = new InputLagProbe(kafka.bootstrapServers(), Map.of(), "lag-frames",
                    "lag-group")) {
                assertThat(probe.topic()).isEqualTo("lag-frames");
                assertThat(probe.groupId()).isEqualTo("lag-group");
                assertThat(probe.lagRecords()).isEqualTo((10 - 4) + (20 - 20) + 30);

                produce("lag-frames", 1, 7);
                assertThat(probe.lagRecords()).as("7 more records, nothing more committed").isEqualTo(6 + 7 + 30);

                admin.alterConsumerGroupOffsets("lag-group", Map.of(
                        new TopicPartition("lag-frames", 0), new OffsetAndMetadata(10),
                        new TopicPartition("lag-frames", 1), new OffsetAndMetadata(27),
                        new TopicPartition("lag-frames", 2), new OffsetAndMetadata(25))).all().get();
                assertThat(probe.lagRecords()).isEqualTo(5);
            }
        }
        try (InputLagProbe unknownGroup = new InputLagProbe(kafka.bootstrapServers(), Map.of(), "lag-frames",
                "group-that-never-committed")) {
            assertThat(unknownGroup.lagRecords()).as("every record of the topic").isEqualTo(10 + 27 + 30);
        }
    }

    @Test
    void aMissingTopicIsAnError() {
        try (InputLagProbe probe = new InputLagProbe(kafka.bootstrapServers(), Map.of(), "no-such-topic", "g")) {
            assertThatThrownBy(probe::lagRecords).hasStackTraceContaining("UnknownTopicOrPartition");
        }
    }
}

package io.flinkvision.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real in-process KRaft broker: topics, plain and transactional produce, read_committed consume, cleanup. */
@Timeout(60)
class EmbeddedKafkaTest {
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void bootstrapServersIsLoopbackWithARealPort() {
        assertThat(kafka.bootstrapServers()).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(Integer.parseInt(kafka.bootstrapServers().split(":")[1])).isPositive();
    }

    @Test
    void listensOnLoopbackOnly() throws Exception {
        assumeTrue(ListeningSockets.available(), "needs Linux /proc to list the process's sockets");
        Set<ListeningSockets.Listener> before = ListeningSockets.ofThisProcess();
        try (EmbeddedKafka other = EmbeddedKafka.start()) {
            Set<ListeningSockets.Listener> opened = new LinkedHashSet<>(ListeningSockets.ofThisProcess());
            opened.removeAll(before);
            int brokerPort = Integer.parseInt(other.bootstrapServers().substring(
                    other.bootstrapServers().lastIndexOf(':') + 1));
            // The broker's client listener and the controller's listener, each on 127.0.0.1 only.
            assertThat(opened).extracting(ListeningSockets.Listener::port).contains(brokerPort);
            assertThat(opened).hasSizeGreaterThanOrEqualTo(2);
            assertThat(opened).allSatisfy(l -> assertThat(l.loopback()).as("listener %s", l).isTrue());
        }
    }

    @Test
    void createTopicWaitsForAllPartitionsAndIsIdempotent() throws Exception {
        kafka.createTopic("three-partitions", 3);
        kafka.createTopic("three-partitions", 3);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            var description = admin.describeTopics(List.of("three-partitions")).allTopicNames().get()
                    .get("three-partitions");
            assertThat(description.partitions()).hasSize(3)
                    .allSatisfy(p -> assertThat(p.leader()).isNotNull());
        }
        assertThatThrownBy(() -> kafka.createTopic("bad", 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void producesAndConsumesReadCommitted() throws Exception {
        kafka.createTopic("plain", 1);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(null))) {
            RecordMetadata md = producer.send(new ProducerRecord<>("plain", "cam-0", "hello")).get();
            assertThat(md.offset()).isZero();
        }
        List<ConsumerRecord<String, String>> records = consumeReadCommitted("plain", 1);
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("cam-0");
            assertThat(r.value()).isEqualTo("hello");
        });
    }

    @Test
    void transactionalCommitIsVisibleAndAbortIsNot() throws Exception {
        kafka.createTopic("tx", 1);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps("tx-" + UUID.randomUUID()))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", "k", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", "k", "committed-1"));
            producer.send(new ProducerRecord<>("tx", "k", "committed-2"));
            producer.commitTransaction();
        }
        List<ConsumerRecord<String, String>> records = consumeReadCommitted("tx", 2);
        assertThat(records).extracting(ConsumerRecord::value).containsExactly("committed-1", "committed-2");
    }

    /** Like a broker formatted by Kafka 4: transaction protocol v2, whose commit bumps the producer epoch. */
    @Test
    void transactionsUseProtocolVersion2LikeAKafka4Broker() throws Exception {
        kafka.createTopic("tv2", 1);
        String id = "tv2-" + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
                KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(id))) {
            assertThat(admin.describeFeatures().featureMetadata().get().finalizedFeatures().get("transaction.version"))
                    .as("finalized transaction.version").isNotNull()
                    .satisfies(v -> assertThat(v.maxVersionLevel()).isEqualTo(EmbeddedKafka.TRANSACTION_VERSION));
            producer.initTransactions();
            TransactionDescription initialized = admin.describeTransactions(List.of(id)).description(id).get();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tv2", "k", "v")).get();
            producer.commitTransaction();
            // the coordinator writes the commit markers after answering the commit: wait for CompleteCommit
            TransactionDescription committed = admin.describeTransactions(List.of(id)).description(id).get();
            long deadline = System.currentTimeMillis() + 30_000;
            while (committed.state() == TransactionState.PREPARE_COMMIT && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
                committed = admin.describeTransactions(List.of(id)).description(id).get();
            }
            assertThat(committed.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
            assertThat(committed.producerId()).isEqualTo(initialized.producerId());
            assertThat(committed.producerEpoch()).as("epoch after the commit (v2 bumps it)")
                    .isEqualTo((short) (initialized.producerEpoch() + 1));
        }
    }

    @Test
    void closeDeletesTheDataFolderAndIsIdempotent() throws Exception {
        EmbeddedKafka second = EmbeddedKafka.start(Map.of("log.retention.ms", "60000"));
        String bootstrap = second.bootstrapServers();
        assertThat(bootstrap).isNotEqualTo(kafka.bootstrapServers());
        Path data = second.dataDirectory();
        assertThat(data).isDirectory();
        second.close();
        second.close();
        assertThat(data).doesNotExist();
        assertThatThrownBy(() -> second.createTopic("x", 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> EmbeddedKafka.start(Map.of("listeners", "PLAINTEXT://0.0.0.0:9092")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Properties producerProps(String transactionalId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        if (transactionalId != null) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return p;
    }

    private static List<ConsumerRecord<String, String>> consumeReadCommitted(String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 20_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            // One more short poll: nothing beyond what is expected (e.g. no aborted record) may show up.
            consumer.poll(Duration.ofMillis(300)).forEach(out::add);
        }
        return out;
    }
}

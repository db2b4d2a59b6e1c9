package io.flinkvision.jobs.kafka;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.FrameSerde;
import io.flinkvision.jobs.JobCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code job --start-from ... --stop-at ...} re-scores exactly a past range of frames: 12 real JPEG frames per camera,
 * camera {@code cam-a} on partition 0 and {@code cam-b} on partition 1, captured one second apart from {@link #T0};
 * the bounded job runs on a local MiniCluster against an in-process KRaft broker and its committed detection records
 * are read back ({@code read_committed}) and counted by (camera, frame index).
 */
class ReplayRangeITCase {
    /**
     * Capture time of frame 0: an hour ago, on a whole second. Not a fixed date: the broker deletes records whose
     * timestamps are older than its retention (7 days) as soon as its retention check runs.
     */
    private static final long T0 = System.currentTimeMillis() / 1000 * 1000 - 3_600_000;
    private static final int PER_CAMERA = 12;
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void produceFramesWithKnownTimestamps() throws Exception {
        kafka = EmbeddedKafka.start();
        kafka.createTopic("frames", 2);
        kafka.createTopic("frames-dlq", 1);
        List<byte[]> jpegs = List.of(TestFixtures.bytes("vtest_000.jpg"),
                TestFixtures.bytes("vtest_100.jpg"));
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            for (int i = 0; i < PER_CAMERA; i++) {
                for (int partition = 0; partition < 2; partition++) {
                    Frame f = new Frame(partition == 0 ? "cam-a" : "cam-b", i, T0 + i * 1000L, FrameEncoding.JPEG,
                            jpegs.get(i % 2));
                    ProducerRecord<byte[], byte[]> r = FrameSerde.toRecord("frames", f);
                    p.send(new ProducerRecord<>(r.topic(), partition, r.timestamp(), r.key(), r.value(), r.headers()))
                            .get();
                }
            }
        }
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aTimeRangeReplaysExactlyTheFramesCapturedInIt() throws Exception {
        kafka.createTopic("detections-time", 1);
        // [T0 + 3 s, T0 + 9 s): frames 3..8 of both cameras; the start in ms, the stop as ISO-8601
        int rc = job("detections-time", "replay-time", "timestamp:" + (T0 + 3000),
                "timestamp:" + Instant.ofEpochMilli(T0 + 9000));
        assertThat(rc).isZero();
        Set<String> expected = new TreeSet<>();
        for (int i = 3; i < 9; i++) {
            expected.add("cam-a#" + i);
            expected.add("cam-b#" + i);
        }
        assertThat(readBack("detections-time", expected.size())).as("dead letters: %s", readBack("frames-dlq", 0))
                .containsExactlyElementsOf(expected);
    }

    @Test
    void anOffsetRangeReplaysExactlyThoseOffsetsAndUnlistedPartitionsRunToTheirEnd() throws Exception {
        kafka.createTopic("detections-offsets", 1);
        // partition 0: offsets [2, 4) = cam-a frames 2, 3; partition 1: from 5 to the end = cam-b frames 5..11
        int rc = job("detections-offsets", "replay-offsets", "offsets:0:2,1:5", "offsets:0:4");
        assertThat(rc).isZero();
        Set<String> expected = new TreeSet<>(List.of("cam-a#2", "cam-a#3"));
        for (int i = 5; i < PER_CAMERA; i++) {
            expected.add("cam-b#" + i);
        }
        assertThat(readBack("detections-offsets", expected.size())).as("dead letters: %s", readBack("frames-dlq", 0))
                .containsExactlyElementsOf(expected);
    }

    private static int job(String detectionsTopic, String group, String startFrom, String stopAt) {
        return new CommandLine(new JobCommand()).execute("--bootstrap-servers", kafka.bootstrapServers(),
                "--detections-topic", detectionsTopic, "--group-id", group, "--transactional-id-prefix", group,
                "--start-from", startFrom, "--stop-at", stopAt, "--parallelism", "1", "--backend", "onnxruntime",
                "--checkpoint-interval-ms", "500", "--max-restart-attempts", "1");
    }

    /**
     * The committed detection records of a topic as sorted {@code camera#index} keys, duplicates kept (a duplicate
     * fails the exact comparison): read until {@code expected} records are in and the topic stayed quiet for 3 s
     * (a record too many would show up), at most 120 s.
     */
    private static List<String> readBack(String topic, int expected) throws Exception {
        List<String> keys = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties("check-" + topic))) {
            List<TopicPartition> partitions = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(partitions); // no group coordination: nothing to wait for on a fresh broker
            c.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 120_000;
            long quietSince = System.currentTimeMillis();
            while (System.currentTimeMillis() < deadline
                    && (keys.size() < expected || System.currentTimeMillis() - quietSince < 3000)) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    quietSince = System.currentTimeMillis();
                    if (topic.equals("frames-dlq")) {
                        keys.add(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8) + " "
                                + new String(r.headers().lastHeader("dlq.reason").value(),
                                java.nio.charset.StandardCharsets.UTF_8));
                        continue;
                    }
                    FrameDetections d = DetectionJson.parse(r.value());
                    assertThat(d.getStatus()).isEqualTo(FrameDetections.STATUS_OK);
                    keys.add(d.getCameraId() + "#" + d.getFrameIndex());
                }
            }
        }
        keys.sort(null);
        return keys;
    }
}

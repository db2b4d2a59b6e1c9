package io.flinkvision.jobs.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.frame.FrameHeaders;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The demo's throughput, {@code throughputFps} = committed records / (last record read - first frame produced), on a
 * real broker: records that arrive in one burst (as a checkpoint's commit makes them) but whose frames were produced
 * over 20 s count at 6 records / >= 20 s, not at the burst's rate.
 */
class OutputTallyTest {
    @Test
    void throughputCountsFromTheFirstFrameProducedNotFromTheBurst() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopic("detections", 1);
            kafka.createTopic("frames-dlq", 1);
            long now = System.currentTimeMillis();
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
                ProducerRecord<byte[], byte[]> dead = new ProducerRecord<>("frames-dlq", new byte[] {1, 2, 3});
                dead.headers().add(FrameHeaders.CAPTURE_TIMESTAMP, Long.toString(now - 20_000)
                        .getBytes(StandardCharsets.UTF_8));
                dead.headers().add("dlq.reason", "decode-failed".getBytes(StandardCharsets.UTF_8));
                p.send(dead);
                for (int i = 0; i < 5; i++) {
                    FrameDetections d = new FrameDetections();
                    d.setCameraId("cam-0");
                    d.setFrameIndex(i + 1);
                    d.setCaptureTimestampMs(now - 10_000 + 100L * i);
                    d.setDetections(List.of());
                    d.setBatchSize(5);
                    p.send(new ProducerRecord<>("detections", DetectionJson.toBytes(d)));
                }
                p.flush();
            }
            try (OutputTally tally = new OutputTally(kafka.bootstrapServers(), "detections", "frames-dlq", Map.of())) {
                long deadline = System.nanoTime() + 120_000_000_000L; // hang guard
                while (tally.outputs() < 6 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                OutputTally.Snapshot s = tally.snapshot();
                assertThat(s.detectionRecords()).isEqualTo(5);
                assertThat(s.deadLetters()).isEqualTo(1);
                assertThat(s.deadLettersByReason()).containsEntry("decode-failed", 1L);
                assertThat(s.spanSeconds()).as("from the dead letter's capture time").isGreaterThanOrEqualTo(20.0);
                assertThat(s.throughputFps()).isEqualTo(6 / s.spanSeconds()).isGreaterThan(0).isLessThanOrEqualTo(0.3);
            }
        }
    }
}

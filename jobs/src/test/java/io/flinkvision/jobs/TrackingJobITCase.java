package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code job --tracking --analytics-config} end to end on real parts: an in-process KRaft broker, a MiniCluster running
 * {@link VideoInferenceJob} with ONNX Runtime and the bundled model on {@value #FRAMES} real frames of the shipped clip,
 * the demo's lines and zone. Read back committed: one detection record per frame with track ids (unique within a
 * frame, each announced by one 'started' event), one 'ended' per started track, and analytics windows that cover every
 * frame.
 */
class TrackingJobITCase {
    private static final int FRAMES = 120;
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void detectionsGetTrackIdsAndTracksAndCountsAreCommitted(@TempDir Path dir) throws Exception {
        for (String t : List.of("frames", "detections", "frames-dlq", "tracks", "analytics")) {
            kafka.createTopic(t, 1);
        }
        assertThat(VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("frames")
                .input(VideoInferenceJobITCase.clip().toString()).cameraId("cam-t").fps(0).maxFrames(FRAMES).build()
                .run()).isEqualTo(FRAMES);
        Path analytics = dir.resolve("analytics.yaml");
        try (InputStream in = getClass().getResourceAsStream("/demo/analytics-vtest.yaml")) {
            Files.copy(in, analytics);
        }
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                .startFrom(JobSettings.StartFrom.EARLIEST).bounded(true).checkpointIntervalMs(500)
                .checkpointDir(dir.resolve("ckpt").toUri().toString())
                .inference(InferenceOptions.BACKEND.key(), "ONNXRUNTIME")
                .tracking(true).analyticsConfig(analytics.toString()).build());
        env.execute("tracking-e2e");

        List<FrameDetections> records = new ArrayList<>();
        List<JsonNode> events = new ArrayList<>();
        List<JsonNode> windows = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties("tracking-check"))) {
            c.subscribe(List.of("detections", "tracks", "analytics"));
            long quietSince = System.currentTimeMillis();
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline
                    && (records.size() < FRAMES || System.currentTimeMillis() - quietSince < 3000)) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    quietSince = System.currentTimeMillis();
                    switch (r.topic()) {
                        case "detections" -> records.add(DetectionJson.parse(r.value()));
                        case "tracks" -> events.add(DetectionJson.mapper().readTree(r.value()));
                        default -> windows.add(DetectionJson.mapper().readTree(r.value()));
                    }
                }
            }
        }
        assertThat(records).hasSize(FRAMES);
        assertThat(records).extracting(FrameDetections::getFrameIndex).isSorted().doesNotHaveDuplicates();
        Set<Long> idsOnDetections = new HashSet<>();
        for (FrameDetections f : records) {
            List<Long> ids = f.getDetections().stream().map(Detection::getTrackId).filter(i -> i != null).toList();
            assertThat(ids).as("frame %d", f.getFrameIndex()).doesNotHaveDuplicates();
            idsOnDetections.addAll(ids);
        }
        assertThat(idsOnDetections).as("people walk through the whole clip").hasSizeGreaterThan(3);
        long tracked = records.stream().flatMap(f -> f.getDetections().stream())
                .filter(d -> d.getLabel().equals("person") && d.getScore() >= 0.5f && d.getTrackId() != null).count();
        long people = records.stream().flatMap(f -> f.getDetections().stream())
                .filter(d -> d.getLabel().equals("person") && d.getScore() >= 0.5f).count();
        assertThat(tracked).as("confident person detections with a track").isGreaterThan(people * 8 / 10);

        Map<Long, Integer> started = new HashMap<>();
        Map<Long, Integer> ended = new HashMap<>();
        for (JsonNode e : events) {
            assertThat(e.path("cameraId").asText()).isEqualTo("cam-t");
            long id = e.path("trackId").asLong();
            switch (e.path("type").asText()) {
                case "started" -> started.merge(id, 1, Integer::sum);
                case "ended" -> {
                    ended.merge(id, 1, Integer::sum);
                    assertThat(e.path("durationFrames").asLong()).isPositive();
                    assertThat(e.path("path").size()).isPositive();
                }
                default -> assertThat(e.path("type").asText()).isEqualTo("updated");
            }
        }
        assertThat(started.values()).containsOnly(1);
        assertThat(started.keySet()).isEqualTo(idsOnDetections);
        assertThat(ended).isEqualTo(started); // the bounded input ends every track once
        long ids = started.size();
        assertThat(started.keySet()).allMatch(i -> i >= 1 && i <= ids); // 1..n, no gaps

        assertThat(windows).isNotEmpty();
        assertThat(windows.stream().mapToLong(w -> w.path("frames").asLong()).sum()).isEqualTo(FRAMES);
        assertThat(windows.get(0).path("lines")).hasSize(2);
        assertThat(windows.get(0).path("zones")).hasSize(1);
    }

    @Test
    void analyticsWithoutTrackingIsRejected() {
        assertThatThrownBy(() -> JobSettings.builder().bootstrapServers("b:9092").analyticsConfig("x.yaml").build())
                .hasMessageContaining("--analytics-config needs --tracking");
        assertThatThrownBy(() -> JobSettings.builder().bootstrapServers("b:9092").tracking(true)
                .tracksTopic("detections").build()).hasMessageContaining("--tracks-topic");
    }
}

package io.flinkvision.jobs;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.FrameSerde;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on real parts: an in-process KRaft broker, a Flink MiniCluster running {@link VideoInferenceJob} with the
 * ONNX Runtime engine and the bundled model, 200 real frames of the shipped clip plus corrupt ones. A read_committed
 * consumer must see exactly one detection record per good frame and one dead letter per bad frame.
 */
class VideoInferenceJobITCase {
    private static final int GOOD_FRAMES = 200;
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
    void everyGoodFrameGivesOneDetectionRecordAndEveryBadFrameOneDeadLetter(@TempDir Path checkpoints)
            throws Exception {
        kafka.createTopic("frames", 2);
        kafka.createTopic("detections", 1);
        kafka.createTopic("frames-dlq", 1);
        long sent = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("frames")
                .input(clip().toString()).cameraId("cam-e2e").fps(0).maxFrames(GOOD_FRAMES).build().run();
        assertThat(sent).isEqualTo(GOOD_FRAMES);
        byte[] realJpeg = TestFixtures.bytes("vtest_000.jpg");
        byte[] random = new byte[20_000];
        new Random(7).nextBytes(random);
        Map<Long, byte[]> bad = Map.of(
                1000L, Arrays.copyOf(realJpeg, realJpeg.length / 2), // truncated JPEG
                1001L, random, // random bytes
                1002L, new byte[0]); // zero bytes
        Map<Long, String> expectedReason = Map.of(1000L, "decode-failed", 1001L, "decode-failed", 1002L,
                "empty-payload");
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            for (Map.Entry<Long, byte[]> e : bad.entrySet()) {
                p.send(FrameSerde.toRecord("frames", new Frame("cam-bad", e.getKey(), System.currentTimeMillis(),
                        FrameEncoding.JPEG, e.getValue()))).get();
            }
        }

        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none"); // a failure fails the test instead of looping
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                .startFrom(JobSettings.StartFrom.EARLIEST).bounded(true).checkpointIntervalMs(500)
                .checkpointDir(checkpoints.toUri().toString())
                .inference(InferenceOptions.BACKEND.key(), "ONNXRUNTIME")
                .inference(InferenceOptions.MAX_BATCH_SIZE.key(), "8")
                .inference(InferenceOptions.MAX_QUEUE_DELAY_MS.key(), "20")
                .build());
        env.execute("e2e");

        Map<String, FrameDetections> records = new HashMap<>();
        List<String> duplicates = new ArrayList<>();
        Map<Long, String> deadLetters = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties("e2e-check"))) {
            c.subscribe(List.of("detections", "frames-dlq"));
            long quietSince = System.currentTimeMillis();
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline
                    && (records.size() < GOOD_FRAMES || deadLetters.size() < bad.size()
                    || System.currentTimeMillis() - quietSince < 3000)) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    quietSince = System.currentTimeMillis();
                    if (r.topic().equals("detections")) {
                        FrameDetections d = DetectionJson.parse(r.value());
                        if (records.put(d.getCameraId() + "#" + d.getFrameIndex(), d) != null) {
                            duplicates.add(d.getCameraId() + "#" + d.getFrameIndex());
                        }
                    } else {
                        long index = Long.parseLong(header(r, "frame-index"));
                        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("cam-bad");
                        assertThat(r.value()).isEqualTo(bad.get(index)); // original value kept
                        assertThat(header(r, "encoding")).isEqualTo("jpeg"); // original headers kept
                        deadLetters.put(index, header(r, "dlq.reason"));
                    }
                }
            }
        }
        assertThat(duplicates).isEmpty();
        assertThat(records).hasSize(GOOD_FRAMES);
        Set<Long> indexes = new HashSet<>();
        records.values().forEach(d -> indexes.add(d.getFrameIndex()));
        assertThat(indexes).hasSize(GOOD_FRAMES).allMatch(i -> i >= 0 && i < GOOD_FRAMES);
        assertThat(deadLetters).isEqualTo(expectedReason);

        long framesWithPeople = records.values().stream()
                .filter(d -> d.getDetections().stream().anyMatch(x -> x.getLabel().equals("person"))).count();
        assertThat(framesWithPeople).as("frames of the street clip with a person").isGreaterThan(GOOD_FRAMES * 9 / 10);
        FrameDetections any = records.values().iterator().next();
        assertThat(any.getImageWidth()).isEqualTo(768);
        assertThat(any.getImageHeight()).isEqualTo(576);
        assertThat(any.getBackend()).isEqualTo("onnxruntime");
        assertThat(any.getModel()).isEqualTo("yolox_nano_dyn.onnx");
        assertThat(records.values()).allSatisfy(d -> {
            assertThat(d.getStatus()).isEqualTo("ok");
            assertThat(d.getBatchSize()).isBetween(1, 8);
            assertThat(d.getLatencyMs().getTotal()).isGreaterThanOrEqualTo(d.getLatencyMs().getInference());
        });
        assertThat(records.values().stream().mapToInt(FrameDetections::getBatchSize).max().getAsInt())
                .as("micro-batches of more than one frame formed").isGreaterThan(1);
    }

    /**
     * {@code --source-parallelism 1} under an operator of parallelism 2, with object reuse on: every frame once, and
     * each camera's detection records in frame order (each Kafka partition goes to one operator subtask; a
     * round-robin exchange would interleave a camera's frames over both subtasks and their sinks).
     */
    @Test
    void aSourceAtAnotherParallelismKeepsEveryCamerasOrder(@TempDir Path checkpoints) throws Exception {
        int cameras = 4;
        int perCamera = 40;
        kafka.createTopic("ordered-frames", cameras);
        kafka.createTopic("ordered-detections", 1);
        kafka.createTopic("ordered-dlq", 1);
        long sent = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("ordered-frames")
                .input(clip().toString()).cameraId("cam").cameras(cameras).fps(0).maxFrames(perCamera).build().run();
        assertThat(sent).isEqualTo(perCamera);

        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
        VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                .framesTopic("ordered-frames").detectionsTopic("ordered-detections").deadLetterTopic("ordered-dlq")
                .groupId("ordered").transactionalIdPrefix("ordered")
                .startFrom(JobSettings.StartFrom.EARLIEST).bounded(true).checkpointIntervalMs(500)
                .checkpointDir(checkpoints.toUri().toString())
                .parallelism(2).sourceParallelism(1)
                .flinkProperties(Map.of("pipeline.object-reuse", "true"))
                .inference(InferenceOptions.BACKEND.key(), "ONNXRUNTIME")
                .inference(InferenceOptions.MAX_BATCH_SIZE.key(), "4")
                .inference(InferenceOptions.MAX_QUEUE_DELAY_MS.key(), "20")
                .build());
        assertThat(env.getConfig().isObjectReuseEnabled()).isTrue();
        env.execute("ordered");

        Map<String, List<Long>> indexesByCamera = new HashMap<>();
        int total = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties("ordered-check"))) {
            c.subscribe(List.of("ordered-detections", "ordered-dlq"));
            long deadline = System.currentTimeMillis() + 60_000;
            while (total < cameras * perCamera && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    assertThat(r.topic()).as("no dead letters").isEqualTo("ordered-detections");
                    FrameDetections d = DetectionJson.parse(r.value());
                    indexesByCamera.computeIfAbsent(d.getCameraId(), k -> new ArrayList<>()).add(d.getFrameIndex());
                    total++;
                }
            }
        }
        assertThat(total).isEqualTo(cameras * perCamera);
        assertThat(indexesByCamera).hasSize(cameras);
        List<Long> expected = java.util.stream.LongStream.range(0, perCamera).boxed().toList();
        indexesByCamera.forEach((camera, indexes) -> assertThat(indexes).as(camera)
                .containsExactlyElementsOf(expected));
    }

    static Path clip() {
        Path p = Path.of("../data/vtest.avi");
        assertThat(p).exists();
        return p;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}

package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.flink.FailureInjector;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameSerde;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.kafka.StopPosition;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once tracking across a failure, on real parts: an in-process KRaft broker, a Flink MiniCluster running
 * {@code job --tracking --analytics-config} ({@link VideoInferenceJob}, EXACTLY_ONCE sinks, checkpoints every
 * {@value #CHECKPOINT_MS} ms) with ONNX Runtime and the bundled YOLOX-Nano on {@value #FRAMES} real frames of the
 * shipped clip and the demo's two lines and zone, counted in {@value #WINDOW_MS} ms windows. The frames' capture
 * times are rewritten to {@value #FRAME_SPACING_MS} ms apart, so that the clip spans several windows and some of them
 * are emitted (the watermark allows 5 s out of order) and committed before the failure.
 *
 * <p>The same frames are tracked twice. Run A reads them without failure. Run B reads a byte-for-byte copy (same keys,
 * headers and timestamps) fed in two halves: the job is bounded at offset {@value #FRAMES} but only the first
 * {@value #HALF} frames are there at start; once a {@code read_committed} consumer sees a committed detection record
 * that carries a track id and a committed analytics window (so at least one checkpoint completed with live tracks in
 * the tracker's keyed state and windows already out), the injector is armed and the second half is produced. The first frame of the second half then makes the inference
 * operator's {@link FailureInjector} throw inside {@code asyncInvoke}: the task fails, Flink cancels the whole pipeline
 * (source, inference, {@link io.flinkvision.tracking.ObjectTracker}, analytics, sinks: one region at parallelism 1),
 * aborts the open Kafka transactions and restarts it from the last completed checkpoint. No sleep orders anything: the
 * failure point is fixed by the data (frame {@value #HALF}), not by timing.
 *
 * <p>Read back with {@code read_committed}, run B must equal run A: one {@code started} per (camera, track id), the
 * same track ids with the same first/last frames (no track split or renumbered at the failure), the same track events,
 * the same per-window analytics records, the same track ids on every frame's detections; and frames in = detection
 * records + dead letters. The checkpoint statistics must show a restore and the injector must have fired.
 */
class TrackingUnderFailureITCase {
    static final int FRAMES = 120;
    static final int HALF = 60;
    static final long CHECKPOINT_MS = 300;
    /** Capture time between frames (5 frames/s of capture time) and the analytics window: 12 windows of 10 frames. */
    static final long FRAME_SPACING_MS = 200;
    static final long WINDOW_MS = 2_000;
    private static final String CAMERA = "cam-f";
    private static final long TIMEOUT_MS = 120_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    /** Throws once, on the first frame at or after {@link #HALF} once {@link #armed}. State is static: it survives
     * the restart (the MiniCluster runs in this JVM). */
    static final class FailOnce implements FailureInjector {
        private static final long serialVersionUID = 1L;
        static final AtomicBoolean armed = new AtomicBoolean();
        static final AtomicInteger fired = new AtomicInteger();
        static final AtomicLong failedAtFrame = new AtomicLong(-1);
        static final AtomicInteger maxAttempt = new AtomicInteger();

        @Override
        public void beforeInvoke(Frame frame, int subtaskIndex, int attemptNumber, int batchesInFlight) {
            maxAttempt.accumulateAndGet(attemptNumber, Math::max);
            if (frame.getFrameIndex() >= HALF && armed.get() && fired.compareAndSet(0, 1)) {
                failedAtFrame.set(frame.getFrameIndex());
                throw new IllegalStateException("injected failure at frame " + frame.getFrameIndex() + ", attempt "
                        + attemptNumber);
            }
        }
    }

    /** What one run committed. */
    private record RunOutput(List<FrameDetections> records, int deadLetters, List<JsonNode> events,
            List<JsonNode> windows) {}

    /** A track as its events tell it. */
    private record TrackSummary(int started, long startedAtFrame, long firstFrame, long lastFrame, String endReason) {}

    @Test
    void trackingOutputIsTheSameWithAndWithoutAFailureMidClip(@InjectMiniCluster MiniCluster cluster,
            @TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        kafka.createTopic("tf-frames-clip", 1);
        kafka.createTopic("tf-frames-a", 1);
        kafka.createTopic("tf-frames-b", 1);
        for (String run : List.of("a", "b")) {
            for (String t : List.of("detections", "dlq", "tracks", "analytics")) {
                kafka.createTopic("tf-" + t + "-" + run, 1);
            }
        }
        assertThat(VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("tf-frames-clip")
                .input(VideoInferenceJobITCase.clip().toString()).cameraId(CAMERA).fps(0).maxFrames(FRAMES).build()
                .run()).isEqualTo(FRAMES);
        // capture time: FRAME_SPACING_MS apart from a window boundary an hour ago (inside the broker's timestamp bounds)
        long base = Math.floorDiv(System.currentTimeMillis() - 3_600_000, WINDOW_MS) * WINDOW_MS;
        List<ProducerRecord<byte[], byte[]>> frames = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(List.of("tf-frames-clip"))) {
            Frame f = FrameSerde.fromRecord(r);
            f.setCaptureTimestampMs(base + f.getFrameIndex() * FRAME_SPACING_MS);
            frames.add(FrameSerde.toRecord("tf-frames-b", f));
        }
        assertThat(frames).hasSize(FRAMES);
        Path analytics = dir.resolve("analytics.yaml");
        try (InputStream in = getClass().getResourceAsStream("/demo/analytics-vtest.yaml")) {
            String yaml = new String(Objects.requireNonNull(in, "/demo/analytics-vtest.yaml").readAllBytes(),
                    StandardCharsets.UTF_8);
            assertThat(yaml).contains("windowMs: 10000");
            Files.writeString(analytics, yaml.replace("windowMs: 10000", "windowMs: " + WINDOW_MS));
        }
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            copy(p, frames, "tf-frames-a");
        }

        // run A: no failure
        JobClient a = start("a", analytics, dir, op -> {});
        a.getJobExecutionResult().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        RunOutput outA = read("a");
        CheckpointStatsSnapshot statsA = stats(cluster, a.getJobID());

        // run B: the first half, a committed tracked record, then the second half and the failure at frame HALF
        FailOnce.armed.set(false);
        FailOnce.fired.set(0);
        FailOnce.failedAtFrame.set(-1);
        FailOnce.maxAttempt.set(0);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            copy(p, frames.subList(0, HALF), "tf-frames-b");
            JobClient b = start("b", analytics, dir, op -> op.failureInjector(new FailOnce()));
            int[] committed = awaitCommittedTrackedRecordAndWindow("b", b);
            FailOnce.armed.set(true);
            copy(p, frames.subList(HALF, FRAMES), "tf-frames-b");
            System.out.printf("tracking-under-failure: run B armed after %d committed tracked record(s) and %d"
                    + " committed window(s)%n", committed[0], committed[1]);
            b.getJobExecutionResult().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            RunOutput outB = read("b");
            CheckpointStatsSnapshot statsB = stats(cluster, b.getJobID());

            Map<Long, TrackSummary> tracksA = tracks(outA.events());
            Map<Long, TrackSummary> tracksB = tracks(outB.events());
            Map<Long, List<Long>> idsA = trackIdsPerFrame(outA.records());
            Map<Long, List<Long>> idsB = trackIdsPerFrame(outB.records());
            Map<Long, String> windowsA = windows(outA.windows());
            Map<Long, String> windowsB = windows(outB.windows());
            long spanning = tracksB.values().stream()
                    .filter(t -> t.firstFrame() < FailOnce.failedAtFrame.get()
                            && t.lastFrame() >= FailOnce.failedAtFrame.get()).count();
            System.out.printf("tracking-under-failure: %.1f s; injected failure at frame %d, last attempt %d;"
                            + " checkpoints completed A %d / B %d, restored A %d / B %d (B from checkpoint %s)%n",
                    (System.nanoTime() - t0) / 1e9, FailOnce.failedAtFrame.get(), FailOnce.maxAttempt.get(),
                    statsA.getCounts().getNumberOfCompletedCheckpoints(),
                    statsB.getCounts().getNumberOfCompletedCheckpoints(),
                    statsA.getCounts().getNumberOfRestoredCheckpoints(),
                    statsB.getCounts().getNumberOfRestoredCheckpoints(),
                    statsB.getLatestRestoredCheckpoint() == null ? null
                            : statsB.getLatestRestoredCheckpoint().getCheckpointId());
            System.out.printf("tracking-under-failure: A: %d records + %d dead letters, %d events, tracks (id:first-last) %s;"
                    + " %d windows %s%n", outA.records().size(), outA.deadLetters(), outA.events().size(), brief(tracksA),
                    windowsA.size(), windowsA.values());
            System.out.printf("tracking-under-failure: B: %d records + %d dead letters, %d events, tracks (id:first-last) %s;"
                    + " %d windows; %d track(s) alive across the failure%n", outB.records().size(),
                    outB.deadLetters(), outB.events().size(), brief(tracksB), windowsB.size(), spanning);

            // the failure really happened, after a checkpoint, and was recovered from a checkpoint
            assertThat(FailOnce.fired.get()).as("the injected failure fired").isEqualTo(1);
            assertThat(FailOnce.failedAtFrame.get()).as("failure point").isEqualTo(HALF);
            assertThat(FailOnce.maxAttempt.get()).as("attempt number after the restart").isGreaterThanOrEqualTo(1);
            assertThat(statsB.getCounts().getNumberOfRestoredCheckpoints()).as("restores in run B").isEqualTo(1);
            assertThat(statsB.getLatestRestoredCheckpoint()).as("run B restored a checkpoint").isNotNull();
            assertThat(statsA.getCounts().getNumberOfRestoredCheckpoints()).as("restores in run A").isZero();

            // both runs produced something worth comparing
            for (RunOutput out : List.of(outA, outB)) {
                assertThat(out.records().size() + out.deadLetters()).as("frames in = detection records + dead letters")
                        .isEqualTo(FRAMES);
            }
            assertThat(tracksA).as("tracks of run A").hasSizeGreaterThan(3);
            assertThat(spanning).as("tracks alive before and after the failure point").isPositive();
            assertThat(windowsA).as("analytics windows of run A").hasSizeGreaterThanOrEqualTo(10);
            assertThat(windowsA.values()).as("analytics windows of run A")
                    .anyMatch(w -> w.matches(".*\"(leftToRight|rightToLeft|entered|exited)\":[1-9].*"));

            // exactly once: run B equals run A
            assertThat(outB.events()).as("track events").allSatisfy(e -> assertThat(e.path("cameraId").asText())
                    .isEqualTo(CAMERA));
            assertThat(tracksB.values()).as("started events per track id of run B")
                    .allSatisfy(t -> assertThat(t.started()).isEqualTo(1));
            assertThat(tracksB).as("track ids with their started/first/last frames").isEqualTo(tracksA);
            assertThat(sorted(outB.events())).as("all track events").isEqualTo(sorted(outA.events()));
            assertThat(windowsB).as("analytics records per window").isEqualTo(windowsA);
            assertThat(idsB).as("track ids per frame on the detection records").isEqualTo(idsA);
            assertThat(outB.deadLetters()).isEqualTo(outA.deadLetters());
        }
    }

    private static JobClient start(String run, Path analytics, Path dir,
            Consumer<io.flinkvision.flink.GpuInferenceFunction.Builder> customizer) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                .framesTopic("tf-frames-" + run).detectionsTopic("tf-detections-" + run)
                .deadLetterTopic("tf-dlq-" + run).tracksTopic("tf-tracks-" + run)
                .analyticsTopic("tf-analytics-" + run).groupId("tf-" + run).transactionalIdPrefix("tf-" + run)
                .startFrom(JobSettings.StartFrom.EARLIEST).stopAt(StopPosition.parse("offsets:0:" + FRAMES))
                .checkpointIntervalMs(CHECKPOINT_MS).checkpointDir(dir.resolve("ckpt-" + run).toUri().toString())
                .parallelism(1).inference(InferenceOptions.BACKEND.key(), "ONNXRUNTIME")
                // one frame per batch in both runs: a replayed frame is inferred exactly as the first time
                .inference(InferenceOptions.MAX_BATCH_SIZE.key(), "1")
                .tracking(true).analyticsConfig(analytics.toString()).build(), customizer);
        return env.executeAsync("tracking-under-failure-" + run);
    }

    /** Sends the same frame records to {@code topic} (a plain producer: offsets 0, 1, 2, ...). */
    private static void copy(KafkaProducer<byte[], byte[]> p, List<ProducerRecord<byte[], byte[]>> records,
            String topic) throws Exception {
        for (ProducerRecord<byte[], byte[]> r : records) {
            p.send(new ProducerRecord<>(topic, 0, r.timestamp(), r.key(), r.value(), r.headers())).get();
        }
    }

    /**
     * Waits for a committed detection record with a track id and a committed analytics window: a checkpoint
     * completed with tracks in the state and windows out. Returns {tracked records, windows} seen.
     */
    private static int[] awaitCommittedTrackedRecordAndWindow(String run, JobClient job) throws Exception {
        Properties p = kafka.consumerProperties("tf-watch");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = List.of(new TopicPartition("tf-detections-" + run, 0),
                    new TopicPartition("tf-analytics-" + run, 0));
            c.assign(tps);
            c.seekToBeginning(tps);
            int[] seen = new int[2];
            while (seen[0] == 0 || seen[1] == 0) {
                assertThat(System.currentTimeMillis())
                        .as("within %d ms of run %s's start: committed tracked detection records %d, windows %d"
                                + " (job %s)", TIMEOUT_MS, run, seen[0], seen[1], job.getJobStatus().get())
                        .isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.topic().startsWith("tf-analytics")) {
                        seen[1]++;
                    } else if (DetectionJson.parse(r.value()).getDetections().stream()
                            .anyMatch(d -> d.getTrackId() != null)) {
                        seen[0]++;
                    }
                }
            }
            return seen;
        }
    }

    private static RunOutput read(String run) throws Exception {
        List<FrameDetections> records = new ArrayList<>();
        List<JsonNode> events = new ArrayList<>();
        List<JsonNode> windows = new ArrayList<>();
        int deadLetters = 0;
        for (ConsumerRecord<byte[], byte[]> r : readAll(List.of("tf-detections-" + run, "tf-dlq-" + run,
                "tf-tracks-" + run, "tf-analytics-" + run))) {
            if (r.topic().startsWith("tf-detections")) {
                records.add(DetectionJson.parse(r.value()));
            } else if (r.topic().startsWith("tf-dlq")) {
                deadLetters++;
            } else if (r.topic().startsWith("tf-tracks")) {
                events.add(DetectionJson.mapper().readTree(r.value()));
            } else {
                windows.add(DetectionJson.mapper().readTree(r.value()));
            }
        }
        return new RunOutput(records, deadLetters, events, windows);
    }

    private static CheckpointStatsSnapshot stats(MiniCluster cluster, JobID job) throws Exception {
        return cluster.getArchivedExecutionGraph(job).get(60, TimeUnit.SECONDS).getCheckpointStatsSnapshot();
    }

    private static Map<Long, TrackSummary> tracks(List<JsonNode> events) {
        Map<Long, TrackSummary> out = new TreeMap<>();
        for (JsonNode e : events) {
            long id = e.path("trackId").asLong();
            TrackSummary t = out.getOrDefault(id, new TrackSummary(0, -1, -1, -1, null));
            switch (e.path("type").asText()) {
                case "started" -> t = new TrackSummary(t.started() + 1, e.path("frameIndex").asLong(),
                        t.firstFrame(), t.lastFrame(), t.endReason());
                case "ended" -> t = new TrackSummary(t.started(), t.startedAtFrame(),
                        e.path("firstFrameIndex").asLong(), e.path("lastFrameIndex").asLong(),
                        e.path("endReason").asText());
                default -> { }
            }
            out.put(id, t);
        }
        return out;
    }

    /** Frame index -> track ids of its detections in order (null for untracked ones); a duplicate frame fails. */
    private static Map<Long, List<Long>> trackIdsPerFrame(List<FrameDetections> records) {
        Map<Long, List<Long>> out = new TreeMap<>();
        for (FrameDetections f : records) {
            List<Long> ids = f.getDetections().stream().map(Detection::getTrackId).toList();
            assertThat(out.put(f.getFrameIndex(), new ArrayList<>(ids))).as("duplicate record of frame %d",
                    f.getFrameIndex()).isNull();
        }
        return out;
    }

    /** Window start -> the whole analytics record; a duplicate window fails. */
    private static Map<Long, String> windows(List<JsonNode> windows) {
        Map<Long, String> out = new TreeMap<>();
        for (JsonNode w : windows) {
            assertThat(out.put(w.path("windowStartMs").asLong(), w.toString())).as("duplicate window %s", w).isNull();
        }
        return out;
    }

    private static String brief(Map<Long, TrackSummary> tracks) {
        StringBuilder b = new StringBuilder();
        tracks.forEach((id, t) -> b.append(b.length() == 0 ? "" : " ").append(id).append(':').append(t.firstFrame())
                .append('-').append(t.lastFrame()));
        return b.toString();
    }

    private static List<String> sorted(List<JsonNode> nodes) {
        return nodes.stream().map(JsonNode::toString).sorted().toList();
    }

    /** Every committed record of the topics up to their last stable offset. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(List<String> topics) {
        Properties p = kafka.consumerProperties("tf-check");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                c.partitionsFor(t).forEach(pi -> parts.add(new TopicPartition(t, pi.partition())));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 60_000;
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                assertThat(System.currentTimeMillis()).as("reading %s up to %s", topics, end).isLessThan(deadline);
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}

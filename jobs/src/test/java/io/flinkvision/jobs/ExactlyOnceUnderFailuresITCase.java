package io.flinkvision.jobs;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.flink.FailureInjector;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.frame.Frame;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.kafka.LogCapture;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once end to end under failures, on real parts: an in-process KRaft broker, a Flink MiniCluster running
 * {@link VideoInferenceJob} (EXACTLY_ONCE Kafka sinks, checkpoints every second) with the ONNX Runtime engine and the
 * bundled YOLOX-Nano, {@value #CAMERAS} cameras x {@value #FRAMES_PER_CAMERA} real frames of the shipped clip plus the
 * {@link BadFrameCorpus}. While it runs: three task failures thrown from inside the inference operator while
 * micro-batches are in flight (the operator's {@link FailureInjector} hook), and one TaskManager killed and replaced.
 * Then a {@code read_committed} consumer must see exactly one detection record per good frame (by camera id + frame
 * index: no loss, no duplicate) and exactly one dead letter, with its reason, per bad frame; a
 * {@code read_uncommitted} consumer must see more, proving that output of the failed attempts was written and aborted.
 */
class ExactlyOnceUnderFailuresITCase {
    static final int CAMERAS = 3;
    static final int FRAMES_PER_CAMERA = 700;
    /** Cumulative operator invocations (replays included) at which a task failure is thrown. */
    static final long[] TASK_FAILURES_AT = {350, 800, 1800};
    /** Cumulative invocations after which the TaskManager is killed and a new one started. */
    static final long TASK_MANAGER_KILL_AT = 1300;

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

    /** Throws a task failure at the invocations of {@link #TASK_FAILURES_AT}, once batches are in flight. */
    static final class Chaos implements FailureInjector {
        private static final long serialVersionUID = 1L;
        static final AtomicLong invocations = new AtomicLong();
        static final AtomicInteger injected = new AtomicInteger();
        static final AtomicInteger batchesInFlight = new AtomicInteger();
        static final AtomicInteger maxAttempt = new AtomicInteger();
        static final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void beforeInvoke(Frame frame, int subtaskIndex, int attemptNumber, int inFlight) throws Exception {
            long n = invocations.incrementAndGet();
            batchesInFlight.set(inFlight);
            maxAttempt.accumulateAndGet(attemptNumber, Math::max);
            int k = injected.get();
            if (k < TASK_FAILURES_AT.length && n >= TASK_FAILURES_AT[k] && inFlight > 0
                    && injected.compareAndSet(k, k + 1)) {
                String what = String.format(Locale.ROOT, "task failure %d: attempt %d, invocation %d, %d batch(es) in"
                        + " flight, frame %s#%d", k + 1, attemptNumber, n, inFlight, frame.getCameraId(),
                        frame.getFrameIndex());
                events.add(what);
                throw new IllegalStateException("injected " + what);
            }
        }
    }

    @Test
    void exactlyOneOutputPerFrameAcrossTaskFailuresAndATaskManagerRestart(@InjectMiniCluster MiniCluster cluster,
            @TempDir Path checkpoints) throws Exception {
        long t0 = System.nanoTime();
        kafka.createTopic("eo-frames", CAMERAS);
        kafka.createTopic("eo-detections", 1);
        kafka.createTopic("eo-dlq", 1);
        for (int c = 0; c < CAMERAS; c++) {
            long sent = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("eo-frames")
                    .input(VideoInferenceJobITCase.clip().toString()).cameraId("cam-" + c).fps(0).loop(true)
                    .maxFrames(FRAMES_PER_CAMERA).build().run();
            assertThat(sent).isEqualTo(FRAMES_PER_CAMERA);
        }
        byte[] jpeg = TestFixtures.bytes("vtest_000.jpg");
        List<BadFrameCorpus.Case> corpus = BadFrameCorpus.build("eo-frames", jpeg, 100_000);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            for (BadFrameCorpus.Case c : corpus) {
                p.send(c.record()).get();
            }
        }
        long framesIn = (long) CAMERAS * FRAMES_PER_CAMERA + corpus.size();
        System.out.printf("exactly-once: %d frames in (%d clip frames, %d corpus records) after %.1f s%n", framesIn,
                CAMERAS * FRAMES_PER_CAMERA, corpus.size(), (System.nanoTime() - t0) / 1e9);

        Chaos.invocations.set(0);
        Chaos.injected.set(0);
        Chaos.maxAttempt.set(0);
        Chaos.events.clear();
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 10);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                .framesTopic("eo-frames").detectionsTopic("eo-detections").deadLetterTopic("eo-dlq")
                .groupId("eo-itcase").transactionalIdPrefix("eo-itcase")
                .startFrom(JobSettings.StartFrom.EARLIEST).bounded(true).checkpointIntervalMs(1000)
                .checkpointDir(checkpoints.toUri().toString()).parallelism(1)
                .inference(InferenceOptions.BACKEND.key(), "ONNXRUNTIME")
                .inference(InferenceOptions.MAX_BATCH_SIZE.key(), "8")
                .inference(InferenceOptions.MAX_QUEUE_DELAY_MS.key(), "20")
                .inference(InferenceOptions.MAX_FRAME_BYTES.key(), Integer.toString(BadFrameCorpus.MAX_FRAME_BYTES))
                .build(), operator -> operator.failureInjector(new Chaos()));
        long jobStart = System.nanoTime();
        LogCapture log = LogCapture.open();
        JobClient job = env.executeAsync("exactly-once under failures");

        // the TaskManager kill: once the second task failure is behind us and the job is running with batches in flight
        String tmEvent = null;
        while (tmEvent == null && !job.getJobStatus().get().isGloballyTerminalState()) {
            if (Chaos.injected.get() >= 2 && Chaos.invocations.get() >= TASK_MANAGER_KILL_AT
                    && Chaos.batchesInFlight.get() > 0) {
                tmEvent = String.format(Locale.ROOT, "TaskManager killed and replaced: invocation %d, %d batch(es)"
                        + " in flight", Chaos.invocations.get(), Chaos.batchesInFlight.get());
                cluster.terminateTaskManager(0).get(60, TimeUnit.SECONDS);
                cluster.startTaskManager();
            }
            Thread.sleep(20);
        }
        try {
            job.getJobExecutionResult().get(8, TimeUnit.MINUTES);
        } finally {
            log.close();
        }
        double jobSeconds = (System.nanoTime() - jobStart) / 1e9;

        // read everything committed
        Map<String, Integer> recordsPerFrame = new HashMap<>();
        List<FrameDetections> records = new ArrayList<>();
        Map<String, String> deadLetterReasons = new TreeMap<>();
        Map<String, Integer> deadLettersPerCase = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll("read_committed", List.of("eo-detections", "eo-dlq"))) {
            if (r.topic().equals("eo-detections")) {
                FrameDetections d = DetectionJson.parse(r.value());
                records.add(d);
                recordsPerFrame.merge(d.getCameraId() + "#" + d.getFrameIndex(), 1, Integer::sum);
            } else {
                String name = header(r, BadFrameCorpus.CASE_HEADER);
                deadLetterReasons.put(name, header(r, "dlq.reason"));
                deadLettersPerCase.merge(name, 1, Integer::sum);
            }
        }
        long uncommittedDetections = readAll("read_uncommitted", List.of("eo-detections")).size();

        Map<String, Integer> duplicates = recordsPerFrame.entrySet().stream().filter(e -> e.getValue() > 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        List<String> missing = new ArrayList<>();
        for (int c = 0; c < CAMERAS; c++) {
            for (int i = 0; i < FRAMES_PER_CAMERA; i++) {
                if (!recordsPerFrame.containsKey("cam-" + c + "#" + i)) {
                    missing.add("cam-" + c + "#" + i);
                }
            }
        }
        Map<String, String> expectedDeadLetters = new TreeMap<>();
        long goodCorpus = 0;
        for (BadFrameCorpus.Case c : corpus) {
            if (c.good()) {
                goodCorpus++;
                if (!recordsPerFrame.containsKey(BadFrameCorpus.CAMERA + "#" + c.frameIndex())) {
                    missing.add(c.name());
                }
            } else {
                expectedDeadLetters.put(c.name(), c.expectedReason());
            }
        }
        System.out.printf("exactly-once: job finished in %.1f s; injected: %s; %s; last attempt %d%n", jobSeconds,
                Chaos.events, tmEvent, Chaos.maxAttempt.get());
        System.out.printf("exactly-once: frames in %d = detection records %d + dead letters %d (read_committed);"
                        + " duplicates %d, missing %d; read_uncommitted detection records %d (aborted output of failed"
                        + " attempts: %d)%n", framesIn, records.size(), deadLettersPerCase.values().stream()
                        .mapToInt(Integer::intValue).sum(), duplicates.size(), missing.size(), uncommittedDetections,
                uncommittedDetections - records.size());
        System.out.printf("exactly-once: dead letters by case: %s%n", deadLetterReasons);

        assertThat(Chaos.events).as("task failures thrown inside the operator").hasSize(TASK_FAILURES_AT.length);
        assertThat(tmEvent).as("TaskManager restart").isNotNull();
        assertThat(Chaos.maxAttempt.get()).as("attempts: 3 task failures + 1 TaskManager loss")
                .isGreaterThanOrEqualTo(4);
        assertThat(duplicates).as("duplicate detection records").isEmpty();
        assertThat(missing).as("frames without a detection record").isEmpty();
        // the recoveries re-commit transactions that were already committed: that is no loss and must not log as one
        List<String> lossErrors = log.lines.stream().filter(l -> l.level() == Level.ERROR)
                .filter(l -> l.message().contains("fenced") || l.message().contains("data loss")
                        || l.message().contains("NOT committed"))
                .map(LogCapture.Line::toString).toList();
        assertThat(lossErrors).as("fenced/data-loss ERROR lines on a recovery that lost nothing").isEmpty();
        assertThat(records).hasSize(CAMERAS * FRAMES_PER_CAMERA + (int) goodCorpus);
        assertThat(records).allSatisfy(d -> assertThat(d.getStatus()).isEqualTo("ok"));
        assertThat(deadLettersPerCase).as("one dead letter per bad frame")
                .allSatisfy((name, n) -> assertThat(n).as(name).isEqualTo(1));
        assertThat(deadLetterReasons).isEqualTo(expectedDeadLetters);
        assertThat(records.size() + deadLettersPerCase.values().stream().mapToInt(Integer::intValue).sum())
                .as("frames in = detection records + dead letters")
                .isEqualTo(framesIn);
        assertThat(uncommittedDetections).as("output of the failed attempts was written, then aborted")
                .isGreaterThan(records.size());
        long withPeople = records.stream().filter(d -> d.getCameraId().startsWith("cam-"))
                .filter(d -> d.getDetections().stream().anyMatch(x -> x.getLabel().equals("person"))).count();
        assertThat(withPeople).as("clip frames with a person").isGreaterThan(CAMERAS * FRAMES_PER_CAMERA * 9L / 10);
    }

    /** Every record of the topics up to their end (for read_committed: the last stable offset). */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(String isolation, List<String> topics) {
        Properties p = kafka.consumerProperties("exactly-once-check"); // partitions are assigned, no group used
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
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

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}

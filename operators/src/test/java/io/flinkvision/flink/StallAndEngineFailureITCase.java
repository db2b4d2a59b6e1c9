package io.flinkvision.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.detection.DeadLetter;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Timeouts, stalls and engine failures on a real Flink MiniCluster: {@link GpuInferenceFunction} in
 * {@code AsyncDataStream.orderedWait} with the real ONNX Runtime engine and real frames, wrapped by
 * {@link MisbehavingEngine} so that one chosen batch (the third) stalls or fails. The frames of a stalled batch
 * must come out once, as error records or dead letters {@code inference-timeout} (per
 * {@link InferenceOptions#TIMEOUT_OUTPUT}), counted in the {@code timeouts} metric; the late real result must be
 * dropped; later batches must still complete; the job must finish normally; frames in = detection records + dead
 * letters, in the output and in the operator's counters.
 *
 * <p>No outcome depends on the machine's speed: the stalled batch is chosen by its number and held until the test has
 * read the timeout outputs of all its frames (then released, so that its real result arrives late), and the async
 * timeout is far longer than any real batch of the nano model takes, even on a loaded machine.
 */
class StallAndEngineFailureITCase {
    private static final int FRAMES = 24;
    /** Async timeout, ms: far above what a real batch of the nano model takes on a loaded machine. */
    private static final long TIMEOUT_MS = 30_000;
    /** Bound on a stall whose release never comes (broken timeout handling): the test then fails instead of hanging. */
    private static final long MAX_STALL_MS = TIMEOUT_MS + 120_000;
    private static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static final List<byte[]> images = new ArrayList<>();

    @BeforeAll
    static void loadImages() throws Exception {
        for (String name : List.of("vtest_000.jpg", "messi5.jpg", "fruits.jpg")) {
            try (InputStream in = StallAndEngineFailureITCase.class.getResourceAsStream("/flinkvision/golden/" + name)) {
                images.add(in.readAllBytes());
            }
        }
    }

    @BeforeEach
    void reset() {
        MisbehavingEngine.reset();
    }

    @Test
    void stalledBatchBecomesErrorRecordsAndLaterBatchesComplete() throws Exception {
        Run run = run(TimeoutOutput.ERROR_RECORD, MisbehavingEngine.Mode.STALL);
        int stalled = MisbehavingEngine.misbehavedBatchSizes.get(0);
        assertThat(stalled).isBetween(1, 4);
        assertThat(run.deadLetters).isEmpty();
        assertThat(run.records).hasSize(FRAMES); // one record per frame: the late result was dropped
        Map<Long, String> errors = new TreeMap<>();
        run.records.forEach((i, r) -> {
            if (!r.equals("ok")) {
                errors.put(i, r);
            }
        });
        assertThat(errors).as(slowest()).hasSize(stalled)
                .allSatisfy((i, r) -> assertThat(r).isEqualTo("error:inference-timeout"));
        long lastTimedOut = ((TreeMap<Long, String>) errors).lastKey();
        assertThat(run.records.keySet()).as("a later batch completed").anyMatch(i -> i > lastTimedOut);
        assertThat(MisbehavingEngine.lateCompletions.get()).as("the stalled batch did finish, late").isEqualTo(1);
        assertThat(run.counter("timeouts")).isEqualTo(stalled);
        assertThat(run.counter("framesIn")).isEqualTo(FRAMES);
        assertThat(run.counter("detectionRecords")).isEqualTo(FRAMES);
        assertThat(run.counter("deadLetters")).isZero();
        assertThat(run.counter("lateResults")).isEqualTo(stalled);
    }

    @Test
    void stalledBatchBecomesDeadLettersWhenConfigured() throws Exception {
        Run run = run(TimeoutOutput.DEAD_LETTER, MisbehavingEngine.Mode.STALL);
        int stalled = MisbehavingEngine.misbehavedBatchSizes.get(0);
        assertThat(run.deadLetters).as(slowest()).hasSize(stalled)
                .allSatisfy((i, r) -> assertThat(r).isEqualTo("inference-timeout"));
        assertThat(run.records).hasSize(FRAMES - stalled).allSatisfy((i, r) -> assertThat(r).isEqualTo("ok"));
        Set<Long> all = new HashSet<>(run.records.keySet());
        all.addAll(run.deadLetters.keySet());
        assertThat(all).hasSize(FRAMES);
        long lastTimedOut = run.deadLetters.keySet().stream().mapToLong(Long::longValue).max().getAsLong();
        assertThat(run.records.keySet()).as("a later batch completed").anyMatch(i -> i > lastTimedOut);
        assertThat(run.counter("timeouts")).isEqualTo(stalled);
        assertThat(run.counter("deadLetters")).isEqualTo(stalled);
        assertThat(run.counter("detectionRecords") + run.counter("deadLetters")).isEqualTo(run.counter("framesIn"))
                .isEqualTo(FRAMES);
    }

    @Test
    void failedBatchBecomesDeadLettersAndTheJobGoesOn() throws Exception {
        Run run = run(TimeoutOutput.ERROR_RECORD, MisbehavingEngine.Mode.FAIL);
        int failed = MisbehavingEngine.misbehavedBatchSizes.get(0);
        assertThat(run.deadLetters).hasSize(failed).allSatisfy((i, r) -> assertThat(r).isEqualTo("inference-failed"));
        assertThat(run.records).hasSize(FRAMES - failed).allSatisfy((i, r) -> assertThat(r).isEqualTo("ok"));
        long lastFailed = run.deadLetters.keySet().stream().mapToLong(Long::longValue).max().getAsLong();
        assertThat(run.records.keySet()).as("a later batch completed").anyMatch(i -> i > lastFailed);
        assertThat(run.counter("failedBatches")).isEqualTo(1);
        assertThat(run.counter("timeouts")).as(slowest()).isZero();
        assertThat(run.counter("detectionRecords") + run.counter("deadLetters")).isEqualTo(FRAMES);
    }

    /** Outputs of one job: frame index -> "ok" / "error:reason" (detections topic), reason (dead letters). */
    private static final class Run {
        final Map<Long, String> records = new HashMap<>();
        final Map<Long, String> deadLetters = new HashMap<>();
        String jobName;

        /** The operator's counter of this job (InMemoryReporter keeps the metrics of finished jobs). */
        long counter(String name) {
            long sum = 0;
            int found = 0;
            for (Map.Entry<MetricGroup, Map<String, Metric>> g : REPORTER.getMetricsByGroup().entrySet()) {
                for (Map.Entry<String, Metric> m : g.getValue().entrySet()) {
                    String id = g.getKey().getMetricIdentifier(m.getKey());
                    if (id.contains("." + jobName + ".") && id.endsWith("." + InferenceMetrics.GROUP + "." + name)
                            && m.getValue() instanceof Counter) {
                        sum += ((Counter) m.getValue()).getCount();
                        found++;
                    }
                }
            }
            assertThat(found).as("counter %s of job %s", name, jobName).isEqualTo(1);
            return sum;
        }
    }

    private Run run(TimeoutOutput timeoutOutput, MisbehavingEngine.Mode mode) throws Exception {
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < FRAMES; i++) {
            frames.add(new Frame("cam-stall", i, System.currentTimeMillis(), FrameEncoding.JPEG,
                    images.get(i % images.size())));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        GpuInferenceFunction function = GpuInferenceFunction.builder()
                .engineSpec(EngineSpec.builder().backend(Backend.ONNXRUNTIME).maxBatchSize(4).maxInFlight(2).build())
                .batchPolicy(new BatchPolicy(4, 20, 2))
                .timeoutOutput(timeoutOutput)
                .engineOpener(MisbehavingEngine.opener(mode, Set.of(2), MAX_STALL_MS)) // the third batch
                .build();
        SingleOutputStreamOperator<InferenceOutcome> outcomes = AsyncDataStream.orderedWait(
                env.fromData(frames), function, TIMEOUT_MS, TimeUnit.MILLISECONDS, 8).name("inference");
        SingleOutputStreamOperator<FrameDetections> detections = outcomes.process(new OutcomeRouter());
        DataStream<String> lines = detections
                .map(d -> "R|" + d.getFrameIndex() + "|" + ("ok".equals(d.getStatus()) ? "ok"
                        : d.getStatus() + ":" + d.getError().getReason())).returns(Types.STRING)
                .union(detections.getSideOutput(OutcomeRouter.DEAD_LETTERS)
                        .map(StallAndEngineFailureITCase::describe).returns(Types.STRING));
        Run run = new Run();
        run.jobName = "stall-" + mode + "-" + timeoutOutput;
        int timedOut = 0;
        try (CloseableIterator<String> it = lines.collectAsync()) {
            JobClient client = env.executeAsync(run.jobName);
            while (it.hasNext()) {
                String[] p = it.next().split("\\|", 3);
                Map<Long, String> target = p[0].equals("R") ? run.records : run.deadLetters;
                assertThat(target.put(Long.parseLong(p[1]), p[2])).as("duplicate output for frame %s", p[1]).isNull();
                if (p[2].endsWith("inference-timeout") && ++timedOut == stalledFrames()) {
                    MisbehavingEngine.releaseStalled(); // every stalled frame timed out: its real result may come now
                }
            }
            client.getJobExecutionResult().get(MAX_STALL_MS + 120_000, TimeUnit.MILLISECONDS);
        } finally {
            MisbehavingEngine.releaseStalled();
        }
        return run;
    }

    /** Frames of the first stalled batch (0 before the engine saw it). */
    private static int stalledFrames() {
        List<Integer> sizes = MisbehavingEngine.misbehavedBatchSizes;
        return sizes.isEmpty() ? 0 : sizes.get(0);
    }

    private static String slowest() {
        return "slowest normal batch " + MisbehavingEngine.slowestNormalBatchMs.get() + " ms, async timeout "
                + TIMEOUT_MS + " ms";
    }

    private static String describe(DeadLetter dl) {
        return "L|" + dl.getFrameIndex() + "|" + dl.getReason();
    }
}

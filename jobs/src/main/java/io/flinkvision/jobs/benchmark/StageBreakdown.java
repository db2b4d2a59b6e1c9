package io.flinkvision.jobs.benchmark;

import io.flinkvision.detection.DeadLetter;
import io.flinkvision.flink.kafka.DetectionSerializationSchema;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.flink.GpuInferenceFunction;
import io.flinkvision.flink.OutcomeRouter;
import io.flinkvision.frame.Frame;
import io.flinkvision.jobs.JobSettings;
import io.flinkvision.jobs.LocalCluster;
import io.flinkvision.jobs.VideoInferenceJob;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * The job graph cut after one stage, to find which stage bounds the end-to-end rate: each cut runs as a bounded job
 * (the frames topic read from the earliest to the latest offset) on a MiniCluster of its own, with the job's
 * parallelism, source, checkpoints (interval and storage) and bounded restarts, and ends in a {@link StageClock} that times every record it sees.
 *
 * <ul>
 *   <li>{@link Stage#SOURCE}: {@code KafkaSource<Frame>} with the job's deserializer, fetch sizes and
 *       {@code read_committed} -> clock. Kafka fetch and frame deserialization alone.</li>
 *   <li>{@link Stage#OPERATOR}: the source -> the inference operator (ordered async wait, the job's capacity) ->
 *       {@link OutcomeRouter} -> JSON serialization of each detection record ({@link DetectionSerializationSchema})
 *       -> clock. Everything the job does but the EXACTLY_ONCE Kafka sinks and their transactions.</li>
 * </ul>
 * The full job (with the sinks) is the benchmark's backlog phase; the three rates side by side say which stage
 * costs what. Rates are the same {@code steady} figure as the backlog's: records between the 10% and the 90% record
 * seen, per second of the time between them, so job start-up and engine load are not counted.
 *
 * <p>The clock lives in a static registry of this JVM: it works on the in-process MiniCluster this class starts,
 * not on a remote cluster.
 */
final class StageBreakdown {
    /** Where the graph is cut. */
    enum Stage {
        SOURCE("sourceFps"), OPERATOR("sourceOperatorFps");

        final String reportKey;

        Stage(String reportKey) {
            this.reportKey = reportKey;
        }
    }

    /** The figures of one stage run. */
    record Result(Stage stage, long records, double steadyFps, double seconds) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("records", records);
            m.put("steadyFps", BenchmarkCommand.round(steadyFps, 1));
            m.put("firstToLastSeconds", BenchmarkCommand.round(seconds, 2));
            return m;
        }
    }

    private StageBreakdown() {}

    /**
     * Runs the graph cut after {@code stage} until it has read every record of the frames topic.
     *
     * @param s the job's settings (frames topic, parallelism, checkpoint interval, inference.* options); a group id
     *     of its own is derived so that the job's committed offsets are not touched
     * @param expected records in the frames topic
     * @param timeoutS how long the bounded job may take, s
     * @throws IllegalStateException when the job fails, times out, or sees another number of records than expected
     */
    static Result run(Stage stage, JobSettings s, long expected, long timeoutS) throws Exception {
        String id = UUID.randomUUID().toString();
        StageClock clock = StageClock.register(id, expected);
        try {
            JobSettings cut = s.toBuilder().groupId(s.groupId() + "-stage-" + stage.name().toLowerCase())
                    .startFrom(JobSettings.StartFrom.EARLIEST).startPosition(null).stopAt(null).bounded(true)
                    .build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(
                    Math.max(1, s.parallelism()), LocalCluster.loopbackOnly());
            VideoInferenceJob.checkpointsAndRestarts(env, cut);
            if (stage == Stage.SOURCE) { // the clock chained to the source, at its parallelism
                DataStream<Frame> frames = VideoInferenceJob.frames(env, cut);
                frames.process(new Tick<Frame>(id)).name("stage clock").setParallelism(frames.getParallelism())
                        .sinkTo(new DiscardingSink<>()).setParallelism(frames.getParallelism());
            } else {
                DataStream<Frame> frames = VideoInferenceJob.framesForOperator(env, cut);
                GpuInferenceFunction function = GpuInferenceFunction.builder().configure(cut.inference()).build();
                SingleOutputStreamOperator<FrameDetections> detections = VideoInferenceJob.inference(frames,
                        function, cut.inference());
                detections.process(new SerializeAndTick(id, cut.detectionsTopic())).name("serialize + stage clock")
                        .sinkTo(new DiscardingSink<>());
                detections.getSideOutput(OutcomeRouter.DEAD_LETTERS).process(new Tick<DeadLetter>(id))
                        .name("dead-letter clock").sinkTo(new DiscardingSink<>());
            }
            JobClient job = env.executeAsync("benchmark-e2e stage " + stage.name().toLowerCase());
            try {
                job.getJobExecutionResult().get(timeoutS, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                job.cancel().get(60, TimeUnit.SECONDS);
                throw new IllegalStateException(String.format("stage %s: %d of %d records after %d s: gave up",
                        stage, clock.count(), expected, timeoutS));
            }
            if (clock.count() != expected) {
                throw new IllegalStateException(String.format("stage %s saw %d records, the topic holds %d", stage,
                        clock.count(), expected));
            }
            return new Result(stage, expected, clock.steadyFps(), clock.firstToLastSeconds());
        } finally {
            StageClock.unregister(id);
        }
    }

    /** Passes nothing on; times each record in the clock {@code id}. */
    static final class Tick<T> extends ProcessFunction<T, Void> {
        private final String id;

        Tick(String id) {
            this.id = id;
        }

        @Override
        public void processElement(T value, Context ctx, Collector<Void> out) {
            StageClock.get(id).tick();
        }
    }

    /** Serializes each detection record as the detections sink would, then times it. */
    static final class SerializeAndTick extends ProcessFunction<FrameDetections, Void> {
        private final String id;
        private final String topic;
        private transient DetectionSerializationSchema schema;
        private transient long bytes;

        SerializeAndTick(String id, String topic) {
            this.id = id;
            this.topic = topic;
        }

        @Override
        public void processElement(FrameDetections value, Context ctx, Collector<Void> out) {
            if (schema == null) {
                schema = new DetectionSerializationSchema(topic);
            }
            bytes += schema.serialize(value, null, null).value().length; // kept so the JIT cannot drop the work
            StageClock.get(id).tick();
        }
    }

    /** Record times of one stage run, shared by its subtasks in this JVM. */
    static final class StageClock {
        private static final Map<String, StageClock> CLOCKS = new ConcurrentHashMap<>();

        private final AtomicLong count = new AtomicLong();
        private final AtomicLongArray nanos;

        private StageClock(long expected) {
            nanos = new AtomicLongArray((int) Math.min(Integer.MAX_VALUE - 8, Math.max(1, expected)));
        }

        static StageClock register(String id, long expected) {
            StageClock c = new StageClock(expected);
            CLOCKS.put(id, c);
            return c;
        }

        static StageClock get(String id) {
            StageClock c = CLOCKS.get(id);
            if (c == null) {
                throw new IllegalStateException("no stage clock " + id + " in this JVM (a remote cluster?)");
            }
            return c;
        }

        static void unregister(String id) {
            CLOCKS.remove(id);
        }

        void tick() {
            long i = count.getAndIncrement();
            if (i < nanos.length()) {
                nanos.set((int) i, System.nanoTime());
            }
        }

        long count() {
            return count.get();
        }

        /** Records between the 10% and the 90% record, per second of the time between them. */
        double steadyFps() {
            int n = (int) Math.min(count.get(), nanos.length());
            if (n < 2) {
                return 0;
            }
            int lo = Math.max(0, (int) Math.ceil(0.1 * n) - 1);
            int hi = Math.max(lo + 1, Math.min(n - 1, (int) Math.floor(0.9 * n) - 1));
            long span = nanos.get(hi) - nanos.get(lo);
            return span > 0 ? (hi - lo) / (span / 1e9) : 0;
        }

        double firstToLastSeconds() {
            int n = (int) Math.min(count.get(), nanos.length());
            return n < 2 ? 0 : (nanos.get(n - 1) - nanos.get(0)) / 1e9;
        }
    }
}

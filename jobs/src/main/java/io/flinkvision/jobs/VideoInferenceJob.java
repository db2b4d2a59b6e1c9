package io.flinkvision.jobs;

import io.flinkvision.detection.DeadLetter;
import io.flinkvision.flink.kafka.DeadLetterSerializationSchema;
import io.flinkvision.flink.kafka.DetectionSerializationSchema;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.flink.GpuInferenceFunction;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.flink.OutcomeRouter;
import io.flinkvision.frame.Frame;
import io.flinkvision.flink.kafka.FrameDeserializationSchema;
import io.flinkvision.jobs.kafka.RecommitCheckingKafkaSink;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;

/**
 * The main job: {@code KafkaSource<Frame>} (frames topic) -> {@link GpuInferenceFunction} via
 * {@code AsyncDataStream.orderedWait} -> {@link OutcomeRouter} -> {@code KafkaSink<FrameDetections>} (detections
 * topic, EXACTLY_ONCE) and {@code KafkaSink<DeadLetter>} (dead-letter topic, EXACTLY_ONCE), each wrapped in
 * {@link RecommitCheckingKafkaSink}. With {@link JobSettings#tracking()} the detection records go through
 * {@link io.flinkvision.tracking.ObjectTracker} first (see {@link TrackingSinks}).
 *
 * <p>{@link #main} is the entry point of {@code flink run} (arguments: see {@link JobCommand}); {@link #build} wires
 * the same pipeline into any environment (MiniCluster demo and tests).
 */
public final class VideoInferenceJob {
    /** Kafka transactions must end before the broker's transaction.max.timeout.ms (15 min by default). */
    static final long TRANSACTION_TIMEOUT_MS = 10 * 60 * 1000L;

    private VideoInferenceJob() {}

    /**
     * Entry point for {@code flink run -c io.flinkvision.jobs.VideoInferenceJob video-inference-flink.jar ...}.
     * Never calls {@code System.exit}: under REST or web-UI submission {@code main} runs inside the JobManager, whose
     * JVM an exit would end.
     *
     * @throws IllegalStateException when the command ends with a non-zero exit code (usage error, failed start-up
     *     check, failed job); the cause was printed first
     */
    public static void main(String[] args) {
        int rc = new CommandLine(new JobCommand()).execute(args);
        if (rc != 0) {
            throw new IllegalStateException("video-inference job: exit code " + rc + " (the cause is printed above)");
        }
    }

    /**
     * Adds the job's pipeline to an environment and enables checkpointing.
     *
     * @return the detection records stream (before the sink), e.g. for tests
     * @throws IllegalArgumentException if a setting is invalid (message names it)
     */
    public static DataStream<FrameDetections> build(StreamExecutionEnvironment env, JobSettings s) {
        return build(env, s, operator -> {});
    }

    /**
     * As {@link #build(StreamExecutionEnvironment, JobSettings)}, with a hook that adjusts the inference operator
     * after the {@code inference.*} settings are applied: a custom {@link io.flinkvision.flink.EngineOpener}, or a
     * {@link io.flinkvision.flink.FailureInjector} in fault-injection tests.
     *
     * @param customizer called with the operator's builder before {@code build()}
     * @return the detection records stream (before the sink)
     * @throws IllegalArgumentException if a setting is invalid (message names it)
     */
    public static DataStream<FrameDetections> build(StreamExecutionEnvironment env, JobSettings s,
            Consumer<GpuInferenceFunction.Builder> customizer) {
        Configuration inference = s.inference();
        GpuInferenceFunction.Builder operator = GpuInferenceFunction.builder().configure(inference);
        customizer.accept(operator);
        GpuInferenceFunction function = operator.build();
        checkpointsAndRestarts(env, s);
        if (s.parallelism() > 0) {
            env.setParallelism(s.parallelism());
        }
        Properties kafka = new Properties();
        kafka.putAll(s.kafkaProperties());

        DataStream<Frame> frames = framesForOperator(env, s);
        SingleOutputStreamOperator<FrameDetections> routed = inference(frames, function, inference);
        DataStream<DeadLetter> deadLetters = routed.getSideOutput(OutcomeRouter.DEAD_LETTERS);

        // a re-commit after recovery of a transaction the broker already committed is logged at INFO, not as loss
        Properties admin = new Properties();
        admin.putAll(kafka);
        admin.put("bootstrap.servers", s.bootstrapServers());
        // --tracking: detection records get track ids; track events and window counts to their own sinks
        DataStream<FrameDetections> detections = s.tracking() ? TrackingSinks.add(routed, s, kafka, admin) : routed;
        detections.sinkTo(RecommitCheckingKafkaSink.wrap(KafkaSink.<FrameDetections>builder()
                        .setBootstrapServers(s.bootstrapServers())
                        .setKafkaProducerConfig(kafka)
                        .setRecordSerializer(new DetectionSerializationSchema(s.detectionsTopic()))
                        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                        .setTransactionalIdPrefix(s.transactionalIdPrefix() + "-detections")
                        .setProperty("transaction.timeout.ms", Long.toString(TRANSACTION_TIMEOUT_MS))
                        .build(), admin))
                .name("detections: " + s.detectionsTopic()).uid("detections-sink");
        // dead letters are bounded by construction to the size the sink's producer accepts
        DeadLetterSerializationSchema deadLetterSchema = new DeadLetterSerializationSchema(s.deadLetterTopic(),
                inference);
        deadLetters.sinkTo(RecommitCheckingKafkaSink.wrap(KafkaSink.<DeadLetter>builder()
                        .setBootstrapServers(s.bootstrapServers())
                        .setKafkaProducerConfig(kafka)
                        .setRecordSerializer(deadLetterSchema)
                        .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                        .setTransactionalIdPrefix(s.transactionalIdPrefix() + "-dlq")
                        .setProperty("transaction.timeout.ms", Long.toString(TRANSACTION_TIMEOUT_MS))
                        .setProperty("max.request.size", Integer.toString(deadLetterSchema.maxRecordBytes()))
                        .build(), admin))
                .name("dead letters: " + s.deadLetterTopic()).uid("dlq-sink");
        return detections;
    }

    /**
     * The {@link JobSettings#flinkProperties()}, then EXACTLY_ONCE checkpoints every
     * {@link JobSettings#checkpointIntervalMs()} ms, on the file system under
     * {@link JobSettings#checkpointDir()} when set (in-flight frames in the async operator's state exceed the 5 MB
     * of JobManager-memory checkpoints), and restarts bounded by {@link #boundRestarts}.
     */
    public static void checkpointsAndRestarts(StreamExecutionEnvironment env, JobSettings s) {
        if (!s.flinkProperties().isEmpty()) {
            env.configure(Configuration.fromMap(s.flinkProperties()));
        }
        env.enableCheckpointing(s.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);
        if (s.checkpointDir() != null) {
            Configuration storage = new Configuration();
            storage.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            storage.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, s.checkpointDir());
            env.configure(storage);
        }
        boundRestarts(env, s.maxRestartAttempts());
    }

    /**
     * The job's source: {@code KafkaSource<Frame>} on the frames topic ({@code read_committed}, fetches of up to 32 MiB
     * per partition for ~150 KB frame records), from {@link JobSettings#startPosition()}, bounded at {@link JobSettings#stopAt()} when set,
     * watermarks 5 s out of order, idle partitions after 30 s, at {@link JobSettings#sourceParallelism()} when set.
     * The benchmark's stage breakdown reads through it too.
     */
    public static DataStream<Frame> frames(StreamExecutionEnvironment env, JobSettings s) {
        Properties kafka = new Properties();
        kafka.putAll(s.kafkaProperties());
        KafkaSourceBuilder<Frame> source = KafkaSource.<Frame>builder()
                .setBootstrapServers(s.bootstrapServers())
                .setTopics(s.framesTopic())
                .setGroupId(s.groupId())
                .setDeserializer(new FrameDeserializationSchema())
                .setProperties(kafka)
                .setProperty("isolation.level", "read_committed")
                .setProperty("max.partition.fetch.bytes", Integer.toString(32 * 1024 * 1024))
                .setStartingOffsets(s.startPosition().initializer(s.framesTopic()));
        if (s.stopAt() != null) {
            source.setBounded(s.stopAt().initializer(s.framesTopic()));
        }
        SingleOutputStreamOperator<Frame> frames = env.fromSource(source.build(),
                WatermarkStrategy.<Frame>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                        .withIdleness(Duration.ofSeconds(30)), "frames: " + s.framesTopic())
                .uid("frames-source");
        if (s.sourceParallelism() > 0) {
            frames.setParallelism(s.sourceParallelism());
        }
        return frames;
    }

    /**
     * {@link #frames} as the operator receives them: chained when the source runs at the operator's parallelism
     * (the environment's, which {@link #build} sets from {@link JobSettings#parallelism()}), else re-distributed by Kafka partition ({@link SourcePartitionRouting}: every camera's frames stay in order on
     * one operator subtask).
     */
    public static DataStream<Frame> framesForOperator(StreamExecutionEnvironment env, JobSettings s) {
        DataStream<Frame> frames = frames(env, s);
        return s.sourceParallelism() > 0 && s.sourceParallelism() != env.getParallelism() // the operator's
                ? SourcePartitionRouting.apply(frames) : frames;
    }

    /**
     * The inference operator ({@code AsyncDataStream.orderedWait} with the {@code inference.async.*} timeout and
     * capacity) followed by {@link OutcomeRouter}: detection records on the main output, dead letters on
     * {@link OutcomeRouter#DEAD_LETTERS}.
     */
    public static SingleOutputStreamOperator<FrameDetections> inference(DataStream<Frame> frames,
            GpuInferenceFunction function, Configuration inference) {
        SingleOutputStreamOperator<InferenceOutcome> outcomes = AsyncDataStream.orderedWait(frames, function,
                        inference.get(InferenceOptions.TIMEOUT_MS), TimeUnit.MILLISECONDS,
                        inference.get(InferenceOptions.CAPACITY))
                .name("inference").uid("inference");
        return outcomes.process(new OutcomeRouter()).name("route outcomes").uid("route-outcomes");
    }

    /**
     * A failure that repeats (a sink the broker keeps refusing, a broken model) must not restart the job forever:
     * without a restart strategy, or with exponential-delay and no bound, the job gets exponential-delay with
     * {@code maxAttempts}, after which it fails with the last cause. A strategy chosen by the cluster or the
     * environment otherwise (none, fixed-delay, failure-rate, or a bound of its own) is kept.
     */
    static void boundRestarts(StreamExecutionEnvironment env, int maxAttempts) {
        ReadableConfig current = env.getConfiguration();
        String strategy = current.getOptional(RestartStrategyOptions.RESTART_STRATEGY).orElse("exponential-delay");
        boolean exponential = strategy.equalsIgnoreCase("exponential-delay") || strategy.equalsIgnoreCase("exponentialdelay");
        if (exponential && current.getOptional(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS)
                .isEmpty()) {
            Configuration restart = new Configuration();
            restart.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
            restart.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, maxAttempts);
            env.configure(restart);
        }
    }
}

package io.flinkvision.jobs;

import io.flinkvision.jobs.cli.InferenceCheck;
import io.flinkvision.jobs.cli.InferenceFlags;
import io.flinkvision.jobs.cli.OptionValues;
import io.flinkvision.jobs.kafka.StartPosition;
import io.flinkvision.jobs.kafka.StopPosition;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code job}: runs {@link VideoInferenceJob} against an external Kafka, in whatever Flink environment the process
 * is in (the cluster under {@code flink run}, a local MiniCluster under {@code java -jar}).
 */
@Command(name = "job", mixinStandardHelpOptions = true,
        description = "Run the video inference job: frames topic -> batched inference -> detections topic"
                + " (EXACTLY_ONCE) + dead-letter topic.")
public class JobCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;
    @Option(names = "--frames-topic", defaultValue = "frames", description = "Input topic (default: ${DEFAULT-VALUE}).")
    String framesTopic;
    @Option(names = "--detections-topic", defaultValue = "detections",
            description = "Detections topic (default: ${DEFAULT-VALUE}).")
    String detectionsTopic;
    @Option(names = "--dead-letter-topic", defaultValue = "frames-dlq",
            description = "Dead-letter topic (default: ${DEFAULT-VALUE}).")
    String deadLetterTopic;
    @Option(names = "--group-id", defaultValue = "video-inference", description = "Consumer group id.")
    String groupId;
    @Option(names = "--start-from", defaultValue = "committed", description = "Where to read frames from: earliest,"
            + " latest, committed (the group's offsets, else earliest; default), timestamp:<epoch-ms or ISO-8601>"
            + " or offsets:<partition>:<offset>,... (replay).", converter = StartConverter.class)
    StartPosition startFrom;
    @Option(names = "--stop-at", description = "Stop (bounded run) at latest, timestamp:<epoch-ms or ISO-8601> or"
            + " offsets:<partition>:<offset>,... (exclusive): with --start-from, a past range to re-score.",
            converter = StopConverter.class)
    StopPosition stopAt;
    @Option(names = "--bounded", description = "Stop at the offsets latest at start instead of running forever.")
    boolean bounded;
    @Option(names = "--checkpoint-interval-ms", defaultValue = "1000", converter = OptionValues.PositiveLong.class,
            description = "Checkpoint interval (ms).")
    long checkpointIntervalMs;
    @Option(names = "--checkpoint-dir", description = "Checkpoint directory URI (default: the cluster's checkpoint"
            + " storage).")
    String checkpointDir;
    @Option(names = "--transactional-id-prefix", defaultValue = "video-inference",
            description = "Prefix of the Kafka sinks' transactional ids (unique per job on a cluster).")
    String transactionalIdPrefix;
    @Option(names = "--parallelism", defaultValue = "0", converter = OptionValues.NonNegativeInt.class,
            description = "Job parallelism (0 = environment default).")
    int parallelism;
    @Option(names = "--source-parallelism", defaultValue = "0", converter = OptionValues.NonNegativeInt.class,
            description = "Parallelism of the Kafka source alone (0 = the job's); another value sends each Kafka"
                    + " partition to one operator subtask (per-camera order kept).")
    int sourceParallelism;
    @Option(names = "--max-restart-attempts", defaultValue = "" + JobSettings.DEFAULT_MAX_RESTART_ATTEMPTS,
            converter = OptionValues.PositiveInt.class,
            description = "Restarts before the job fails for good (exponential-delay; the count resets after an hour"
                    + " without failure; a cluster's other restart strategy is kept) (default: ${DEFAULT-VALUE}).")
    int maxRestartAttempts;
    @Mixin
    InferenceFlags inference;
    // read through inference.options(): InferenceFlags.FLAG_OPTIONS maps them onto their keys
    @Option(names = "--timeout-ms", paramLabel = "MS", converter = OptionValues.PositiveLong.class,
            description = "Async timeout per frame, ms (default: ${DEFAULT-VALUE}).")
    Long timeoutMs;
    @Option(names = "--capacity", paramLabel = "N", converter = OptionValues.PositiveInt.class,
            description = "Async operator capacity per subtask (default: ${DEFAULT-VALUE}).")
    Integer capacity;
    @Option(names = "--kafka-property", description = "Kafka client property key=value for source and sinks"
            + " (security.protocol, sasl.*, ssl.*).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();
    @Option(names = "--flink-property", paramLabel = "KEY=VALUE", description = "Flink configuration entry for"
            + " the job's environment, e.g. pipeline.object-reuse=true (repeatable).")
    Map<String, String> flinkProperties = new LinkedHashMap<>();
    @Option(names = "--skip-topic-check", description = "Do not check at start-up that the topics exist.")
    boolean skipTopicCheck;
    @Option(names = "--skip-model-check", description = "Do not open the model on the client at start-up (when the"
            + " model path exists only on the TaskManagers).")
    boolean skipModelCheck;

    @Option(names = "--tracking", description = "Track objects per camera (ByteTrack, keyed state): trackId on"
            + " detections, lifecycle events to --tracks-topic; tracking.* options as -D (README, Tracking).")
    boolean tracking;
    @Option(names = "--tracks-topic", defaultValue = "tracks", description = "Track events topic (default:"
            + " ${DEFAULT-VALUE}).")
    String tracksTopic;
    @Option(names = "--analytics-config", description = "Lines and zones per camera (JSON or YAML file, needs"
            + " --tracking): crossing counts, occupancy and dwell per window to --analytics-topic.")
    String analyticsConfig;
    @Option(names = "--analytics-topic", defaultValue = "analytics", description = "Analytics topic (default:"
            + " ${DEFAULT-VALUE}).")
    String analyticsTopic;

    /** Where start-up check failures are reported (one line); tests redirect it. */
    PrintStream err = System.err;

    /** The settings these options describe. */
    public JobSettings settings() {
        Map<String, String> inf = inference.options();
        return JobSettings.builder()
                .bootstrapServers(bootstrapServers).framesTopic(framesTopic).detectionsTopic(detectionsTopic)
                .deadLetterTopic(deadLetterTopic).groupId(groupId).bounded(bounded)
                .checkpointIntervalMs(checkpointIntervalMs).transactionalIdPrefix(transactionalIdPrefix)
                .parallelism(parallelism).sourceParallelism(sourceParallelism).kafkaProperties(kafkaProperties)
                .flinkProperties(flinkProperties).inference(inf)
                .checkTopics(!skipTopicCheck).checkpointDir(checkpointDir).maxRestartAttempts(maxRestartAttempts)
                .startPosition(startFrom).stopAt(stopAt)
                .tracking(tracking).tracksTopic(tracksTopic).analyticsConfig(analyticsConfig)
                .analyticsTopic(analyticsTopic).build();
    }

    @Override
    public Integer call() throws Exception {
        JobSettings s;
        try { // start-up checks: one clear line naming the setting to fix, exit code 2, nothing submitted
            s = settings();
            InferenceCheck.checkOptions(s.inference());
            if (!skipModelCheck) {
                ModelPreflight.check(s.inference());
            }
            if (s.checkTopics()) {
                KafkaPreflight.check(s.bootstrapServers(), s.kafkaProperties(), Map.of(s.framesTopic(),
                        "--frames-topic", s.detectionsTopic(), "--detections-topic", s.deadLetterTopic(),
                        "--dead-letter-topic"), 15_000);
            }
            if (s.analyticsConfig() != null) {
                TrackingSinks.analyticsConfig(s);
            }
            if (s.tracking() && s.checkTopics()) {
                KafkaPreflight.check(s.bootstrapServers(), s.kafkaProperties(), s.analyticsConfig() == null
                        ? Map.of(s.tracksTopic(), "--tracks-topic")
                        : Map.of(s.tracksTopic(), "--tracks-topic", s.analyticsTopic(), "--analytics-topic"), 15_000);
            }
        } catch (IllegalArgumentException | IllegalStateException | KafkaException e) {
            err.println("job: " + e.getMessage());
            return 2;
        }
        // java -jar: the local MiniCluster's REST endpoint and blob server on 127.0.0.1 only (Flink: all interfaces)
        StreamExecutionEnvironment env =
                LocalCluster.loopbackIfLocal(StreamExecutionEnvironment.getExecutionEnvironment());
        if (s.checkpointDir() == null && env instanceof LocalStreamEnvironment) {
            // java -jar: a MiniCluster with JobManager-heap checkpoints (5 MB) cannot hold the operator's queued frames
            String dir = Files.createTempDirectory("flinkvision-checkpoints-").toUri().toString();
            System.err.println("job: local MiniCluster, checkpoints in " + dir + " (set --checkpoint-dir to choose)");
            s = s.toBuilder().checkpointDir(dir).build();
        }
        VideoInferenceJob.build(env, s);
        String name = "video-inference " + s.framesTopic() + " -> " + s.detectionsTopic();
        if (!(env instanceof LocalStreamEnvironment)) {
            env.execute(name); // a cluster: engine progress is in the TaskManager log and the engine gauges
            return 0;
        }
        // java -jar: the TaskManager is in this JVM, so its engines' progress (a first-run TensorRT build) is shown here
        JobClient client = env.executeAsync(name);
        EngineConsole engines = new EngineConsole(client.getJobID().toString(),
                s.parallelism() > 0 ? s.parallelism() : env.getParallelism(), err, "job: ");
        ScheduledExecutorService printer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "job-engine-console");
            t.setDaemon(true);
            return t;
        });
        printer.scheduleWithFixedDelay(engines::poll, 0, 1, TimeUnit.SECONDS);
        try {
            client.getJobExecutionResult().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        } finally {
            printer.shutdownNow();
            engines.clear();
        }
        return 0;
    }

    /** {@code --start-from} parsed when the command line is (a bad value is a one-line usage error). */
    static final class StartConverter implements CommandLine.ITypeConverter<StartPosition> {
        @Override
        public StartPosition convert(String value) {
            try {
                return StartPosition.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --stop-at} parsed when the command line is. */
    static final class StopConverter implements CommandLine.ITypeConverter<StopPosition> {
        @Override
        public StopPosition convert(String value) {
            try {
                return StopPosition.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}

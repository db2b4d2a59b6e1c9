package io.flinkvision.jobs;

import io.flinkvision.jobs.kafka.StartPosition;
import io.flinkvision.jobs.kafka.StopPosition;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.configuration.Configuration;

/**
 * Settings of {@link VideoInferenceJob}: Kafka endpoints and topics, checkpointing, and the operator's
 * {@link io.flinkvision.flink.InferenceOptions} (in {@link #inference()}). Build with {@link #builder()}.
 */
public final class JobSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Default of {@link #maxRestartAttempts()}. */
    public static final int DEFAULT_MAX_RESTART_ATTEMPTS = 10;

    /** Where the source starts when the consumer group has no committed offset. */
    public enum StartFrom { EARLIEST, LATEST, COMMITTED_OR_EARLIEST }

    private final String bootstrapServers;
    private final String framesTopic;
    private final String detectionsTopic;
    private final String deadLetterTopic;
    private final String groupId;
    private final StartFrom startFrom;
    private final boolean bounded;
    private final long checkpointIntervalMs;
    private final String transactionalIdPrefix;
    private final int parallelism;
    private final int sourceParallelism;
    private final Map<String, String> kafkaProperties;
    private final Map<String, String> flinkProperties;
    private final Map<String, String> inference;
    private final boolean checkTopics;
    private final String checkpointDir;
    private final int maxRestartAttempts;
    private final StartPosition startPosition;
    private final StopPosition stopAt;
    // tracking (issue 20)
    private final boolean tracking;
    private final String tracksTopic;
    private final String analyticsTopic;
    private final String analyticsConfig;

    private JobSettings(Builder b) {
        this.bootstrapServers = b.bootstrapServers;
        this.framesTopic = b.framesTopic;
        this.detectionsTopic = b.detectionsTopic;
        this.deadLetterTopic = b.deadLetterTopic;
        this.groupId = b.groupId;
        this.startFrom = b.startFrom;
        this.bounded = b.bounded;
        this.checkpointIntervalMs = b.checkpointIntervalMs;
        this.transactionalIdPrefix = b.transactionalIdPrefix;
        this.parallelism = b.parallelism;
        this.sourceParallelism = b.sourceParallelism;
        this.kafkaProperties = Map.copyOf(b.kafkaProperties);
        this.flinkProperties = Map.copyOf(b.flinkProperties);
        this.inference = Map.copyOf(b.inference);
        this.checkTopics = b.checkTopics;
        this.checkpointDir = b.checkpointDir;
        this.maxRestartAttempts = b.maxRestartAttempts;
        this.startPosition = b.startPosition;
        this.stopAt = b.stopAt;
        this.tracking = b.tracking;
        this.tracksTopic = b.tracksTopic;
        this.analyticsTopic = b.analyticsTopic;
        this.analyticsConfig = b.analyticsConfig;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String bootstrapServers() { return bootstrapServers; }
    public String framesTopic() { return framesTopic; }
    public String detectionsTopic() { return detectionsTopic; }
    public String deadLetterTopic() { return deadLetterTopic; }
    public String groupId() { return groupId; }
    public StartFrom startFrom() { return startFrom; }
    /** Stop at the offsets that are latest when the job starts (tests, batch replays) instead of running forever. */
    public boolean bounded() { return bounded; }
    /** Checkpoint interval in ms; EXACTLY_ONCE output is committed at each checkpoint. */
    public long checkpointIntervalMs() { return checkpointIntervalMs; }
    public String transactionalIdPrefix() { return transactionalIdPrefix; }
    /** Job parallelism; 0 keeps the environment's default. */
    public int parallelism() { return parallelism; }
    /**
     * Parallelism of the frames source alone ({@code --source-parallelism}); 0 runs it at {@link #parallelism()},
     * chained to the operator. A different value puts a partitioner between them that sends every Kafka partition
     * to one operator subtask (per-camera order kept, see {@link VideoInferenceJob#frames}).
     */
    public int sourceParallelism() { return sourceParallelism; }
    /** Extra Kafka client properties for the source and both sinks (security.protocol, sasl.*, ssl.*...). */
    public Map<String, String> kafkaProperties() { return kafkaProperties; }
    /**
     * Flink configuration entries for the job's environment ({@code --flink-property}, e.g.
     * {@code pipeline.object-reuse=true}), applied before the job's own checkpoint and restart settings.
     */
    public Map<String, String> flinkProperties() { return flinkProperties; }
    /** {@code inference.*} options as strings. */
    public Map<String, String> inferenceOptions() { return inference; }
    /** Whether to check at start-up that the three topics exist (fail fast with a clear message). */
    public boolean checkTopics() { return checkTopics; }

    /**
     * Checkpoint directory URI (e.g. {@code file:///var/flink/checkpoints}, {@code s3://bucket/ckpt}); null keeps the
     * cluster's checkpoint storage. The async operator's queued frames are part of each checkpoint (MBs), more than
     * the JobManager heap storage accepts by default (5 MB), so local runs set one.
     */
    public String checkpointDir() { return checkpointDir; }

    /**
     * Restarts the job may make before it fails for good (Flink's exponential-delay restart strategy, option
     * {@code restart-strategy.exponential-delay.attempts-before-reset-backoff}; the count starts again after the job
     * ran an hour without failing). Applied when the environment names no restart strategy or exponential-delay
     * without a bound; another strategy set on the cluster or environment (none, fixed-delay...) is kept.
     */
    public int maxRestartAttempts() { return maxRestartAttempts; }

    /** Where the frames source starts ({@code --start-from}): the position set, else {@link #startFrom()}'s. */
    public StartPosition startPosition() { return startPosition != null ? startPosition : StartPosition.of(startFrom); }

    /**
     * Where a bounded run stops ({@code --stop-at}): the position set, else {@link StopPosition#LATEST} when
     * {@link #bounded()}; null for an unbounded job.
     */
    public StopPosition stopAt() { return stopAt != null ? stopAt : bounded ? StopPosition.LATEST : null; }
    /**
     * Whether detection records are tracked ({@code io.flinkvision.tracking.ObjectTracker}: {@code trackId} on
     * detections, lifecycle events to {@link #tracksTopic()}); {@code tracking.*} options come from
     * {@link #inferenceOptions()} ({@code -D}).
     */
    public boolean tracking() { return tracking; }
    /** Topic of the track lifecycle events (EXACTLY_ONCE), with {@link #tracking()}. */
    public String tracksTopic() { return tracksTopic; }
    /** Topic of the line/zone counts per window (EXACTLY_ONCE), with {@link #analyticsConfig()}. */
    public String analyticsTopic() { return analyticsTopic; }
    /** Path of the analytics config file (JSON or YAML; read when the job is built), or null for none. */
    public String analyticsConfig() { return analyticsConfig; }

    /** The inference options as a Flink {@link Configuration}. */
    public Configuration inference() {
        return Configuration.fromMap(inference);
    }

    /** A builder holding these settings, to derive a variant. */
    public Builder toBuilder() {
        return new Builder().bootstrapServers(bootstrapServers).framesTopic(framesTopic)
                .detectionsTopic(detectionsTopic).deadLetterTopic(deadLetterTopic).groupId(groupId)
                .startFrom(startFrom).bounded(bounded).checkpointIntervalMs(checkpointIntervalMs)
                .transactionalIdPrefix(transactionalIdPrefix).parallelism(parallelism)
                .sourceParallelism(sourceParallelism).kafkaProperties(kafkaProperties)
                .flinkProperties(flinkProperties).inference(inference).checkTopics(checkTopics)
                .checkpointDir(checkpointDir).maxRestartAttempts(maxRestartAttempts)
                .startPosition(startPosition).stopAt(stopAt)
                .tracking(tracking).tracksTopic(tracksTopic).analyticsTopic(analyticsTopic)
                .analyticsConfig(analyticsConfig);
    }

    /** The Kafka consumer group of the frames source unless set ({@code --group-id}). */
    public static final String DEFAULT_GROUP_ID = "video-inference";

    /** Builder with defaults: topics frames / detections / frames-dlq, 1 s checkpoints, committed-or-earliest. */
    public static final class Builder {
        private String bootstrapServers;
        private String framesTopic = "frames";
        private String detectionsTopic = "detections";
        private String deadLetterTopic = "frames-dlq";
        private String groupId = DEFAULT_GROUP_ID;
        private StartFrom startFrom = StartFrom.COMMITTED_OR_EARLIEST;
        private boolean bounded;
        private long checkpointIntervalMs = 1000;
        private String transactionalIdPrefix = "video-inference";
        private int parallelism;
        private int sourceParallelism;
        private final Map<String, String> kafkaProperties = new LinkedHashMap<>();
        private final Map<String, String> flinkProperties = new LinkedHashMap<>();
        private final Map<String, String> inference = new LinkedHashMap<>();
        private boolean checkTopics = true;
        private String checkpointDir;
        private int maxRestartAttempts = DEFAULT_MAX_RESTART_ATTEMPTS;
        private StartPosition startPosition;
        private StopPosition stopAt;
        private boolean tracking;
        private String tracksTopic = "tracks";
        private String analyticsTopic = "analytics";
        private String analyticsConfig;

        public Builder bootstrapServers(String v) { this.bootstrapServers = v; return this; }
        public Builder framesTopic(String v) { this.framesTopic = v; return this; }
        public Builder detectionsTopic(String v) { this.detectionsTopic = v; return this; }
        public Builder deadLetterTopic(String v) { this.deadLetterTopic = v; return this; }
        public Builder groupId(String v) { this.groupId = v; return this; }
        public Builder startFrom(StartFrom v) { this.startFrom = v; return this; }
        public Builder bounded(boolean v) { this.bounded = v; return this; }
        public Builder checkpointIntervalMs(long v) { this.checkpointIntervalMs = v; return this; }
        public Builder transactionalIdPrefix(String v) { this.transactionalIdPrefix = v; return this; }
        public Builder parallelism(int v) { this.parallelism = v; return this; }
        public Builder sourceParallelism(int v) { this.sourceParallelism = v; return this; }
        public Builder kafkaProperty(String k, String v) { this.kafkaProperties.put(k, v); return this; }
        public Builder kafkaProperties(Map<String, String> m) { this.kafkaProperties.putAll(m); return this; }
        public Builder flinkProperties(Map<String, String> m) { this.flinkProperties.putAll(m); return this; }
        /** Sets an {@code inference.*} option, e.g. {@code inference(InferenceOptions.MAX_BATCH_SIZE.key(), "8")}. */
        public Builder inference(String key, String value) { this.inference.put(key, value); return this; }
        public Builder inference(Map<String, String> m) { this.inference.putAll(m); return this; }
        public Builder checkTopics(boolean v) { this.checkTopics = v; return this; }
        public Builder checkpointDir(String v) { this.checkpointDir = v; return this; }
        public Builder maxRestartAttempts(int v) { this.maxRestartAttempts = v; return this; }
        /** Start position, winning over {@link #startFrom}; null keeps {@link #startFrom}'s. */
        public Builder startPosition(StartPosition v) { this.startPosition = v; return this; }
        /** Stop position of a bounded run (a replay range); null: unbounded unless {@link #bounded}. */
        public Builder stopAt(StopPosition v) { this.stopAt = v; return this; }
        public Builder tracking(boolean v) { this.tracking = v; return this; }
        public Builder tracksTopic(String v) { this.tracksTopic = v; return this; }
        public Builder analyticsTopic(String v) { this.analyticsTopic = v; return this; }
        public Builder analyticsConfig(String v) { this.analyticsConfig = v; return this; }

        /** @throws IllegalArgumentException naming the missing or bad setting */
        public JobSettings build() {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("--bootstrap-servers is required");
            }
            Objects.requireNonNull(framesTopic, "--frames-topic");
            if (framesTopic.equals(detectionsTopic) || framesTopic.equals(deadLetterTopic)
                    || detectionsTopic.equals(deadLetterTopic)) {
                throw new IllegalArgumentException("frames, detections and dead-letter topics must differ: "
                        + framesTopic + ", " + detectionsTopic + ", " + deadLetterTopic);
            }
            if (checkpointIntervalMs < 10) {
                throw new IllegalArgumentException("--checkpoint-interval-ms must be >= 10 (EXACTLY_ONCE output is"
                        + " committed on checkpoints), got " + checkpointIntervalMs);
            }
            if (parallelism < 0 || sourceParallelism < 0) {
                throw new IllegalArgumentException("--parallelism and --source-parallelism must be >= 0 (0: the"
                        + " default), got " + parallelism + " and " + sourceParallelism);
            }
            if (maxRestartAttempts < 1) { // Flink's exponential-delay strategy refuses 0 when the job starts
                throw new IllegalArgumentException("--max-restart-attempts must be >= 1, got " + maxRestartAttempts);
            }
            if (stopAt != null) {
                if (bounded && !stopAt.equals(StopPosition.LATEST)) {
                    throw new IllegalArgumentException("--bounded (stop at latest) and --stop-at " + stopAt
                            + " both given: keep one");
                }
                stopAt.checkAfter(startPosition != null ? startPosition : StartPosition.of(startFrom));
            }
            if (analyticsConfig != null && !tracking) {
                throw new IllegalArgumentException("--analytics-config needs --tracking (lines and zones count tracks)");
            }
            if (tracking && java.util.Set.of(framesTopic, detectionsTopic, deadLetterTopic).contains(tracksTopic)
                    || analyticsConfig != null && (java.util.Set.of(framesTopic, detectionsTopic, deadLetterTopic,
                            tracksTopic).contains(analyticsTopic))) {
                throw new IllegalArgumentException("--tracks-topic and --analytics-topic must differ from the other"
                        + " topics: " + tracksTopic + ", " + analyticsTopic);
            }
            return new JobSettings(this);
        }
    }
}

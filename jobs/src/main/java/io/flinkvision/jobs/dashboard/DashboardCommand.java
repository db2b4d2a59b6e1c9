package io.flinkvision.jobs.dashboard;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code dashboard} subcommand: serves the live detections dashboard until the process is stopped (Ctrl-C,
 * SIGTERM).
 *
 * <pre>
 * java -jar video-inference.jar dashboard --bootstrap-servers localhost:9092 [--port 8088] [--host 127.0.0.1]
 *     [--detections-topic detections] [--frames-topic frames] [--dead-letter-topic frames-dlq]
 *     [--analytics-topic analytics] [--analytics-config lines.yaml]
 *     [--stalled-after-s 30] [--offline-after-s 120] [--consumer-property security.protocol=SSL ...]
 *     [--flink-rest-url http://jobmanager:8081] [--group-id video-inference] [--job-name NAME] [--input-stall-s 30]
 * </pre>
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = {
            "Serves a live web page of the detections topic: per camera the latest frame with its boxes, frames/s,",
            "end-to-end latency p50/p99 over the last minute and objects per label over time (Server-Sent Events).",
            "For a wall of cameras: live cameras first, stalled/offline by wall clock, pipeline totals, a panel of the",
            "dead-letter topic by reason, search, click to enlarge, class/score filter of the boxes.",
            "With job --tracking: track ids and trails on the boxes; with --analytics-config the camera's lines and",
            "zones over the frame, and the counts of the analytics topic (crossings by direction, zone occupancy).",
            "Reads the detections, frames and dead-letter topics with isolation.level=read_committed and no consumer",
            "group.",
            "With --flink-rest-url and --group-id it also shows the job's state, restarts, input lag and committed",
            "records/s, with a red banner while the job is not RUNNING or its input lag grows with nothing committed."})
public final class DashboardCommand implements Callable<Integer> {

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--detections-topic", defaultValue = DetectionsDashboard.DEFAULT_DETECTIONS_TOPIC,
            description = "Topic of the detection records (JSON). Default: ${DEFAULT-VALUE}.")
    String detectionsTopic;

    @Option(names = "--frames-topic", defaultValue = DetectionsDashboard.DEFAULT_FRAMES_TOPIC,
            description = "Topic of the frames (key = camera id, value = JPEG). Default: ${DEFAULT-VALUE}.")
    String framesTopic;

    @Option(names = "--dead-letter-topic", defaultValue = DetectionsDashboard.DEFAULT_DEAD_LETTER_TOPIC,
            description = "Topic of the dead letters (the job's --dead-letter-topic): counts per reason and the newest "
                    + "with their source coordinates. Empty: none. Default: ${DEFAULT-VALUE}.")
    String deadLetterTopic;

    @Option(names = "--analytics-topic", defaultValue = DetectionsDashboard.DEFAULT_ANALYTICS_TOPIC,
            description = "Topic of the line/zone counts per window (the job's --analytics-topic). Empty: none. "
                    + "Default: ${DEFAULT-VALUE}.")
    String analyticsTopic;

    @Option(names = "--analytics-config", paramLabel = "FILE",
            description = "The job's --analytics-config (JSON, or YAML for .yaml/.yml): draw each camera's lines and "
                    + "zones over its frame. Default: counts only, no geometry.")
    java.nio.file.Path analyticsConfig;

    @Option(names = "--stalled-after-s", paramLabel = "SECONDS",
            defaultValue = "" + DetectionsDashboard.DEFAULT_STALLED_AFTER_S,
            description = "A camera without a detection record for this long (wall clock) is shown stalled. "
                    + "Longer than the job's checkpoint interval. Default: ${DEFAULT-VALUE}.")
    int stalledAfterSeconds;

    @Option(names = "--offline-after-s", paramLabel = "SECONDS",
            defaultValue = "" + DetectionsDashboard.DEFAULT_OFFLINE_AFTER_S,
            description = "A camera without any record (detection record, frame or dead letter) for this long is "
                    + "shown offline. More than --stalled-after-s. Default: ${DEFAULT-VALUE}.")
    int offlineAfterSeconds;

    @Option(names = "--host", defaultValue = DetectionsDashboard.DEFAULT_HOST,
            description = "Address to bind. Default: ${DEFAULT-VALUE} (this machine only; the page has no "
                    + "authentication, use 0.0.0.0 only behind a trusted network or proxy).")
    String host;

    @Option(names = "--port", defaultValue = "" + DetectionsDashboard.DEFAULT_PORT,
            description = "HTTP port, 0 for any free port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--consumer-property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka consumer setting, repeatable (e.g. security.protocol=SASL_SSL, "
                    + "sasl.jaas.config=...). isolation.level stays read_committed.")
    Map<String, String> consumerProperties = new LinkedHashMap<>();

    @Option(names = "--from-beginning",
            description = "Read both topics from their beginning instead of only new records.")
    boolean fromBeginning;

    @Option(names = "--frame-cache-mb", defaultValue = "" + DetectionsDashboard.DEFAULT_FRAME_CACHE_MB,
            description = "MiB of frame images kept to match detection records, which arrive when the job's "
                    + "checkpoint commits (EXACTLY_ONCE). Default: ${DEFAULT-VALUE}.")
    int frameCacheMb;

    @Option(names = "--flink-rest-url", paramLabel = "URL",
            description = "Flink JobManager REST address (e.g. http://jobmanager:8081): show the job's state "
                    + "(RUNNING, RESTARTING, FAILED...) and restarts. Default: not shown.")
    String flinkRestUrl;

    @Option(names = "--job-name", description = "Name of the Flink job to watch. Default: the newest job.")
    String jobName;

    @Option(names = "--group-id", paramLabel = "GROUP",
            description = "The job's Kafka consumer group: show the frames topic's input lag (log-end minus "
                    + "committed offsets). Default: not shown.")
    String groupId;

    @Option(names = "--input-stall-s", paramLabel = "SECONDS",
            defaultValue = "" + DetectionsDashboard.DEFAULT_INPUT_STALL_S,
            description = "With --group-id: the page shows an outage when the input lag grew for this long and no "
                    + "detection record was committed in it. Must exceed the job's checkpoint interval; at least 4. "
                    + "Default: ${DEFAULT-VALUE}.")
    int inputStallSeconds;

    /**
     * Starts the dashboard, prints its address and blocks until the JVM shuts down. Returns 0.
     *
     * @throws java.io.IOException if the analytics config cannot be read or the port cannot be bound
     * @throws IllegalArgumentException for an invalid option value or analytics config
     */
    @Override
    public Integer call() throws Exception {
        DetectionsDashboard dashboard = DetectionsDashboard.builder()
                .bootstrapServers(bootstrapServers)
                .detectionsTopic(detectionsTopic)
                .framesTopic(framesTopic)
                .deadLetterTopic(deadLetterTopic)
                .analyticsTopic(analyticsTopic)
                .analyticsConfig(analyticsConfig == null ? null
                        : io.flinkvision.tracking.analytics.AnalyticsConfig.load(analyticsConfig))
                .stalledAfter(java.time.Duration.ofSeconds(stalledAfterSeconds))
                .offlineAfter(java.time.Duration.ofSeconds(offlineAfterSeconds))
                .host(host)
                .port(port)
                .consumerProperties(consumerProperties)
                .fromBeginning(fromBeginning)
                .frameCacheBytes(frameCacheMb * 1024L * 1024L)
                .flinkRestUrl(flinkRestUrl)
                .jobName(jobName)
                .consumerGroup(groupId)
                .inputStallWindow(java.time.Duration.ofSeconds(inputStallSeconds))
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(dashboard::close, "dashboard-shutdown"));
        System.out.println("Dashboard: " + dashboard.uri() + "  (Ctrl-C to stop)");
        dashboard.awaitTermination();
        return 0;
    }
}

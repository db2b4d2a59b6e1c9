package io.flinkvision.jobs.demo;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.flink.InferenceProfile;
import io.flinkvision.jobs.EngineConsole;
import io.flinkvision.jobs.ExplicitOptions;
import io.flinkvision.jobs.JobSettings;
import io.flinkvision.jobs.LocalCluster;
import io.flinkvision.jobs.TaskManagerWatch;
import io.flinkvision.jobs.VideoInferenceJob;
import io.flinkvision.jobs.cli.InferenceCheck;
import io.flinkvision.jobs.cli.InferenceFlags;
import io.flinkvision.jobs.cli.OptionValues;
import io.flinkvision.jobs.dashboard.DetectionsDashboard;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.metrics.PrometheusMetrics;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: the whole product on one machine, no Docker: an in-process Kafka broker (KRaft), a Flink MiniCluster
 * running {@link VideoInferenceJob}, a producer streaming a clip (default: the shipped {@code vtest.avi}) as JPEG
 * frames, and a {@code read_committed} consumer of the detections and dead-letter topics. Prints progress while it
 * runs and writes the report ({@link DemoReport}) at the end.
 *
 * <p>Optionally also Flink's Prometheus reporter ({@code --metrics-port}: the operator's metrics at
 * {@code http://127.0.0.1:PORT/metrics}, docs/METRICS.md) and the live dashboard ({@code --dashboard}, on
 * {@code http://127.0.0.1:8088/}); {@code --linger-s} keeps both (and the job) up after the clip has been processed.
 *
 * <p>Every option and the input (it must open) are checked before anything starts: a bad one is a one-line usage
 * error, exit code 2, and no report. Every run that started writes its report, with {@code status} {@code passed}
 * (exit code 0) or {@code failed} and the {@code cause} (exit code 1); see {@link DemoReport}.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the clip through an embedded Kafka and the Flink job on a MiniCluster; print progress and a"
                + " report.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every frame came out; report status passed",
            "1:the run failed; report status failed, with the cause",
            "2:usage error (bad option value, input that does not open); nothing started, no report"})
public class DemoCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DemoCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--input", description = "Video file, RTSP/HTTP URL or image folder (default: data/vtest.avi,"
            + " else the clip inside the jar).")
    String input;
    @Option(names = "--max-frames", defaultValue = "0", converter = OptionValues.NonNegativeLong.class, description = "Stop after N frames (0 = whole input).")
    long maxFrames;
    @Option(names = "--fps", converter = OptionValues.NonNegativeDouble.class, description = "Producer pacing in frames/s (default: the clip's own rate; 0 = as fast"
            + " as possible).")
    Double fps;
    @Option(names = "--camera-id", defaultValue = "cam-0", description = "Camera id of the frames.")
    String cameraId;
    @Option(names = "--report", defaultValue = "demo-report.json", description = "Report file (JSON), written by"
            + " every run that started, with status passed or failed (default: ${DEFAULT-VALUE}).")
    Path report;
    @Mixin
    InferenceFlags inference;
    @Option(names = "--parallelism", defaultValue = "1", converter = OptionValues.PositiveInt.class,
            description = "Parallelism of the job (default: ${DEFAULT-VALUE}).")
    int parallelism;
    @Option(names = "--partitions", defaultValue = "2", converter = OptionValues.PositiveInt.class,
            description = "Partitions of the frames topic (default: ${DEFAULT-VALUE}).")
    int partitions;
    @Option(names = "--checkpoint-interval-ms", defaultValue = "1000", converter = OptionValues.PositiveLong.class,
            description = "Checkpoint interval, ms, >= 10 (default: ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;
    @Option(names = "--drain-timeout-s", defaultValue = "180", converter = OptionValues.PositiveLong.class,
            description = "How long to wait for the last outputs once the producer has finished and every"
                    + " subtask's engine is ready (a first-run TensorRT build is not counted), s.")
    long drainTimeoutS;
    @Option(names = "--taskmanager-timeout-s", defaultValue = "120", converter = OptionValues.PositiveLong.class,
            description = "How long the MiniCluster's"
            + " TaskManager may take to register; the demo ends with the cause at once when it fails (default:"
            + " ${DEFAULT-VALUE}).")
    long taskManagerTimeoutS;
    @Option(names = "--metrics-port", converter = OptionValues.Port.class, description = "Enable Flink's Prometheus reporter on this port: the operator's"
            + " metrics at http://127.0.0.1:PORT/metrics (the reporter binds all interfaces; it has no host option).")
    Integer metricsPort;
    @Option(names = "--dashboard", description = "Start the live detections dashboard (see --dashboard-port).")
    boolean dashboard;
    @Option(names = "--dashboard-port", defaultValue = "8088", converter = OptionValues.PortOrAny.class,
            description = "Port of the dashboard on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int dashboardPort;
    @Option(names = "--tracking", description = "Track people and cars (trackId on detections, track events to the"
            + " topic tracks) and count crossings of two lines and a zone on the clip (analytics-vtest.yaml in the jar)"
            + " per 10 s window to the topic analytics; a summary line at the end.")
    boolean tracking;
    @Option(names = "--linger-s", defaultValue = "0", converter = OptionValues.NonNegativeLong.class,
            description = "Keep the job, the dashboard and the metrics endpoint up this many seconds after the clip has been processed (default: ${DEFAULT-VALUE}).")
    long lingerS;

    /** Whether this run has written its report (a failure after that does not overwrite it). */
    private boolean reported;

    /**
     * Checks every option and the input, then runs the demo.
     *
     * @return 0 when every frame came out, 1 when the run failed (the report says why)
     * @throws ParameterException for a bad option or an input that does not open (nothing started, no report)
     */
    @Override
    public Integer call() throws Exception {
        String source = checkBeforeStart();
        long t0 = System.nanoTime();
        try {
            return run(source, t0);
        } catch (Exception | Error e) {
            if (!reported) {
                try {
                    writeReport(DemoReport.failedBeforeFigures(String.valueOf(e),
                            inference.configuration().get(InferenceOptions.MAX_BATCH_SIZE), seconds(t0)));
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * The checks made before Kafka and Flink start: the job's settings and {@code inference.*} values, the model
     * file, the report path, the metrics port, and that the input exists and opens.
     *
     * @return the input to stream ({@code --input}, else the default clip, {@link DemoInput})
     * @throws ParameterException naming the option to fix
     */
    String checkBeforeStart() {
        CommandLine cl = spec.commandLine();
        try {
            JobSettings s = settings("127.0.0.1:9092", "frames", "detections", "frames-dlq")
                    .checkpointDir("file:///unused").build();
            InferenceCheck.checkOptions(s.inference());
            InferenceCheck.checkModelFile(s.inference());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cl, e.getMessage(), e);
        }
        if (Files.isDirectory(report)) {
            throw new ParameterException(cl, "--report '" + report + "' is a folder: give the path of a file");
        }
        if (metricsPort != null) {
            try {
                PrometheusMetrics.requireFreePort(metricsPort);
            } catch (IOException | IllegalArgumentException e) {
                throw new ParameterException(cl, "--metrics-port: " + e.getMessage());
            }
        }
        String source;
        try {
            source = input != null ? input : DemoInput.resolveDefault();
        } catch (RuntimeException e) {
            throw new ParameterException(cl, e.getMessage(), e);
        }
        try {
            String what = producer("127.0.0.1:9092", "frames", source).build().checkInput();
            LOG.info("demo: input {}: {}", source, what);
        } catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(cl, "--input: " + e.getMessage(), e);
        }
        return source;
    }

    private Integer run(String source, long t0) throws Exception {
        System.out.printf("demo: starting embedded Kafka (KRaft) ...%n");
        DetectionsDashboard board = null;
        MiniCluster cluster = null;
        TaskManagerWatch taskManager = null;
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String frames = "frames";
            String detections = "detections";
            String dlq = "frames-dlq";
            kafka.createTopic(frames, partitions);
            kafka.createTopic(detections, 1);
            kafka.createTopic(dlq, 1);
            if (tracking) {
                kafka.createTopic("tracks", 1);
                kafka.createTopic("analytics", 1);
            }
            System.out.printf("demo: Kafka at %s, topics %s (%d partitions), %s, %s%n", kafka.bootstrapServers(),
                    frames, partitions, detections, dlq);
            int restPort;
            try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
                restPort = free.getLocalPort(); // the MiniCluster's REST port, known to the dashboard before it starts
            }
            if (dashboard) {
                board = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers())
                        .detectionsTopic(detections).framesTopic(frames).port(dashboardPort)
                        .analyticsTopic(tracking ? "analytics" : null)
                        .analyticsConfig(tracking ? demoAnalytics() : null)
                        .flinkRestUrl("http://" + LocalCluster.LOOPBACK + ":" + restPort)
                        .consumerGroup(JobSettings.DEFAULT_GROUP_ID).start();
                System.out.printf("demo: dashboard at %s%n", board.uri());
            }

            JobSettings.Builder settings = settings(kafka.bootstrapServers(), frames, detections, dlq)
                    .checkpointDir(Files.createTempDirectory("flinkvision-checkpoints-").toUri().toString());
            Configuration conf = LocalCluster.loopbackOnly(); // REST API and blob server on 127.0.0.1 only
            conf.set(org.apache.flink.configuration.RestOptions.PORT, restPort);
            if (metricsPort != null) {
                PrometheusMetrics.enable(conf, metricsPort);
            }
            if (tracking) { // the shipped lines and zones, from the jar to a file the job reads
                Path analytics = Files.createTempFile("demo-analytics-", ".yaml");
                try (var in = DemoCommand.class.getResourceAsStream("/demo/analytics-vtest.yaml")) {
                    Files.copy(in, analytics, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                settings.tracking(true).analyticsConfig(analytics.toString());
            }
            JobSettings jobSettings = settings.build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(
                    jobSettings.parallelism(), conf);
            VideoInferenceJob.build(env, jobSettings);
            cluster = LocalCluster.create(conf, LocalCluster.slotsFor(env));
            taskManager = TaskManagerWatch.start(cluster, Duration.ofSeconds(taskManagerTimeoutS));
            cluster.start();
            JobID jobId = LocalCluster.submit(cluster, env, "video-inference demo");
            MiniCluster job = cluster;
            EngineConsole engines = new EngineConsole(jobId.toString(), jobSettings.parallelism(), System.out,
                    "demo: ");
            Configuration inf = jobSettings.inference();
            int maxBatch = inf.get(InferenceOptions.MAX_BATCH_SIZE);
            System.out.printf("demo: Flink job %s running on a MiniCluster (profile %s, parallelism %d, batch <= %d,"
                    + " backend %s)%n", jobId, inference.profile().id(), jobSettings.parallelism(), maxBatch,
                    inf.get(InferenceOptions.BACKEND).id());
            if (metricsPort != null) {
                System.out.printf("demo: Prometheus metrics at %s (operator metrics: %s*; the reporter listens on all"
                        + " interfaces)%n", PrometheusMetrics.scrapeUrl(metricsPort),
                        PrometheusMetrics.OPERATOR_METRIC_PREFIX);
            }

            try (OutputTally tally = new OutputTally(kafka.bootstrapServers(), detections, dlq, Map.of())) {
                VideoToKafka p = producer(kafka.bootstrapServers(), frames, source).build();
                AtomicReference<Throwable> producerError = new AtomicReference<>();
                Thread producerThread = new Thread(() -> {
                    try {
                        p.run();
                    } catch (Throwable e) {
                        producerError.set(e);
                    }
                }, "demo-producer");
                long produceStart = System.nanoTime();
                producerThread.start();
                long lastPrint = 0;
                long drainDeadline = Long.MAX_VALUE;
                double producerSeconds = 0;
                boolean waitingForEngines = false;
                String cause = null;
                while (true) {
                    Thread.sleep(250);
                    boolean producing = producerThread.isAlive();
                    Optional<String> stuck = taskManager.failure();
                    engines.poll();
                    if (stuck.isPresent() || engines.failed().isPresent()) {
                        // nothing can come out: end now with the cause
                        cause = stuck.isPresent() ? stuck.get()
                                : "the inference engine failed to open: " + engines.failed().get().describe();
                        System.out.printf("demo: FAILED: %s%n", cause);
                        producerThread.interrupt();
                        break;
                    }
                    if (!producing && producerSeconds == 0) {
                        producerSeconds = Math.max(1e-9, (System.nanoTime() - produceStart) / 1e9);
                        if (producerError.get() != null) {
                            cause = "producer failed: " + producerError.get();
                            System.out.printf("demo: %s%n", cause);
                            break;
                        }
                    }
                    if (!producing && drainDeadline == Long.MAX_VALUE) {
                        if (engines.allReady()) { // the drain timeout does not count a first-run engine build
                            drainDeadline = System.nanoTime() + drainTimeoutS * 1_000_000_000L;
                        } else if (!waitingForEngines) {
                            waitingForEngines = true;
                            System.out.printf("demo: producer done; waiting for the engines (%d of %d ready), the"
                                    + " %d s drain timeout starts when all are ready%n", engines.ready(),
                                    engines.subtasks(), drainTimeoutS);
                        }
                    }
                    if (System.nanoTime() - lastPrint > 2_000_000_000L) {
                        lastPrint = System.nanoTime();
                        printProgress(p.framesSent(), tally.snapshot(), (System.nanoTime() - t0) / 1e9);
                    }
                    if (!producing && tally.outputs() >= p.framesSent()) {
                        break;
                    }
                    if (System.nanoTime() > drainDeadline) {
                        cause = "gave up waiting for outputs after " + drainTimeoutS + " s (--drain-timeout-s): "
                                + tally.outputs() + " of " + p.framesSent() + " frames came out";
                        System.out.printf("demo: %s%n", cause);
                        break;
                    }
                    if (job.getJobStatus(jobId).get().isGloballyTerminalState()) {
                        cause = "job ended early: " + job.getJobStatus(jobId).get();
                        System.out.printf("demo: %s%n", cause);
                        break;
                    }
                }
                OutputTally.Snapshot s = tally.snapshot();
                printProgress(p.framesSent(), s, (System.nanoTime() - t0) / 1e9);
                long framesIn = p.framesSent();
                boolean balanced = framesIn == s.detectionRecords() + s.deadLetters();
                if (cause == null && !balanced) {
                    cause = "unbalanced: " + framesIn + " frames in, " + s.detectionRecords() + " detection records + "
                            + s.deadLetters() + " dead letters out";
                }
                DemoReport r = new DemoReport(cause == null ? DemoReport.PASSED : DemoReport.FAILED, cause, framesIn,
                        s.detectionRecords(), s.deadLetters(), s.detectionsByLabel(), s.deadLettersByReason(),
                        round(s.throughputFps()), new DemoReport.Latency(s.latencyP50Ms(), s.latencyP99Ms()),
                        s.backend(), s.model(), s.precision(), maxBatch, round(s.meanBatchSize()),
                        producerSeconds > 0 ? round(framesIn / producerSeconds) : 0, seconds(t0), balanced);
                writeReport(r);
                if (tracking) {
                    System.out.println(TrackingSummary.read(kafka.bootstrapServers(), "tracks", "analytics"));
                }
                if (cause == null) {
                    linger(board);
                }
                if (board != null) {
                    board.close(); // before Kafka stops, so its consumer does not complain
                }
                if (cause == null) {
                    job.cancelJob(jobId).get();
                } else if (!job.getJobStatus(jobId).get().isGloballyTerminalState()) {
                    job.cancelJob(jobId); // not waited for: a job without a TaskManager may not answer; closed below
                }
                engines.clear();
                return cause == null ? 0 : 1;
            }
        } finally {
            if (board != null) {
                board.close();
            }
            if (taskManager != null) {
                taskManager.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** The producer of the demo's frames: the input as one camera, paced by {@code --fps} when given. */
    private VideoToKafka.Builder producer(String bootstrapServers, String topic, String source) {
        VideoToKafka.Builder b = VideoToKafka.builder().bootstrapServers(bootstrapServers).topic(topic)
                .input(source).cameraId(cameraId).maxFrames(maxFrames);
        if (fps != null) {
            b.fps(fps);
        }
        return b;
    }

    /** Writes the report to {@code --report} and prints it. */
    private void writeReport(DemoReport r) throws IOException {
        byte[] json = DetectionJson.mapper().writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(r);
        if (report.toAbsolutePath().getParent() != null) {
            Files.createDirectories(report.toAbsolutePath().getParent());
        }
        Files.write(report, json);
        reported = true;
        System.out.printf("demo: report %s (status %s)%n%s%n", report.toAbsolutePath(), r.status(),
                new String(json, StandardCharsets.UTF_8));
    }

    private static double seconds(long t0) {
        return round((System.nanoTime() - t0) / 1e9);
    }

    /** The job's settings these options describe, for the given Kafka and topics (no checkpoint directory yet). */
    public JobSettings.Builder settings(String bootstrapServers, String frames, String detections, String dlq) {
        return JobSettings.builder().bootstrapServers(bootstrapServers)
                .framesTopic(frames).detectionsTopic(detections).deadLetterTopic(dlq)
                .startFrom(JobSettings.StartFrom.EARLIEST).checkpointIntervalMs(checkpointIntervalMs)
                .parallelism(parallelism()).inference(inference.options());
    }

    /** The job's parallelism: {@code --parallelism}, or the profile's subtasks per GPU when it is not given. */
    int parallelism() {
        InferenceProfile p = inference.profile();
        return p == InferenceProfile.DEFAULT || ExplicitOptions.given(spec, "--parallelism") ? parallelism
                : p.subtasksPerGpu();
    }

    /** The shipped lines and zones of the clip ({@code /demo/analytics-vtest.yaml} in the jar). */
    private static io.flinkvision.tracking.analytics.AnalyticsConfig demoAnalytics() throws java.io.IOException {
        try (var in = DemoCommand.class.getResourceAsStream("/demo/analytics-vtest.yaml")) {
            return io.flinkvision.tracking.analytics.AnalyticsConfig.parse(in, true);
        }
    }

    /** Keeps everything up for {@code --linger-s} seconds so the dashboard and the metrics can be looked at. */
    private void linger(DetectionsDashboard board) throws InterruptedException {
        if (lingerS <= 0) {
            return;
        }
        StringBuilder where = new StringBuilder();
        if (board != null) {
            where.append(" dashboard ").append(board.uri());
        }
        if (metricsPort != null) {
            where.append(" metrics ").append(PrometheusMetrics.scrapeUrl(metricsPort));
        }
        System.out.printf("demo: clip done; lingering %d s (job still running)%s%n", lingerS,
                where.length() == 0 ? "" : ":" + where);
        Thread.sleep(lingerS * 1000L);
    }

    private static void printProgress(long sent, OutputTally.Snapshot s, double elapsedS) {
        String labels = s.detectionsByLabel().entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
        double fps = s.throughputFps();
        System.out.printf(Locale.ROOT, "demo: %5.1fs  frames in %d  detection records %d  dead letters %d  %.1f fps"
                        + "  mean batch %.1f  latency p50 %d ms  detections: %s%n", elapsedS, sent,
                s.detectionRecords(), s.deadLetters(), fps, s.meanBatchSize(), s.latencyP50Ms(),
                labels.isEmpty() ? "-" : labels);
    }

    private static double round(double v) {
        return Math.round(v * 100d) / 100d;
    }
}

package io.flinkvision.jobs.benchmark;

import io.flinkvision.imaging.OpenCvThreads;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.flink.GpuInferenceFunction;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.flink.InferenceProfile;
import io.flinkvision.pipeline.DetectionPipeline;
import io.flinkvision.jobs.EngineConsole;
import io.flinkvision.jobs.ExplicitOptions;
import io.flinkvision.jobs.cli.InferenceFlags;
import io.flinkvision.jobs.JobSettings;
import io.flinkvision.jobs.LocalCluster;
import io.flinkvision.jobs.TaskManagerWatch;
import io.flinkvision.jobs.VideoInferenceJob;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.producer.ProduceSummary;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code benchmark-e2e}: the product path measured as users run it, Kafka in -> {@link VideoInferenceJob} -> Kafka
 * out, beside the operator alone on the same frames and settings, in one run. Prints progress, a table, and writes a
 * JSON report.
 *
 * <ol>
 *   <li><b>Operator alone</b> ({@code operatorJpegFps}): the job's own operator settings
 *       ({@link GpuInferenceFunction#pipelineBuilder}) on one engine, the JPEG frames offered closed loop as fast as
 *       the pipeline takes them (decode included), after a warm-up, as {@code benchmark}'s {@code operatorJpegFps}.
 *       On TensorRT this also builds or loads the engine plan the job then finds in the cache.</li>
 *   <li><b>Preload</b>: {@code --frames} records (JPEG of the clip, {@code --cameras} camera ids, each camera on a
 *       partition of its own where {@code --partitions} allows: the producer's round-robin
 *       {@code CameraPartitions}) written to the frames topic by the product's own producer ({@link VideoToKafka},
 *       from a folder of the frames, as fast as it goes): {@code producerRecordsPerSecond}.</li>
 *   <li><b>Stage breakdown</b> (unless {@code --skip-stages}): the graph cut after the source, then after the
 *       operator and JSON serialization (no Kafka sinks), each a bounded job over the backlog
 *       ({@link StageBreakdown}): {@code sourceFps}, {@code sourceOperatorFps} and their ratios to the operator
 *       alone, to tell which stage bounds {@code endToEndVsOperator}.</li>
 *   <li><b>Backlog</b>: the same graph as {@code job} (KafkaSource read_committed, the operator, EXACTLY_ONCE
 *       KafkaSinks, checkpoints every {@code --checkpoint-interval-ms}) on a MiniCluster drains the backlog; a
 *       {@code read_committed} consumer ({@link CommittedOutputSampler}) times every committed output:
 *       {@code jobFps} (job submission to the last committed output, start-up included), {@code steadyFps} (between
 *       the outputs at 10% and 90% of the frames), Kafka bytes/s in (frame payloads) and out (output records), mean
 *       batch, dead letters, duplicates; {@code endToEndVsOperator} = {@code steadyFps / operatorJpegFps}.</li>
 *   <li><b>Latency</b>: the producer paced at {@code --latency-load} (default 0.7) of {@code steadyFps} for
 *       {@code --latency-seconds}; p50/p99 of capture timestamp -> committed record read, ms. With EXACTLY_ONCE
 *       sinks a record becomes readable when the checkpoint that commits it completes, so the floor is about one
 *       checkpoint interval.</li>
 *   <li>Checkpoint figures from the REST API ({@link CheckpointStats}); the job is then cancelled.</li>
 * </ol>
 * Frames per second are output records (detection records + dead letters) per second. Exit code 0 when every frame
 * came out exactly once ({@code balanced}), 1 otherwise or on failure (the cause is printed).
 */
@Command(name = "benchmark-e2e", mixinStandardHelpOptions = true,
        description = "Measure Kafka -> the Flink job -> Kafka (backlog throughput, steady state, latency at 70%% load,"
                + " checkpoints) beside the operator alone on the same frames; print a table and write JSON.")
public final class EndToEndBenchmarkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--frames", defaultValue = "20000", description = "Frame records preloaded into Kafka (default:"
            + " ${DEFAULT-VALUE}).")
    long frames;
    @Option(names = "--cameras", defaultValue = "8", description = "Camera ids the frames are spread over (default:"
            + " ${DEFAULT-VALUE}).")
    int cameras;
    @Option(names = "--partitions", defaultValue = "8", description = "Partitions of the frames and detections topics"
            + " (default: ${DEFAULT-VALUE}).")
    int partitions;
    @Option(names = "--bootstrap-servers", description = "A real Kafka cluster (default: an embedded broker).")
    String bootstrapServers;
    @Option(names = "--kafka-property", description = "Kafka client property key=value (producer, consumer, job).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();
    @Option(names = "--flink-property", paramLabel = "KEY=VALUE", description = "Flink configuration entry for"
            + " the job's environment, e.g. pipeline.object-reuse=true (repeatable).")
    Map<String, String> flinkProperties = new LinkedHashMap<>();
    @Option(names = "--topic-prefix", description = "Prefix of the run's topics (default: e2e-<time>-), created with"
            + " --partitions partitions.")
    String topicPrefix;
    @Option(names = "--video", description = "Video file the frames come from (default: data/vtest.avi, else the"
            + " clip inside the jar).")
    Path video;
    @Option(names = "--images", description = "Folder of JPEG/PNG frames instead of --video.")
    Path images;
    @Option(names = "--max-source-frames", defaultValue = "200", description = "Distinct frames (default:"
            + " ${DEFAULT-VALUE}).")
    int maxSourceFrames;
    @Option(names = "--jpeg-quality", defaultValue = "" + VideoToKafka.DEFAULT_JPEG_QUALITY,
            description = "JPEG quality of the frames (default: ${DEFAULT-VALUE}).")
    int jpegQuality;
    @Mixin
    InferenceFlags inference;
    @Option(names = "--parallelism", defaultValue = "1", description = "Parallelism of the job (default:"
            + " ${DEFAULT-VALUE}); the operator alone runs one engine.")
    int parallelism;
    @Option(names = "--source-parallelism", defaultValue = "0", description = "Parallelism of the Kafka source"
            + " alone (0: the job's; another value sends each partition to one operator subtask).")
    int sourceParallelism;
    @Option(names = "--checkpoint-interval-ms", defaultValue = "1000", description = "Checkpoint interval, ms"
            + " (default: ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;
    @Option(names = "--operator-frames", defaultValue = "0", description = "Frames of the operator-alone run (0:"
            + " min(--frames, 12000)).")
    int operatorFrames;
    @Option(names = "--skip-operator", description = "Skip the operator-alone run (no endToEndVsOperator).")
    boolean skipOperator;
    @Option(names = "--skip-stages", description = "Skip the stage breakdown (the source alone, the source and the"
            + " operator without the Kafka sinks).")
    boolean skipStages;
    @Option(names = "--latency-load", defaultValue = "0.7", description = "Share of steadyFps offered in the latency"
            + " run (default: ${DEFAULT-VALUE}; 0 skips it).")
    double latencyLoad;
    @Option(names = "--latency-seconds", defaultValue = "20", description = "Length of the latency run, s (default:"
            + " ${DEFAULT-VALUE}).")
    double latencySeconds;
    @Option(names = "--producer-threads", defaultValue = "0", description = "Producer encode threads (0: the"
            + " producer's default).")
    int producerThreads;
    @Option(names = "--producers", defaultValue = "" + VideoToKafka.DEFAULT_PRODUCERS, description = "Kafka"
            + " producers of the preload and the latency run, one connection each (default: ${DEFAULT-VALUE}).")
    int producers;
    @Option(names = "--stall-timeout-s", defaultValue = "180", description = "Give up when no output came for this"
            + " long once every engine is ready, s (default: ${DEFAULT-VALUE}).")
    long stallTimeoutS;
    @Option(names = "--taskmanager-timeout-s", defaultValue = "120", description = "How long the TaskManager may take"
            + " to register, s (default: ${DEFAULT-VALUE}).")
    long taskManagerTimeoutS;
    @Option(names = "--report", defaultValue = "benchmark-e2e.json", description = "JSON report (default:"
            + " ${DEFAULT-VALUE}).")
    Path report;

    private final PrintStream out;

    /** Prints to standard output. */
    public EndToEndBenchmarkCommand() {
        this(System.out);
    }

    EndToEndBenchmarkCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        validate();
        InferenceProfile p = inference.profile();
        if (p != InferenceProfile.DEFAULT && !ExplicitOptions.given(spec, "--parallelism")) {
            parallelism = p.subtasksPerGpu();
        }
        long t0 = System.nanoTime();
        Map<String, Object> r = new LinkedHashMap<>();
        if (images == null && video == null) {
            video = Path.of(io.flinkvision.jobs.demo.DemoInput.resolveDefault()); // found from any directory
        }
        BenchmarkFrames src = BenchmarkFrames.load(images, images == null ? video : null, maxSourceFrames,
                jpegQuality);
        Path folder = Files.createTempDirectory("benchmark-e2e-frames-");
        src.writeJpegs(folder);
        r.put("frameSize", src.width() + "x" + src.height());
        r.put("jpegQuality", jpegQuality);
        r.put("jpegMeanBytes", src.meanJpegBytes());
        r.put("sourceFrames", src.count());
        r.put("cameras", cameras);
        r.put("partitions", partitions);
        r.put("parallelism", parallelism);
        r.put("sourceParallelism", sourceParallelism > 0 ? sourceParallelism : parallelism);
        r.put("checkpointIntervalMs", checkpointIntervalMs);
        r.put("producers", producers);
        r.put("cpus", Runtime.getRuntime().availableProcessors());
        progress(t0, "%d distinct %dx%d JPEG frames (quality %d, mean %d bytes) from %s", src.count(), src.width(),
                src.height(), jpegQuality, src.meanJpegBytes(), src.source());

        String prefix = topicPrefix != null ? topicPrefix : "e2e-" + System.currentTimeMillis() + "-";
        String framesTopic = prefix + "frames";
        String detectionsTopic = prefix + "detections";
        String dlqTopic = prefix + "dlq";
        JobSettings.Builder settings = JobSettings.builder()
                .framesTopic(framesTopic).detectionsTopic(detectionsTopic).deadLetterTopic(dlqTopic)
                .groupId(prefix + "job").transactionalIdPrefix(prefix + "job")
                .startFrom(JobSettings.StartFrom.EARLIEST).checkpointIntervalMs(checkpointIntervalMs)
                .parallelism(parallelism).sourceParallelism(sourceParallelism).kafkaProperties(kafkaProperties)
                .flinkProperties(flinkProperties).inference(inference.options());
        r.put("profile", p.id());

        if (!skipOperator) {
            operatorAlone(settings.bootstrapServers("unused").build(), src, r, t0);
        }

        EmbeddedKafka embedded = null;
        MiniCluster cluster = null;
        TaskManagerWatch taskManager = null;
        try {
            String bootstrap = bootstrapServers;
            if (bootstrap == null) {
                progress(t0, "starting the embedded Kafka broker");
                embedded = EmbeddedKafka.start();
                bootstrap = embedded.bootstrapServers();
            }
            r.put("kafka", bootstrapServers == null ? "embedded" : bootstrapServers);
            createTopics(bootstrap, List.of(framesTopic, detectionsTopic, dlqTopic));
            settings.bootstrapServers(bootstrap).checkpointDir(
                    Files.createTempDirectory("benchmark-e2e-checkpoints-").toUri().toString());

            // preload the backlog
            long perCamera = (frames + cameras - 1) / cameras;
            VideoToKafka preload = producer(bootstrap, framesTopic, folder, "cam", perCamera, 0);
            progress(t0, "preloading %d records (%d cameras x %d frames) into %s (%d partitions)",
                    perCamera * cameras, cameras, perCamera, framesTopic, partitions);
            ProduceSummary pre = runProducer(preload, t0, "preload");
            long framesIn = pre.recordsAcked();
            r.put("framesIn", framesIn);
            r.put("producerRecordsPerSecond", round(pre.recordsPerSecond(), 1));
            r.put("producerMBps", round(pre.megabytesPerSecond(), 1));
            if (pre.recordsFailed() > 0 || framesIn == 0) {
                throw new IllegalStateException("the preload failed: " + pre);
            }

            if (!skipStages) {
                stageBreakdown(settings.build(), framesIn, r, t0);
            }

            // the job on a MiniCluster
            Configuration conf = LocalCluster.loopbackOnly();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
            VideoInferenceJob.build(env, settings.build());
            cluster = LocalCluster.create(conf, LocalCluster.slotsFor(env));
            taskManager = TaskManagerWatch.start(cluster, Duration.ofSeconds(taskManagerTimeoutS));
            cluster.start();
            try (CommittedOutputSampler sampler = new CommittedOutputSampler(bootstrap, detectionsTopic, dlqTopic,
                    kafkaProperties)) {
                long submitted = System.nanoTime();
                JobID jobId = LocalCluster.submit(cluster, env, "benchmark-e2e");
                EngineConsole engines = new EngineConsole(jobId.toString(), parallelism, out, "benchmark-e2e: ");
                progress(t0, "job %s submitted; draining the backlog of %d records", jobId, framesIn);
                try {
                    awaitOutputs(cluster, jobId, taskManager, engines, sampler, framesIn, t0, "backlog");
                    backlogFigures(r, sampler, framesIn, submitted, pre.bytesSent());
                    if (latencyLoad > 0) {
                        latencyRun(r, bootstrap, framesTopic, folder, sampler, cluster, jobId, taskManager, engines,
                                framesIn, t0);
                    }
                    URI rest = cluster.getRestAddress().get(30, TimeUnit.SECONDS);
                    r.put("checkpoints", CheckpointStats.fetch(rest, jobId.toString()).toMap());
                } finally {
                    cluster.cancelJob(jobId).get(60, TimeUnit.SECONDS);
                    engines.clear();
                }
            }
        } finally {
            if (taskManager != null) {
                taskManager.close();
            }
            if (cluster != null) {
                cluster.close();
            }
            if (embedded != null) {
                embedded.close();
            }
            deleteFolder(folder);
        }
        r.put("totalSeconds", round((System.nanoTime() - t0) / 1e9, 1));
        out.println(BenchmarkCommand.table(r));
        writeReport(r);
        return Boolean.TRUE.equals(r.get("balanced")) ? 0 : 1;
    }

    private void validate() {
        if (frames < 1 || cameras < 1 || partitions < 1 || parallelism < 1 || sourceParallelism < 0
                || checkpointIntervalMs < 10
                || latencyLoad < 0 || latencyLoad > 1 || !(latencySeconds > 0) || stallTimeoutS < 1
                || jpegQuality < 1 || jpegQuality > 100 || operatorFrames < 0 || producers < 1) {
            throw new ParameterException(spec.commandLine(), "--frames, --cameras, --partitions, --parallelism,"
                    + " --producers and --stall-timeout-s must be >= 1, --source-parallelism >= 0,"
                    + " --checkpoint-interval-ms >= 10,"
                    + " --latency-load in 0..1, --latency-seconds > 0, --jpeg-quality 1..100, --operator-frames >= 0");
        }
    }

    /** {@code operatorJpegFps}: the job's operator settings on one engine, JPEG frames closed loop. */
    private void operatorAlone(JobSettings s, BenchmarkFrames src, Map<String, Object> r, long t0) throws Exception {
        GpuInferenceFunction function = GpuInferenceFunction.builder().configure(s.inference()).build();
        OpenCvThreads.apply(function.opencvThreads());
        progress(t0, "operator alone: opening the engine (a first TensorRT run builds the plan: minutes)");
        try (InferenceEngine engine = InferenceEngines.open(function.engineSpec());
                DetectionPipeline pipeline = function.pipelineBuilder(engine).build()) {
            EngineInfo info = engine.info();
            r.put("backend", info.backend().id());
            r.put("precision", info.precision().id());
            r.put("device", info.device());
            r.put("batch", info.maxBatchSize());
            r.put("inFlight", info.maxInFlight());
            r.put("letterbox", pipeline.letterboxMode().name().toLowerCase(Locale.ROOT));
            r.put("jpegDecode", pipeline.jpegDecodeMode().name().toLowerCase(Locale.ROOT));
            int n = operatorFrames > 0 ? operatorFrames : (int) Math.min(frames, 12_000);
            BenchmarkCommand.warm(pipeline, src, new BenchmarkCommand.WarmUp(Math.max(n / 10,
                    4 * info.maxBatchSize()), 2), false);
            BenchmarkCommand.Throughput t = BenchmarkCommand.closedLoop(pipeline, src, n, false);
            r.put("operatorFrames", n);
            r.put("operatorJpegFps", round(t.fps(), 1));
            r.put("operatorDeadLetters", t.deadLetters());
            progress(t0, "operator alone: %.1f JPEG frames/s (%s %s, batch <= %d, %d execution slots)", t.fps(),
                    info.backend().id(), info.precision().id(), info.maxBatchSize(), info.maxInFlight());
        }
    }

    /**
     * The graph cut after the source, then after the operator (no Kafka sinks), each a bounded job over the preloaded
     * frames ({@link StageBreakdown}): {@code sourceFps}, {@code sourceOperatorFps}.
     */
    private void stageBreakdown(JobSettings s, long framesIn, Map<String, Object> r, long t0) throws Exception {
        Map<String, Object> stages = new LinkedHashMap<>();
        for (StageBreakdown.Stage stage : StageBreakdown.Stage.values()) {
            progress(t0, "stage breakdown: %s (%d records, bounded job)", stage.reportKey, framesIn);
            StageBreakdown.Result res = StageBreakdown.run(stage, s, framesIn, Math.max(600, stallTimeoutS * 3));
            stages.put(stage.reportKey, res.toMap());
            r.put(stage.reportKey, round(res.steadyFps(), 1));
            progress(t0, "stage breakdown: %s %.1f records/s", stage.reportKey, res.steadyFps());
        }
        r.put("stages", stages);
    }

    /** The backlog run's figures, from the times the sampler read the outputs. */
    private void backlogFigures(Map<String, Object> r, CommittedOutputSampler sampler, long framesIn,
            long submittedNanos, long payloadBytesIn) {
        CommittedOutputSampler.Snapshot s = sampler.snapshot();
        long lastNanos = sampler.readNanos(framesIn);
        double jobSeconds = (lastNanos - submittedNanos) / 1e9;
        long lo = Math.max(1, (long) Math.ceil(0.1 * framesIn));
        long hi = Math.max(lo, (long) Math.floor(0.9 * framesIn));
        double steadySeconds = (sampler.readNanos(hi) - sampler.readNanos(lo)) / 1e9;
        double jobFps = framesIn / jobSeconds;
        double steadyFps = hi > lo && steadySeconds > 0 ? (hi - lo) / steadySeconds : jobFps;
        r.put("firstOutputSeconds", round((sampler.readNanos(1) - submittedNanos) / 1e9, 2));
        r.put("jobSeconds", round(jobSeconds, 2));
        r.put("jobFps", round(jobFps, 1));
        r.put("steadyFps", round(steadyFps, 1));
        r.put("steadySpanSeconds", round(steadySeconds, 2));
        if (steadySeconds < 3 * checkpointIntervalMs / 1000.0) {
            r.put("steadyWarning", "the 10%-90% span is shorter than 3 checkpoint intervals (outputs are committed per"
                    + " checkpoint): raise --frames");
        }
        r.put("kafkaInMBps", round(payloadBytesIn / 1e6 / jobSeconds, 1));
        r.put("kafkaOutMBps", round(s.bytesRead() / 1e6 / jobSeconds, 2));
        r.put("detectionRecords", s.detectionRecords());
        r.put("deadLetters", s.deadLetters());
        r.put("malformedOutputs", s.malformed());
        r.put("duplicates", s.duplicates());
        r.put("meanBatch", round(s.meanBatch(), 2));
        r.put("balanced", s.outputs() == framesIn && s.duplicates() == 0 && s.malformed() == 0);
        Object op = r.get("operatorJpegFps");
        if (op instanceof Double d && d > 0) {
            for (StageBreakdown.Stage stage : StageBreakdown.Stage.values()) {
                if (r.get(stage.reportKey) instanceof Double f) {
                    r.put(stage.reportKey.replace("Fps", "VsOperator"), round(f / d, 3));
                }
            }
            r.put("endToEndVsOperator", round(steadyFps / d, 3));
            r.put("jobVsOperator", round(jobFps / d, 3));
        }
    }

    /** Paced producer at {@code latencyLoad * steadyFps}; p50/p99 capture -> committed read. */
    private void latencyRun(Map<String, Object> r, String bootstrap, String topic, Path folder,
            CommittedOutputSampler sampler, MiniCluster cluster, JobID jobId, TaskManagerWatch taskManager,
            EngineConsole engines, long framesIn, long t0) throws Exception {
        double offered = latencyLoad * ((Number) r.get("steadyFps")).doubleValue();
        double sourceFps = offered / cameras;
        long perCamera = Math.max(1, Math.round(sourceFps * latencySeconds));
        VideoToKafka paced = producer(bootstrap, topic, folder, "lat", perCamera, sourceFps);
        progress(t0, "latency run: %.1f records/s (%.0f%% of steadyFps) for %.0f s: %d records", offered,
                latencyLoad * 100, latencySeconds, perCamera * cameras);
        sampler.measureLatencyFrom(System.currentTimeMillis());
        ProduceSummary sent = runProducer(paced, t0, "latency");
        long expected = framesIn + sent.recordsAcked();
        awaitOutputs(cluster, jobId, taskManager, engines, sampler, expected, t0, "latency");
        CommittedOutputSampler.Snapshot s = sampler.snapshot();
        r.put("latencyOfferedFps", round(offered, 1));
        r.put("latencyAchievedFps", round(sent.recordsPerSecond(), 1));
        r.put("latencyRecords", sent.recordsAcked());
        r.put("p50Ms", s.latencyPercentileMs(0.50));
        r.put("p99Ms", s.latencyPercentileMs(0.99));
        r.put("p99TargetMs", checkpointIntervalMs + 100);
        r.put("balanced", Boolean.TRUE.equals(r.get("balanced")) && s.outputs() == expected && s.duplicates() == 0
                && s.malformed() == 0);
        r.put("outputsTotal", s.outputs());
    }

    private VideoToKafka producer(String bootstrap, String topic, Path folder, String cameraPrefix, long perCamera,
            double fps) {
        VideoToKafka.Builder b = VideoToKafka.builder().bootstrapServers(bootstrap).topic(topic)
                .input(folder.toString()).cameraId(cameraPrefix).cameras(cameras).loop(true).maxFrames(perCamera)
                .fps(fps).producerProperties(kafkaProperties).producers(producers);
        if (producerThreads > 0) {
            b.threads(producerThreads);
        }
        return b.build();
    }

    /** Runs a producer on a thread of its own, printing its progress every 2 s. */
    private ProduceSummary runProducer(VideoToKafka p, long t0, String what) throws Exception {
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                p.run();
            } catch (Throwable e) {
                error.set(e);
            }
        }, "benchmark-e2e-" + what);
        t.start();
        while (t.isAlive()) {
            t.join(2000);
            if (t.isAlive()) {
                progress(t0, "%s: %d records sent", what, p.framesSent() * cameras);
            }
        }
        if (error.get() != null) {
            throw new IllegalStateException("the " + what + " producer failed: " + error.get(), error.get());
        }
        ProduceSummary s = p.summary();
        progress(t0, "%s: %s", what, s);
        return s;
    }

    /**
     * Waits until {@code expected} outputs are read, printing progress every 2 s.
     *
     * @throws IllegalStateException when the TaskManager or an engine fails, the job ends, the sampler fails, or no
     *     output comes for {@code --stall-timeout-s} once every engine is ready
     */
    private void awaitOutputs(MiniCluster cluster, JobID jobId, TaskManagerWatch taskManager, EngineConsole engines,
            CommittedOutputSampler sampler, long expected, long t0, String phase) throws Exception {
        long lastCount = -1;
        long lastChange = System.nanoTime();
        long lastPrint = 0;
        while (sampler.outputs() < expected) {
            Thread.sleep(250);
            engines.poll();
            Optional<String> tm = taskManager.failure();
            if (tm.isPresent()) {
                throw new IllegalStateException(tm.get());
            }
            if (engines.failed().isPresent()) {
                throw new IllegalStateException("the inference engine failed to open: "
                        + engines.failed().get().describe());
            }
            if (cluster.getJobStatus(jobId).get().isGloballyTerminalState()) {
                throw new IllegalStateException("the job ended: " + cluster.getJobStatus(jobId).get());
            }
            if (sampler.failure() != null) {
                throw new IllegalStateException("the output consumer failed: " + sampler.failure(), sampler.failure());
            }
            long n = sampler.outputs();
            if (n != lastCount || !engines.allReady()) {
                lastCount = n;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(stallTimeoutS)) {
                throw new IllegalStateException(String.format(Locale.ROOT, "no output for %d s (%d of %d read):"
                        + " gave up (--stall-timeout-s)", stallTimeoutS, n, expected));
            }
            if (System.nanoTime() - lastPrint > 2_000_000_000L) {
                lastPrint = System.nanoTime();
                progress(t0, "%s: %d of %d outputs committed", phase, n, expected);
            }
        }
        progress(t0, "%s: all %d outputs committed", phase, expected);
    }

    private static void createTopics(String bootstrap, List<String> names) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> topics = names.stream().map(n -> new NewTopic(n, Optional.empty(), Optional.empty()))
                    .toList();
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
        }
    }

    private void writeReport(Map<String, Object> r) throws java.io.IOException {
        Path parent = report.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(report.toFile(), r);
        out.printf("benchmark-e2e: report %s%n", report.toAbsolutePath());
    }

    private void progress(long t0, String format, Object... args) {
        out.printf(Locale.ROOT, "benchmark-e2e: %6.1fs  %s%n", (System.nanoTime() - t0) / 1e9,
                String.format(Locale.ROOT, format, args));
    }

    private static void deleteFolder(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (java.io.IOException e) {
            // a temporary folder left behind is harmless
        }
    }

    private static double round(double v, int digits) {
        return BenchmarkCommand.round(v, digits);
    }

    /** Standalone entry point. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new EndToEndBenchmarkCommand()).execute(args));
    }
}

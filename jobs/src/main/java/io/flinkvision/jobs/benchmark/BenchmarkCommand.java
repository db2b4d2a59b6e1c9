package io.flinkvision.jobs.benchmark;

import io.flinkvision.imaging.OpenCvThreads;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.pipeline.DetectionPipeline;
import io.flinkvision.batching.DispatchStats;
import io.flinkvision.pipeline.JpegDecodeDevice;
import io.flinkvision.pipeline.LetterboxDevice;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.DeviceProbe;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.engine.Precision;
import io.flinkvision.imaging.ImageHeaderProbe;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.SourceImage;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.flink.InferenceSettings;
import io.flinkvision.jobs.cli.CliErrors;
import io.flinkvision.jobs.cli.InferenceFlags;
import io.flinkvision.jobs.cli.OptionValues;
import io.flinkvision.jobs.demo.DemoInput;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code benchmark}: measures, in one run, how fast the engine and the operator path go on this machine, prints a table
 * and writes a JSON report.
 *
 * <ul>
 *   <li>{@code engineOnlyFps}: inputs already on the device, the engine called back to back on every execution slot
 *       (TensorRT: {@code enqueueV3} only; ONNX Runtime: batches submitted back to back). The ceiling.</li>
 *   <li>{@code engineWithCopiesFps} (TensorRT): every slot launching full batches (H2D, engine, D2H) back to back with
 *       no host work: the device side's own ceiling; {@code engineWithDeviceLetterboxFps} the same with real decoded
 *       frames uploaded and letterboxed by the kernel (the GPU letterbox path's device side);
 *       {@code operatorVsDeviceSide} is {@code operatorFps} over the one of them that matches the letterbox (the share
 *       of what the device can do with the copies the operator must make).</li>
 *   <li>{@code serializedFps}: one batch at a time: copy in, infer with plain {@code enqueueV3}, copy out, synchronize
 *       (what simple samples do); {@code serializedWithGraphsFps}: the same with the engine's CUDA graph.</li>
 *   <li>{@code operatorFps}: real frames through the operator's path ({@link DetectionPipeline}: letterbox where
 *       {@code --letterbox} says (default {@code auto}: the GPU kernel on TensorRT, OpenCV otherwise; on TensorRT the
 *       other one is run beside it: {@code operatorCpuLetterboxFps}, {@code operatorGpuLetterboxFps} or
 *       {@code operatorHybridLetterboxFps}, and {@code gpuVsCpuLetterbox} / {@code hybridVsCpuLetterbox}) ->
 *       MicroBatcher -> execution slots -> YOLOX decode + NMS), offered as fast as the pipeline takes them. Frames are
 *       decoded beforehand ({@code raw-bgr}, as when decoding is done upstream); {@code operatorJpegFps} is the same
 *       with JPEG frames (quality 95, decode included), decoded where {@code --jpeg-decode} says ({@code jpegDecode}:
 *       with the GPU letterbox on a GPU with a hardware JPEG decoder, nvJPEG, else OpenCV on the pre-processing
 *       threads); when that is the GPU, {@code operatorJpegCpuDecodeFps} and {@code gpuVsCpuJpegDecode} give the
 *       OpenCV decode beside it, and {@code engineWithDeviceJpegFps} the JPEG path's device side (every slot
 *       relaunching a batch of staged JPEG files: hardware decode, letterbox kernel, engine, D2H; no host work);
 *       {@code operatorJpegStageMs}, {@code operatorJpegDispatch} and {@code operatorJpegTimeline} are the JPEG run's
 *       figures, as below.</li>
 *   <li>{@code hostCeilingFps}: the operator path with the accelerator taken out ({@link RecordedOutputEngine}:
 *       every batch answered at once with a recorded real output): what the CPU side can feed. {@code operatorFps}
 *       cannot exceed the lower of it and {@code engineOnlyFps}.</li>
 *   <li>{@code operatorStageMs}: per batch, the engine's stages ({@code h2d}, {@code compute}, {@code d2h},
 *       {@code total}, CUDA events) and the host's ({@code hostSlotWait} for a free execution slot, {@code hostFill}
 *       of the slot's input, {@code hostLaunchToOutput} from the launch to the engine handing the output over,
 *       {@code hostOutputToPostprocess} in the common pool's queue, {@code hostPostprocess}), ms; on TensorRT also
 *       {@code deviceStartDelay} (host launch to the batch's first event on the device: GPU work queued ahead) and
 *       {@code completionLag} (its last event to the host having the output) ({@link StageListener}).</li>
 *   <li>{@code operatorDispatch}: the micro-batcher's dispatch thread per batch ({@link DispatchStats}):
 *       {@code permitWaitMs} (every in-flight batch permit held), {@code formWaitMs} (waiting for frames),
 *       {@code handlerMs} (slot, fill, launch), {@code handlerShare} (how busy that serial thread was) and
 *       {@code meanBacklog} (frames still queued after a batch was taken).</li>
 *   <li>{@code operatorTimeline} (TensorRT): the batches' CUDA events on the engine's clock ({@link BatchTimeline}):
 *       {@code computeBusy}, {@code h2dBusy}, {@code computeConcurrency}, {@code hostLaunchMs}.</li>
 *   <li>{@code h2dGBps} (TensorRT): host-to-device copy bandwidth from pinned memory, GB/s, which bounds the GPU
 *       letterbox path ({@code width*height*3} bytes per frame cross PCIe instead of {@code 3*416*416}).</li>
 *   <li>{@code p50Ms}/{@code p99Ms}: per-frame latency (submit -> detections) with raw frames offered at a steady 70%
 *       of {@code operatorFps}.</li>
 * </ul>
 * Images per second everywhere; milliseconds for latencies. The frames are those of {@code --images}, else
 * {@code --video}, else the demo's clip ({@code data/vtest.avi} in or above the working directory, else the copy
 * inside the jar: {@link DemoInput}). Every phase prints its start, a line every {@value #HEARTBEAT_S} s while it runs
 * and its end on stderr ({@link PhaseProgress}); the table goes to stdout.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = "Measure engine-only, serialized and operator throughput and latency; print and write JSON.")
public final class BenchmarkCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(BenchmarkCommand.class);
    /** Seconds between the progress lines of a running phase. */
    static final int HEARTBEAT_S = 5;

    @Spec
    CommandSpec commandSpec;

    @Mixin
    InferenceFlags inference;

    // The options below that set an inference.* option are read through inference.options() (InferenceFlags
    // .FLAG_OPTIONS maps them onto their keys, and gives them their option's default).

    @Option(names = "--batch", hidden = true, converter = OptionValues.PositiveInt.class,
            description = "earlier name of --batch-size")
    Integer legacyBatch;

    @Option(names = "--device", hidden = true, converter = OptionValues.NonNegativeInt.class,
            description = "earlier name of --device-index")
    Integer legacyDevice;

    @Option(names = "--frames", defaultValue = "4000", converter = OptionValues.PositiveInt.class,
            description = "frames per operator measurement (default 4000)")
    int frames;

    @Option(names = "--report", description = "write the JSON report to this file")
    Path report;

    @Option(names = "--images", description = "folder of JPEG/PNG frames (default: --video)")
    Path images;

    @Option(names = "--video", description = "video file read when no --images (default: data/vtest.avi in or above"
            + " the working directory, else the clip inside the jar)")
    Path video;

    @Option(names = "--max-source-frames", defaultValue = "200", converter = OptionValues.PositiveInt.class,
            description = "distinct frames kept in memory")
    int maxSourceFrames;

    @Option(names = "--shared-engine-cache-dir", description = "TensorRT: plan directory shared by a cluster (any Flink"
            + " file system URI), read on a local miss and written after a build")
    String sharedEngineCacheDir;

    @Option(names = "--top-classes", converter = OptionValues.NonNegativeInt.class,
            description = "TensorRT: classes per anchor reduced on the GPU (0: copy back the raw output; default:"
                    + " ${DEFAULT-VALUE})")
    int topClasses;

    @Option(names = "--preprocess-threads", defaultValue = "0", converter = OptionValues.NonNegativeInt.class,
            description = "decode/letterbox threads (0: cores)")
    int preprocessThreads;

    @Option(names = "--engine-iterations", defaultValue = "300", converter = OptionValues.PositiveInt.class,
            description = "engine calls per engine measurement")
    int engineIterations;

    @Option(names = "--latency-seconds", defaultValue = "8", converter = OptionValues.PositiveDouble.class,
            description = "duration of the 70%% load run")
    double latencySeconds;

    @Option(names = "--opencv-threads",
            description = "OpenCV's own thread pool size (cv::setNumThreads; 1, the default as in the operator, turns it"
                    + " off; -1 leaves OpenCV's default) (default: ${DEFAULT-VALUE})")
    int opencvThreads;

    @Option(names = "--letterbox",
            description = "where frames are letterboxed for operatorFps: auto (gpu when the engine can, else cpu; the"
                    + " default, as in the operator), cpu (OpenCV), gpu (CUDA kernel, TensorRT) or hybrid (cpu while"
                    + " the pre-processing threads keep up, the excess on the gpu)")
    String letterbox;

    @Option(names = "--hybrid-backlog", converter = OptionValues.NonNegativeInt.class,
            description = "with --letterbox hybrid: frames waiting for pre-processing above which a frame is left to the"
                    + " GPU letterbox (inference.preprocess.hybrid-backlog; default: ${DEFAULT-VALUE})")
    int hybridBacklog;

    @Option(names = "--skip-other-letterbox", description = "on TensorRT, skip the side-by-side operator run with the"
            + " other letterbox (operatorCpuLetterboxFps / operatorGpuLetterboxFps, gpuVsCpuLetterbox)")
    boolean skipOtherLetterbox;

    @Option(names = "--skip-host-ceiling", description = "skip the host-side ceiling run (recorded engine output)")
    boolean skipHostCeiling;

    @Option(names = "--cuda-graphs", negatable = true, fallbackValue = "true",
            description = "TensorRT: replay enqueueV3 as CUDA graphs captured per batch size (the default, as"
                    + " inference.tensorrt.cuda-graphs); engine-only then uses them too (serializedFps stays plain"
                    + " enqueueV3, as simple samples do; serializedWithGraphsFps is reported beside it)."
                    + " --no-cuda-graphs: plain enqueueV3")
    boolean cudaGraphs;

    @Option(names = "--compare-cuda-graphs", description = "TensorRT: after the main run, open the engine again with"
            + " CUDA graphs flipped and measure engine-only and operator throughput there too (otherCudaGraphs)")
    boolean compareCudaGraphs;

    @Option(names = "--jpeg-quality", paramLabel = "Q", converter = OptionValues.JpegQuality.class,
            description = "encode every frame at this JPEG quality (1-100)"
            + " for the JPEG run (default: --images files as they are, --video frames at the producer's default, "
            + VideoToKafka.DEFAULT_JPEG_QUALITY + ")")
    Integer jpegQuality;

    @Option(names = "--warmup-seconds", defaultValue = "2", paramLabel = "S",
            converter = OptionValues.NonNegativeDouble.class, description = "each operator run is"
            + " preceded by warm-up rounds (a fifth of its frames, at least 8 batches) until this many seconds have"
            + " passed, in seconds (default 2): shorter warm-ups leave the JIT and the pools cold and understate short"
            + " runs")
    double warmupSeconds;

    @Option(names = "--skip-jpeg", description = "skip the JPEG (decode included) operator run")
    boolean skipJpeg;

    @Option(names = "--jpeg-decode",
            description = "where JPEG frames are decoded for operatorJpegFps: auto (the GPU's hardware decoder when the"
                    + " letterbox runs on the GPU and the GPU has one, else cpu; the default, as in the operator),"
                    + " cpu (OpenCV) or gpu (nvJPEG)")
    String jpegDecode;

    /** Where the phases' progress lines go (stderr: stdout carries the table). */
    private PhaseProgress progress;
    /** The engine these options describe (set by {@link #call()}). */
    private EngineSpec spec;
    /** Micro-batch queue delay, ms, as configured (set by {@link #call()}). */
    private double maxQueueDelayMs;

    /**
     * Runs the benchmark.
     *
     * @return 0
     * @throws ParameterException for a bad option value or frames source, before the engine opens
     */
    @Override
    public Integer call() throws Exception {
        parse(LetterboxDevice.class, letterbox, "--letterbox");
        parse(JpegDecodeDevice.class, jpegDecode, "--jpeg-decode");
        LetterboxDevice where;
        JpegDecodeDevice jpegWhere;
        try { // the values in effect: a flag given, else -D or the profile, else the option's default
            Configuration conf = inference.configuration();
            spec = InferenceSettings.engineSpec(conf).optBatchSize(conf.get(InferenceOptions.MAX_BATCH_SIZE)).build();
            maxQueueDelayMs = conf.get(InferenceOptions.MAX_QUEUE_DELAY_MS);
            where = conf.get(InferenceOptions.LETTERBOX);
            jpegWhere = conf.get(InferenceOptions.JPEG_DECODE);
            opencvThreads = conf.get(InferenceOptions.OPENCV_THREADS);
            hybridBacklog = conf.get(InferenceOptions.HYBRID_BACKLOG);
            cudaGraphs = conf.get(InferenceOptions.CUDA_GRAPHS);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(commandSpec.commandLine(), "invalid inference option: "
                    + e.getMessage(), e);
        }
        if (opencvThreads < -1) {
            throw new ParameterException(commandSpec.commandLine(), "--opencv-threads must be -1 (OpenCV's default) or"
                    + " more, got " + opencvThreads);
        }
        Path videoFile = null;
        if (images != null) {
            if (!Files.isDirectory(images)) {
                throw new ParameterException(commandSpec.commandLine(), "--images '" + images + "' is not a folder"
                        + " (resolved to " + images.toAbsolutePath() + ")");
            }
        } else if (video != null) {
            if (!Files.isRegularFile(video)) {
                throw new ParameterException(commandSpec.commandLine(), "--video '" + video + "' is not a file"
                        + " (resolved to " + video.toAbsolutePath() + ")");
            }
            videoFile = video;
        } else {
            try {
                videoFile = Path.of(DemoInput.resolveDefault());
            } catch (RuntimeException e) {
                throw new ParameterException(commandSpec.commandLine(), e.getMessage(), e);
            }
        }
        try (PhaseProgress p = new PhaseProgress(System.err, "benchmark: ", HEARTBEAT_S)) {
            progress = p;
            return measure(videoFile, where, jpegWhere);
        }
    }

    /** The enum constant named {@code value} (any case), or a usage error naming the option and the choices. */
    private <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(commandSpec.commandLine(), "Invalid value for option '" + option + "': '"
                    + value + "', expected one of " + Arrays.stream(type.getEnumConstants())
                            .map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

    private Integer measure(Path videoFile, LetterboxDevice where, JpegDecodeDevice jpegWhere) throws Exception {
        int threads = preprocessThreads > 0 ? preprocessThreads : Runtime.getRuntime().availableProcessors();
        OpenCvThreads.apply(opencvThreads);
        BenchmarkFrames src = progress.phase("loading frames", images != null ? images.toString()
                : videoFile.toString(), () -> BenchmarkFrames.load(images, videoFile, maxSourceFrames, jpegQuality));
        LOG.info("benchmark: {} distinct frames of {}x{} from {}", src.count(), src.width(), src.height(),
                src.source());
        Map<String, Object> r = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try (InferenceEngine engine = progress.phase("opening the engine", spec.backend().id() + " "
                + spec.precision().id() + ", batch " + spec.maxBatchSize(), () -> InferenceEngines.open(spec))) {
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            EngineInfo info = engine.info();
            r.put("backend", info.backend().id());
            r.put("precision", info.precision().id());
            r.put("batch", info.maxBatchSize());
            r.put("inFlight", info.maxInFlight());
            r.put("device", info.device());
            r.put("inputType", info.inputType().name().toLowerCase(Locale.ROOT));
            r.put("outputLayout", info.outputLayout().id() + " [N," + info.outputRows() + "," + info.outputColumns()
                    + "]");
            r.put("model", info.modelName());
            r.put("engineOpenSeconds", round(openSeconds, 2));
            r.put("preprocessThreads", threads);
            r.put("opencvThreads", org.bytedeco.opencv.global.opencv_core.getNumThreads());
            r.put("cpus", Runtime.getRuntime().availableProcessors());
            r.put("maxQueueDelayMs", maxQueueDelayMs);
            r.put("sourceFrames", src.count());
            r.put("jpegQuality", src.jpegQuality() == BenchmarkFrames.AS_READ ? "as read" : src.jpegQuality());
            r.put("jpegMeanBytes", src.meanJpegBytes());
            r.put("jpegCheckMicros", round(jpegCheckMicros(src), 2));
            r.put("frameSize", src.width() + "x" + src.height());
            Optional<DeviceProbe> probe = engine.probe();
            if (probe.isPresent()) {
                DeviceProbe dev = probe.get();
                r.put("cudaGraphs", cudaGraphs);
                r.put("engineCacheHit", dev.planCacheHit());
                r.put("engineCacheKey", dev.planCacheKey());
                r.put("h2dGBps", round(progress.phase("h2d bandwidth", null, () -> dev.measureH2dGBps(50)), 2));
            }
            int b = info.maxBatchSize();
            double engineOnly = progress.phase("engine-only", engineIterations + " batches of " + b,
                    () -> engineOnly(engine, b, engineIterations));
            r.put("engineOnlyFps", round(engineOnly, 1));
            LOG.info("benchmark: engineOnlyFps {}", round(engineOnly, 1));
            if (probe.isPresent()) {
                DeviceProbe dev = probe.get();
                r.put("engineWithCopiesFps", round(progress.phase("engine with copies", engineIterations
                        + " batches of " + b, () -> dev.measureWithCopies(b, engineIterations)), 1));
                if (engine.letterboxesOnDevice()) {
                    r.put("engineWithDeviceLetterboxFps", round(progress.phase("engine with the device letterbox",
                            null, () -> withDeviceLetterbox(dev, info, src, b, false)), 1));
                }
                if (engine.decodesJpegOnDevice() && !skipJpeg) {
                    r.put("engineWithDeviceJpegFps", round(progress.phase("engine with the device JPEG decode", null,
                            () -> withDeviceLetterbox(dev, info, src, b, true)), 1));
                }
            }
            int serialBatches = Math.max(20, engineIterations / 2);
            double serialized = progress.phase("serialized", serialBatches + " batches of " + b,
                    () -> serialized(engine, b, serialBatches, false));
            r.put("serializedFps", round(serialized, 1));
            LOG.info("benchmark: serializedFps {}", round(serialized, 1));
            if (probe.isPresent() && cudaGraphs) {
                r.put("serializedWithGraphsFps", round(progress.phase("serialized with CUDA graphs", serialBatches
                        + " batches of " + b, () -> serialized(engine, b, serialBatches, true)), 1));
            }

            BatchPolicy policy = new BatchPolicy(b, maxQueueDelayMs, info.maxInFlight());
            StageListener stages = stageListener(engine);
            LetterboxDevice mode;
            try (DetectionPipeline pipeline = DetectionPipeline.builder(engine).batchPolicy(policy)
                    .preprocessThreads(threads).letterbox(where).hybridBacklog(hybridBacklog).jpegDecode(jpegWhere)
                    .listener(stages).build()) {
                mode = pipeline.letterboxMode();
                r.put("letterbox", mode.name().toLowerCase(Locale.ROOT));
                Throughput op = progress.phase("operator", "warm-up, then " + frames + " raw frames, letterbox "
                        + mode.name().toLowerCase(Locale.ROOT), () -> measureOperator(pipeline, stages, src,
                        engineOnly, r));
                r.put("operatorVsSerialized", round(op.fps / serialized, 3));
                Object deviceSide = r.get(mode == LetterboxDevice.GPU ? "engineWithDeviceLetterboxFps"
                        : mode == LetterboxDevice.CPU ? "engineWithCopiesFps" : null);
                if (deviceSide instanceof Double d && d > 0) {
                    r.put("operatorVsDeviceSide", round(op.fps / d, 3));
                }
                if (mode == LetterboxDevice.HYBRID) {
                    r.put("hybridBacklog", hybridBacklog);
                    r.put("operatorDeviceLetterboxedFraction", round(stages.deviceLetterboxedFraction(), 3));
                }
                if (probe.isPresent() && cudaGraphs) {
                    r.put("cudaGraphsCaptured", probe.get().graphsCaptured());
                }
                LOG.info("benchmark: operatorFps {} ({} of engine-only)", round(op.fps, 1),
                        round(op.fps / engineOnly, 3));
                if (!skipJpeg) {
                    progress.run("operator JPEG", "warm-up, then " + Math.min(frames, 12000) + " JPEG frames",
                            () -> jpegRuns(pipeline, stages, engine, policy, threads, mode, src, r));
                }
                stages.reset(); // latencyMeanBatch below: the latency run's batches only
                double offered = 0.7 * op.fps;
                Latency lat = progress.phase("latency", String.format(Locale.ROOT, "%.1f fps offered for %.1f s",
                        offered, latencySeconds), () -> openLoop(pipeline, src, offered, latencySeconds));
                r.put("latencyOfferedFps", round(offered, 1));
                r.put("latencyAchievedFps", round(lat.achievedFps, 1));
                r.put("p50Ms", round(lat.p50, 2));
                r.put("p99Ms", round(lat.p99, 2));
                r.put("latencyMeanBatch", round(stages.meanBatch(), 2));
                r.put("latencyDeadLetters", lat.deadLetters);
            }
            if (engine.letterboxesOnDevice() && !skipOtherLetterbox) {
                LetterboxDevice other = mode == LetterboxDevice.CPU ? LetterboxDevice.GPU : LetterboxDevice.CPU;
                try (DetectionPipeline p = DetectionPipeline.builder(engine).batchPolicy(policy)
                        .preprocessThreads(threads).letterbox(other).build()) {
                    double otherFps = progress.phase("operator, " + other.name().toLowerCase(Locale.ROOT)
                            + " letterbox", "warm-up, then " + frames + " raw frames",
                            () -> warmedRun(p, src, warmUp(b), frames, () -> { }).fps);
                    double mainFps = ((Number) r.get("operatorFps")).doubleValue();
                    double cpu = mode == LetterboxDevice.CPU ? mainFps : otherFps;
                    String main = mode == LetterboxDevice.CPU ? "gpu" : mode.name().toLowerCase(Locale.ROOT);
                    double dev = mode == LetterboxDevice.CPU ? otherFps : mainFps;
                    r.put("operatorCpuLetterboxFps", round(cpu, 1));
                    r.put("operator" + Character.toUpperCase(main.charAt(0)) + main.substring(1) + "LetterboxFps",
                            round(dev, 1));
                    r.put(main + "VsCpuLetterbox", round(dev / cpu, 3));
                    LOG.info("benchmark: operatorFps with the {} letterbox {}", other.name().toLowerCase(Locale.ROOT),
                            round(otherFps, 1));
                }
            }
            if (!skipHostCeiling) {
                LetterboxDevice hostMode = mode;
                double host = progress.phase("host ceiling", "recorded engine output, warm-up, then " + frames
                        + " frames", () -> hostCeiling(engine, src, policy, threads, hostMode, warmUp(b), frames));
                r.put("hostCeilingFps", round(host, 1));
                r.put("operatorVsHostCeiling", round(((Number) r.get("operatorFps")).doubleValue() / host, 3));
                LOG.info("benchmark: hostCeilingFps {}", round(host, 1));
            }
        }
        if (compareCudaGraphs && spec.backend() == Backend.TENSORRT) {
            r.put("otherCudaGraphs", progress.phase("CUDA graphs " + (cudaGraphs ? "off" : "on"), "engine-only and"
                    + " operator", () -> otherEngine(spec.toBuilder().cudaGraphs(!cudaGraphs).build(), src, threads,
                    where)));
        }
        print(r);
        if (report != null) {
            Path parent = report.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(report.toFile(), r);
            LOG.info("benchmark: report written to {}", report);
        }
        return 0;
    }

    /**
     * The measured operator run of {@code p} (warm-up, then {@link #frames} frames), with its figures put in {@code r}:
     * {@code operatorFps}, {@code operatorVsEngine}, {@code operatorDeadLetters}, {@code operatorMeanBatch},
     * {@code operatorStageMs}, {@code operatorDispatch} and, when the engine has a device timeline,
     * {@code operatorTimeline}.
     */
    private Throughput measureOperator(DetectionPipeline p, StageListener stages, BenchmarkFrames src,
            double engineOnly, Map<String, Object> r) throws Exception {
        DispatchStats[] warmed = {DispatchStats.EMPTY};
        Throughput op = warmedRun(p, src, warmUp(p.engineInfo().maxBatchSize()), frames, () -> {
            stages.reset();
            warmed[0] = p.dispatchStats();
        });
        r.put("operatorFps", round(op.fps, 1));
        r.put("operatorVsEngine", round(op.fps / engineOnly, 3));
        r.put("operatorDeadLetters", op.deadLetters);
        r.put("operatorMeanBatch", round(stages.meanBatch(), 2));
        r.put("operatorStageMs", stages.meanStagesMs());
        r.put("operatorDispatch", dispatchReport(p.dispatchStats().minus(warmed[0])));
        Map<String, Double> timeline = stages.timeline();
        if (!timeline.isEmpty()) {
            r.put("operatorTimeline", timeline);
        }
        return op;
    }

    /** A stage listener with the engine's timeline epoch on the host clock when it has one (a device probe). */
    private static StageListener stageListener(InferenceEngine engine) {
        StageListener l = new StageListener();
        engine.probe().ifPresent(p -> l.setEpochHostNanos(p.epochHostNanos()));
        return l;
    }

    /** The dispatch thread's phases per batch over a run ({@link DispatchStats}), ms, for the JSON report. */
    static Map<String, Double> dispatchReport(DispatchStats d) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("permitWaitMs", round(d.meanPermitWaitMs(), 3));
        m.put("formWaitMs", round(d.meanFormWaitMs(), 3));
        m.put("handlerMs", round(d.meanHandlerMs(), 3));
        m.put("handlerShare", round(d.handlerShare(), 3));
        m.put("meanBacklog", round(d.meanBacklog(), 1));
        return m;
    }

    /**
     * Engine-only and operator throughput of {@code spec} (the main spec with CUDA graphs flipped), same letterbox,
     * measured right after the main run in the same process.
     */
    private Map<String, Object> otherEngine(EngineSpec spec, BenchmarkFrames src, int threads, LetterboxDevice where)
            throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            EngineInfo info = engine.info();
            m.put("cudaGraphs", spec.cudaGraphs());
            double engineOnly = engineOnly(engine, info.maxBatchSize(), engineIterations);
            m.put("engineOnlyFps", round(engineOnly, 1));
            BatchPolicy policy = new BatchPolicy(info.maxBatchSize(), maxQueueDelayMs, info.maxInFlight());
            StageListener stages = stageListener(engine);
            try (DetectionPipeline p = DetectionPipeline.builder(engine).batchPolicy(policy)
                    .preprocessThreads(threads).letterbox(where).hybridBacklog(hybridBacklog).listener(stages)
                    .build()) {
                measureOperator(p, stages, src, engineOnly, m);
            }
        }
        LOG.info("benchmark: with CUDA graphs {}: {}", spec.cudaGraphs() ? "on" : "off", m);
        return m;
    }

    /**
     * Host-side ceiling (images/s): the same operator path with a {@link RecordedOutputEngine} in place of the
     * accelerator (every batch answered at once with a recorded real output), after {@code warm} warm-up frames.
     *
     * @param letterbox where the measured pipeline letterboxes (GPU: the host side is decode + staging copy only)
     */
    static double hostCeiling(InferenceEngine engine, BenchmarkFrames src, BatchPolicy policy, int threads,
            LetterboxDevice letterbox, WarmUp warm, int frames) throws Exception {
        try (Mat first = src.mat(0);
                RecordedOutputEngine recorded = RecordedOutputEngine.record(engine, first,
                        letterbox != LetterboxDevice.CPU);
                DetectionPipeline p = DetectionPipeline.builder(recorded).batchPolicy(policy)
                        .preprocessThreads(threads).letterbox(letterbox).build()) {
            return warmedRun(p, src, warm, frames, () -> { }).fps;
        }
    }

    /**
     * The JPEG runs: {@code operatorJpegFps} through {@code pipeline} (JPEG decoded where it says), and when that is
     * the GPU, {@code operatorJpegCpuDecodeFps} through a pipeline with the same letterbox that decodes on the CPU.
     * Each run is warmed up with rounds of a tenth of its frames for {@link #warmupSeconds} first (nvJPEG allocates
     * its buffers on the first batches).
     */
    private void jpegRuns(DetectionPipeline pipeline, StageListener stages, InferenceEngine engine,
            BatchPolicy policy, int threads, LetterboxDevice mode, BenchmarkFrames src, Map<String, Object> r)
            throws Exception {
        int n = Math.min(frames, 12000);
        JpegDecodeDevice decodeMode = pipeline.jpegDecodeMode();
        r.put("jpegDecode", decodeMode.name().toLowerCase(Locale.ROOT));
        WarmUp jpegWarmUp = new WarmUp(Math.max(n / 10, 4 * policy.maxBatchSize()), warmupSeconds);
        warm(pipeline, src, jpegWarmUp, false);
        stages.reset();
        DispatchStats warmed = pipeline.dispatchStats();
        Throughput jp = closedLoop(pipeline, src, n, false);
        r.put("operatorJpegFps", round(jp.fps, 1));
        r.put("operatorJpegDeadLetters", jp.deadLetters);
        // where the JPEG batches spent their time: on TensorRT with GPU decode, h2d is the copy-in, the hardware decode
        // and the letterbox kernel; operatorJpegTimeline.hostLaunchMs includes queueing the decode (nvJPEG's host side)
        r.put("operatorJpegStageMs", stages.meanStagesMs());
        r.put("operatorJpegDispatch", dispatchReport(pipeline.dispatchStats().minus(warmed)));
        Map<String, Double> timeline = stages.timeline();
        if (!timeline.isEmpty()) {
            r.put("operatorJpegTimeline", timeline);
        }
        if (decodeMode == JpegDecodeDevice.GPU) {
            r.put("jpegCpuFallbacks", pipeline.jpegFallbacks());
            try (DetectionPipeline cpu = DetectionPipeline.builder(engine).batchPolicy(policy)
                    .preprocessThreads(threads).letterbox(mode).hybridBacklog(hybridBacklog)
                    .jpegDecode(JpegDecodeDevice.CPU).build()) {
                warm(cpu, src, jpegWarmUp, false);
                Throughput c = closedLoop(cpu, src, n, false);
                r.put("operatorJpegCpuDecodeFps", round(c.fps, 1));
                r.put("gpuVsCpuJpegDecode", round(jp.fps / c.fps, 3));
            }
        }
        LOG.info("benchmark: operatorJpegFps {} (JPEG decoded on the {})", round(jp.fps, 1), decodeMode);
    }

    /**
     * The device side of the GPU letterbox path (images/s): every slot relaunching a batch of {@code batch} real
     * frames staged once in its pinned memory (decoded: H2D of the {@code W*H*3} source bytes; or {@code jpeg}: the
     * JPEG files, decoded by the hardware decoder), letterbox kernel, engine, D2H; no host work.
     */
    private double withDeviceLetterbox(DeviceProbe probe, EngineInfo info, BenchmarkFrames src, int batch,
            boolean jpeg) throws Exception {
        try (Letterbox lb = new Letterbox(info.inputWidth(), info.inputHeight())) {
            return probe.measureDeviceSide(engineIterations, in -> {
                List<SourceImage> frames = new ArrayList<>(batch);
                for (int i = 0; i < batch; i++) {
                    int k = in.slot() * batch + i;
                    frames.add(jpeg ? src.jpegSource(k) : src.source(k));
                }
                lb.stage(frames, in.sources(), Letterbox.IndexLoop.SEQUENTIAL);
                in.setMixedSize(0, batch);
            });
        }
    }

    /** Engine-only throughput (images/s): the engine's device probe when it has one, else batches back to back. */
    static double engineOnly(InferenceEngine engine, int batch, int iterations) throws Exception {
        Optional<DeviceProbe> probe = engine.probe();
        if (probe.isPresent()) {
            return probe.get().measureEngineOnly(batch, iterations);
        }
        int warm = Math.max(2, iterations / 10);
        backToBack(engine, batch, warm);
        long t0 = System.nanoTime();
        backToBack(engine, batch, iterations);
        return iterations * (double) batch / ((System.nanoTime() - t0) / 1e9);
    }

    private static void backToBack(InferenceEngine engine, int batch, int iterations) throws Exception {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            InputBatch in = engine.acquire(); // blocks while every slot is busy
            in.setSize(batch);
            pending.add(engine.submit(in).thenAccept(OutputBatch::close));
        }
        CompletableFuture.allOf(pending.toArray(new CompletableFuture[0])).get(10, TimeUnit.MINUTES);
    }

    /**
     * Serialized throughput (images/s): copy in, infer, copy out, wait, one batch at a time.
     *
     * @param useGraphs with a device probe (TensorRT): queue the engine as its CUDA graph (when on) rather than plain
     *     {@code enqueueV3}
     */
    static double serialized(InferenceEngine engine, int batch, int iterations, boolean useGraphs) throws Exception {
        Optional<DeviceProbe> probe = engine.probe();
        if (probe.isPresent()) {
            return probe.get().measureSerialized(batch, iterations, useGraphs);
        }
        for (int i = 0; i < 3; i++) {
            oneBatch(engine, batch);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            oneBatch(engine, batch);
        }
        return iterations * (double) batch / ((System.nanoTime() - t0) / 1e9);
    }

    private static void oneBatch(InferenceEngine engine, int batch) throws Exception {
        InputBatch in = engine.acquire();
        in.setSize(batch);
        engine.submit(in).get(10, TimeUnit.MINUTES).close();
    }

    /** Frames per second of a closed-loop run and the dead letters it gave. */
    record Throughput(double fps, long deadLetters) {}

    /**
     * The warm-up before a measured operator run: rounds of {@code frames} frames until {@code seconds} have passed
     * (at least one round).
     *
     * @param frames frames per round
     * @param seconds least warm-up time, s
     */
    record WarmUp(int frames, double seconds) {}

    /** Warm-up before a measured run of {@link #frames} frames: rounds of 8 batches or a fifth of the frames. */
    private WarmUp warmUp(int batch) {
        return new WarmUp(Math.max(batch * 8, frames / 5), warmupSeconds);
    }

    /**
     * Runs warm-up rounds through {@code p} (see {@link WarmUp}), logged.
     *
     * @param decoded raw frames (true) or JPEG files (false)
     */
    static void warm(DetectionPipeline p, BenchmarkFrames src, WarmUp w, boolean decoded) throws Exception {
        long t0 = System.nanoTime();
        int rounds = 0;
        Throughput last;
        do {
            last = closedLoop(p, src, w.frames(), decoded);
            rounds++;
        } while ((System.nanoTime() - t0) / 1e9 < w.seconds());
        LOG.info("benchmark: warm-up {} rounds of {} frames in {} s, last {} fps", rounds, w.frames(),
                round((System.nanoTime() - t0) / 1e9, 2), round(last.fps, 1));
    }

    /** The warm-up (logged), then {@code afterWarmUp} (e.g. a listener reset), then the measured {@code n} frames. */
    private static Throughput warmedRun(DetectionPipeline p, BenchmarkFrames src, WarmUp warm, int n,
            Runnable afterWarmUp) throws Exception {
        warm(p, src, warm, true);
        afterWarmUp.run();
        return closedLoop(p, src, n, true);
    }

    /** Offers {@code n} frames as fast as the pipeline accepts them (bounded outstanding frames); images/s. */
    static Throughput closedLoop(DetectionPipeline p, BenchmarkFrames src, int n, boolean decoded)
            throws Exception {
        EngineInfo info = p.engineInfo();
        Semaphore window = new Semaphore(Math.max(64, 4 * info.maxBatchSize() * info.maxInFlight()));
        LongAdder dead = new LongAdder();
        CompletableFuture<?>[] all = new CompletableFuture<?>[n];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            window.acquire();
            all[i] = p.submit(src.frame(i, decoded)).whenComplete((o, e) -> {
                if (e != null || o.isDeadLetter()) {
                    dead.increment();
                    if (dead.sum() == 1) {
                        LOG.warn("benchmark: dead letter {}", e != null ? e : o);
                    }
                }
                window.release();
            });
        }
        CompletableFuture.allOf(all).get(10, TimeUnit.MINUTES);
        double s = (System.nanoTime() - t0) / 1e9;
        return new Throughput(n / s, dead.sum());
    }

    private record Latency(double p50, double p99, double achievedFps, long deadLetters) {}

    /** Offers frames at a steady {@code fps} for {@code seconds}; per-frame latency percentiles in ms. */
    private static Latency openLoop(DetectionPipeline p, BenchmarkFrames src, double fps, double seconds)
            throws Exception {
        int n = (int) Math.max(1, fps * seconds);
        long[] lat = new long[n];
        LongAdder dead = new LongAdder();
        CompletableFuture<?>[] all = new CompletableFuture<?>[n];
        double periodNanos = 1e9 / fps;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = t0 + (long) (i * periodNanos);
            long now;
            while ((now = System.nanoTime()) < due) {
                long wait = due - now;
                if (wait > 200_000) {
                    TimeUnit.NANOSECONDS.sleep(wait - 100_000);
                } else {
                    Thread.onSpinWait();
                }
            }
            final int k = i;
            final long submitted = System.nanoTime();
            all[i] = p.submit(src.frame(i, true)).whenComplete((o, e) -> {
                lat[k] = System.nanoTime() - submitted;
                if (e != null || o.isDeadLetter()) {
                    dead.increment();
                }
            });
        }
        CompletableFuture.allOf(all).get(10, TimeUnit.MINUTES);
        double s = (System.nanoTime() - t0) / 1e9;
        long[] sorted = lat.clone();
        Arrays.sort(sorted);
        return new Latency(pct(sorted, 0.50) / 1e6, pct(sorted, 0.99) / 1e6, n / s, dead.sum());
    }

    static double pct(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /**
     * Host time of the check every JPEG frame gets before it is decoded (complete datastream to its EOI, frame header:
     * {@link ImageHeaderProbe#probeJpegFrame}), microseconds per frame on one thread, over the benchmark's frames for
     * at least 0.5 s after a 0.2 s warm-up.
     *
     * @throws IllegalStateException when a benchmark frame fails the check
     */
    static double jpegCheckMicros(BenchmarkFrames src) {
        timeJpegChecks(src, 0.2); // warm-up: JIT
        return timeJpegChecks(src, 0.5);
    }

    private static double timeJpegChecks(BenchmarkFrames src, double seconds) {
        long calls = 0;
        long lengths = 0; // used, so that the JIT keeps the checks
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        try {
            while (System.nanoTime() < end) {
                for (byte[] jpeg : src.jpeg()) {
                    lengths += ImageHeaderProbe.probeJpegFrame(jpeg).datastreamLength();
                    calls++;
                }
            }
        } catch (io.flinkvision.frame.InvalidFrameException e) {
            throw new IllegalStateException("a benchmark frame is not a complete JPEG: " + e.getMessage(), e);
        }
        return lengths > 0 ? (System.nanoTime() - t0) / 1e3 / calls : Double.NaN;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    private static void print(Map<String, Object> r) {
        System.out.println(table(r));
    }

    /** The report as a Markdown table of {@code | metric | value |} rows, in the report's order. */
    static String table(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder("\n| metric | value |\n| --- | --- |\n");
        r.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        return sb.toString();
    }

    /** Standalone entry point: {@code java -cp ... io.flinkvision.jobs.benchmark.BenchmarkCommand [options]}. */
    public static void main(String[] args) {
        System.exit(CliErrors.install(new CommandLine(new BenchmarkCommand())).execute(args));
    }
}

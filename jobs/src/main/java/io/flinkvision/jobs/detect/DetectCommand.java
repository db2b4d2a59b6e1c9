package io.flinkvision.jobs.detect;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.EngineStatus;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.jobs.EngineConsole;
import io.flinkvision.jobs.cli.CommandFailure;
import io.flinkvision.jobs.cli.OptionValues;
import io.flinkvision.pipeline.DetectionPipeline;
import io.flinkvision.pipeline.OutcomeFactory;
import io.flinkvision.postprocess.PostprocessConfig;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.flink.InferenceSettings;
import io.flinkvision.jobs.cli.InferenceCheck;
import io.flinkvision.jobs.cli.InferenceFlags;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code detect}: runs the operator's full path (decode -> letterbox -> micro-batch -> engine -> YOLOX decode -> NMS)
 * on images and prints one JSON line per image on stdout, in input order: {@code {"image": path, "imageWidth",
 * "imageHeight", "detections": [...], "model", "backend"}}, or {@code {"image": path, "error": reason-code,
 * "message": detail}} for an input that cannot be used (the others still run). Box coordinates are pixels of the
 * original image. IMAGE arguments are files, folders (their {@code .jpg/.jpeg/.png} files, sorted by name) or
 * {@code -} (paths read from stdin, one per line); see {@link ImageInputs}. Stdout carries these lines only: logs and
 * engine progress go to stderr.
 *
 * <p>Exit codes: 0 every image was processed, 1 some could not be (each has an error line), 2 usage error (a bad
 * option value, no IMAGE; one line on stderr), 3 the engine or the model could not open (one line on stderr, no JSON).
 */
@Command(name = "detect", mixinStandardHelpOptions = true,
        description = "Detect objects in images (JPEG/PNG); one JSON line per image on stdout, logs on stderr.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every image was processed", "1:some images could not be (see their \"error\" lines)",
            "2:usage error (bad option value, no IMAGE)", "3:the engine or the model could not open"})
public class DetectCommand implements Callable<Integer> {
    /** Exit code when the engine or the model could not open. */
    public static final int ENGINE_FAILED = 3;

    @Spec
    CommandSpec commandSpec;

    @Mixin
    InferenceFlags inference;
    // the fields below are read through inference.options(): InferenceFlags.FLAG_OPTIONS maps them onto their keys
    @Option(names = "--score-threshold", paramLabel = "S", converter = OptionValues.UnitInterval.class,
            description = "Minimum score, 0..1 (default: ${DEFAULT-VALUE}).")
    Float scoreThreshold;
    @Option(names = "--nms-iou-threshold", paramLabel = "IOU", converter = OptionValues.UnitInterval.class,
            description = "Class-aware NMS IoU threshold, 0..1 (default: ${DEFAULT-VALUE}).")
    Float nmsIou;
    @Option(names = "--max-frame-bytes", paramLabel = "BYTES", converter = OptionValues.PositiveInt.class,
            description = "Largest image file accepted, bytes (default: ${DEFAULT-VALUE}); larger ones are reported as"
                    + " payload-too-large.")
    Integer maxFrameBytes;
    @Option(names = "--max-pixels", paramLabel = "PIXELS", converter = OptionValues.PositiveLong.class,
            description = "Largest image accepted, width*height from its header (default: ${DEFAULT-VALUE}); larger"
                    + " ones are refused before decoding (image-too-large).")
    Long maxPixels;
    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files, folders (their .jpg/.jpeg/.png"
            + " files, sorted by name; other entries are skipped with a note on stderr) or - (read such paths from"
            + " stdin, one per line).")
    List<String> images;

    /** Where the JSON lines go. */
    PrintStream out = System.out;
    /** Where notes and engine progress lines go (a first-run TensorRT build takes minutes); stdout stays JSON only. */
    PrintStream err = System.err;
    /** Where {@code -} reads image paths from. */
    InputStream in = System.in;

    /**
     * The engine settings these options describe.
     *
     * @throws IllegalArgumentException naming an {@code inference.*} value that does not parse or is out of range
     */
    public EngineSpec spec() {
        return InferenceSettings.engineSpec(inference.configuration()).build();
    }

    /**
     * Runs every image and prints its line.
     *
     * @return 0 when every image was processed, 1 when some could not be
     * @throws CommandFailure with exit code {@value #ENGINE_FAILED} when the engine or the model cannot open
     * @throws ParameterException when {@code -} is given more than once
     */
    @Override
    public Integer call() throws InterruptedException {
        if (images.stream().filter(ImageInputs.STDIN::equals).count() > 1) {
            throw new ParameterException(commandSpec.commandLine(), "'-' (read paths from stdin) may be given once");
        }
        Configuration conf;
        try {
            conf = inference.configuration();
            InferenceCheck.checkOptions(conf);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(commandSpec.commandLine(), e.getMessage(), e, null, null);
        }
        // stdout is for the JSON lines: anything a library prints on System.out meanwhile goes to stderr
        PrintStream stdout = System.out;
        boolean redirect = out == stdout;
        if (redirect) {
            System.setOut(err);
        }
        try {
            return run(conf);
        } finally {
            if (redirect) {
                System.setOut(stdout);
            }
        }
    }

    private int run(Configuration conf) throws InterruptedException {
        DecodeLimits limits = InferenceSettings.decodeLimits(conf);
        InferenceEngine engine = openWithProgress(InferenceSettings.engineSpec(conf).build());
        // the operator's own settings (batch policy, thresholds, pre-processing) from the same options
        try (DetectionPipeline pipeline = DetectionPipeline.builder(engine)
                .ownsEngine(true)
                .batchPolicy(InferenceSettings.batchPolicy(conf))
                .postprocess(InferenceSettings.postprocess(conf))
                .decodeLimits(limits)
                .preprocessThreads(conf.get(InferenceOptions.PREPROCESS_THREADS))
                .letterbox(conf.get(InferenceOptions.LETTERBOX))
                .hybridBacklog(conf.get(InferenceOptions.HYBRID_BACKLOG))
                .jpegDecode(conf.get(InferenceOptions.JPEG_DECODE))
                .build()) {
            OrderedPrinter printer = new OrderedPrinter(out,
                    Math.max(16, 4 * conf.get(InferenceOptions.MAX_BATCH_SIZE)));
            ImageInputs inputs = new ImageInputs(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)),
                    err, "detect: ");
            long[] index = {0};
            boolean complete;
            try {
                complete = inputs.expand(images, input -> printer.add(input.name(),
                        input.error() != null ? CompletableFuture.completedFuture(
                                OutcomeFactory.deadLetter(frame(input.name(), index[0]++), input.error(),
                                        input.message()))
                                : submit(pipeline, input, index[0]++, limits)));
            } finally {
                printer.finish();
            }
            if (!complete) {
                err.println("detect: stdout was closed; stopped after " + printer.printed() + " images");
                return 1;
            }
            return printer.failures() == 0 ? 0 : 1;
        }
    }

    /** Reads one image file and submits it; a file that cannot be read, or is over the byte limit, is an outcome. */
    private static CompletableFuture<InferenceOutcome> submit(DetectionPipeline pipeline, ImageInputs.Input input,
            long index, DecodeLimits limits) {
        Frame f = frame(input.name(), index);
        try {
            long size = Files.size(input.path()); // checked before reading, so a huge file is not read into memory
            if (size > limits.maxFrameBytes()) {
                return CompletableFuture.completedFuture(OutcomeFactory.deadLetter(f,
                        DeadLetterReason.PAYLOAD_TOO_LARGE.code(), "file is " + size + " bytes, over the limit of "
                                + limits.maxFrameBytes() + " bytes (--max-frame-bytes)"));
            }
            byte[] bytes = Files.readAllBytes(input.path());
            f.setEncoding(ImageFiles.sniffEncoding(bytes, input.path()));
            f.setPayload(bytes);
            return pipeline.submit(f);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.completedFuture(OutcomeFactory.deadLetter(f, "file-unreadable", e.toString()));
        }
    }

    private static Frame frame(String name, long index) {
        Frame f = new Frame();
        f.setCameraId(name);
        f.setFrameIndex(index);
        return f;
    }

    /** The JSON line of one image's outcome. */
    static ObjectNode line(String image, InferenceOutcome o) {
        ObjectNode line = DetectionJson.mapper().createObjectNode();
        line.put("image", image);
        if (o.isDeadLetter()) {
            line.put("error", o.getDeadLetter().getReason());
            line.put("message", o.getDeadLetter().getMessage());
        } else {
            FrameDetections d = o.getDetections();
            line.put("imageWidth", d.getImageWidth());
            line.put("imageHeight", d.getImageHeight());
            line.set("detections", DetectionJson.mapper().valueToTree(d.getDetections()));
            line.put("model", d.getModel());
            line.put("backend", d.getBackend());
        }
        return line;
    }

    /**
     * Opens the engine on this thread while a daemon thread prints its {@link EngineStatus} to {@link #err}.
     *
     * @throws CommandFailure with exit code {@value #ENGINE_FAILED} when the model is missing or the engine fails
     */
    private InferenceEngine openWithProgress(EngineSpec spec) {
        String group = "detect-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        EngineStatus.Tracker status = EngineStatus.start(group, 0, 0, "engine", spec.backend().id());
        EngineConsole console = new EngineConsole(group, 1, err, "detect: ");
        ScheduledExecutorService printer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "detect-engine-console");
            t.setDaemon(true);
            return t;
        });
        printer.scheduleWithFixedDelay(console::poll, 2, 2, TimeUnit.SECONDS); // quiet when the open is quick
        String model = spec.modelPath().equals(EngineSpec.BUNDLED_MODEL) ? null : spec.modelPath();
        try {
            if (model != null && !model.startsWith("classpath:") && !Files.isRegularFile(Path.of(model))) {
                throw new CommandFailure(ENGINE_FAILED, "cannot open the model: --model '" + model + "' is not a file"
                        + " (resolved to " + Path.of(model).toAbsolutePath() + ")", null);
            }
            InferenceEngine e = InferenceEngines.open(spec);
            status.ready(e.info().backend().id() + " " + e.info().precision().id() + " on " + e.info().device());
            return e;
        } catch (CommandFailure e) {
            status.failed(e);
            throw e;
        } catch (RuntimeException | LinkageError e) {
            status.failed(e);
            throw new CommandFailure(ENGINE_FAILED, "cannot open the " + spec.backend().id() + " engine"
                    + (model != null ? " for --model '" + model + "'" : "") + ": " + e.getMessage(), e);
        } finally {
            printer.shutdownNow();
            status.close();
            console.clear();
        }
    }
}

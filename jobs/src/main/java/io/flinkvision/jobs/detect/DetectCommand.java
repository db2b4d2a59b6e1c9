package io.flinkvision.jobs.detect;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.batching.DetectionPipeline;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.EngineStatus;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.Precision;
import io.flinkvision.frame.Frame;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.jobs.EngineConsole;
import io.flinkvision.postprocess.PostprocessConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code detect}: runs the operator's full path (decode -> letterbox -> micro-batch -> engine -> YOLOX decode -> NMS)
 * on image files and prints one JSON line per image, in argument order:
 * {@code {"image": path, "imageWidth", "imageHeight", "detections": [...]}}, or {@code {"image": path, "error":
 * reason-code, "message": detail}} for a file that cannot be used (the others still run). Exit code 0 when every image
 * was processed, 1 when some could not be.
 */
@Command(name = "detect", mixinStandardHelpOptions = true,
        description = "Detect objects in image files (JPEG/PNG); one JSON line per image.")
public class DetectCommand implements Callable<Integer> {
    @Option(names = "--model", description = "ONNX model file (default: the bundled YOLOX-Nano).")
    String model;
    @Option(names = "--backend", defaultValue = "onnxruntime", description = "onnxruntime, tensorrt or auto.")
    String backend;
    @Option(names = "--precision", defaultValue = "fp32", description = "fp32, fp16 or int8.")
    String precision;
    @Option(names = "--batch-size", defaultValue = "8", description = "Max micro-batch size.")
    int batchSize;
    @Option(names = "--score-threshold", defaultValue = "0.3", description = "Minimum score.")
    float scoreThreshold;
    @Option(names = "--nms-iou-threshold", defaultValue = "0.45", description = "Class-aware NMS IoU threshold.")
    float nmsIou;
    @Option(names = "--max-frame-bytes", description = "Largest image file accepted, bytes (default 16 MiB, as"
            + " inference.max-frame-bytes); larger ones are reported as payload-too-large.")
    Integer maxFrameBytes;
    @Option(names = "--max-pixels", description = "Largest image accepted, width*height from its header (default 40"
            + " megapixels, as inference.max-pixels); larger ones are refused before decoding (image-too-large).")
    Long maxPixels;
    @Option(names = "--engine-cache-dir", description = "Directory of the TensorRT engine cache, kept across runs so"
            + " only the first run builds (as inference.tensorrt.engine-cache-dir).")
    String engineCacheDir;
    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files.")
    List<Path> images;

    PrintStream out = System.out;
    /** Where engine progress lines go (a first-run TensorRT build takes minutes); stdout stays JSON only. */
    PrintStream err = System.err;

    /** The engine settings these options describe. */
    public EngineSpec spec() {
        EngineSpec.Builder spec = EngineSpec.builder().backend(Backend.parse(backend))
                .precision(Precision.parse(precision)).maxBatchSize(batchSize).maxInFlight(2);
        if (model != null) {
            spec.modelPath(model);
        }
        if (engineCacheDir != null) {
            spec.engineCacheDir(engineCacheDir);
        }
        return spec.build();
    }

    @Override
    public Integer call() {
        int failures = 0;
        DecodeLimits limits = limits();
        InferenceEngine engine = openWithProgress(spec());
        try (DetectionPipeline pipeline = DetectionPipeline.builder(engine)
                .ownsEngine(true)
                .batchPolicy(new BatchPolicy(batchSize, 5, 2))
                .postprocess(new PostprocessConfig(scoreThreshold, nmsIou, PostprocessConfig.DEFAULT.maxDetections()))
                .decodeLimits(limits)
                .preprocessThreads(2)
                .build()) {
            List<CompletableFuture<InferenceOutcome>> futures = new ArrayList<>();
            List<String> readErrors = new ArrayList<>();
            long index = 0;
            for (Path p : images) {
                try {
                    byte[] bytes = Files.readAllBytes(p);
                    Frame f = new Frame();
                    f.setCameraId(p.toString());
                    f.setFrameIndex(index++);
                    f.setEncoding(ImageFiles.sniffEncoding(bytes, p));
                    f.setPayload(bytes);
                    futures.add(pipeline.submit(f));
                    readErrors.add(null);
                } catch (IOException e) {
                    futures.add(null);
                    readErrors.add(e.toString());
                }
            }
            for (int i = 0; i < images.size(); i++) {
                ObjectNode line = DetectionJson.mapper().createObjectNode();
                line.put("image", images.get(i).toString());
                if (futures.get(i) == null) {
                    line.put("error", "file-unreadable");
                    line.put("message", readErrors.get(i));
                    failures++;
                } else {
                    InferenceOutcome o = futures.get(i).join();
                    if (o.isDeadLetter()) {
                        line.put("error", o.getDeadLetter().getReason());
                        line.put("message", o.getDeadLetter().getMessage());
                        failures++;
                    } else {
                        FrameDetections d = o.getDetections();
                        line.put("imageWidth", d.getImageWidth());
                        line.put("imageHeight", d.getImageHeight());
                        line.set("detections", DetectionJson.mapper().valueToTree(d.getDetections()));
                        line.put("model", d.getModel());
                        line.put("backend", d.getBackend());
                    }
                }
                out.println(line);
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /** Opens the engine on this thread while a daemon thread prints its {@link EngineStatus} to {@link #err}. */
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
        try {
            InferenceEngine e = InferenceEngines.open(spec);
            status.ready(e.info().backend().id() + " " + e.info().precision().id() + " on " + e.info().device());
            return e;
        } catch (RuntimeException | Error e) {
            status.failed(e);
            throw e;
        } finally {
            printer.shutdownNow();
            status.close();
            console.clear();
        }
    }

    private DecodeLimits limits() {
        return new DecodeLimits(maxFrameBytes != null ? maxFrameBytes : DecodeLimits.DEFAULT.maxFrameBytes(),
                maxPixels != null ? maxPixels : DecodeLimits.DEFAULT.maxPixels());
    }
}

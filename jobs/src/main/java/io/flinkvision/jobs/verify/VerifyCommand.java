package io.flinkvision.jobs.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.Precision;
import io.flinkvision.flink.InferenceSettings;
import io.flinkvision.jobs.cli.InferenceFlags;
import io.flinkvision.jobs.demo.DemoInput;
import io.flinkvision.verification.EngineVerifier;
import io.flinkvision.verification.Tolerance;
import io.flinkvision.verification.VerificationReport;
import io.flinkvision.verification.VerificationSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code verify}: runs ONNX Runtime (the reference) and the engine under test on the same letterboxed real frames,
 * compares every element of the raw output tensor ({@code |a - r| <= atol + rtol * |r|}) and the decoded detections
 * (matched per class at IoU 0.5 and 0.9), prints tables and writes a JSON report.
 *
 * <p>Exit codes: 0 pass; 1 a tolerance or the detection agreement failed; 2 usage (bad option, unreadable frames);
 * 3 an engine could not be opened (e.g. no GPU or TensorRT here).
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Verify an engine against ONNX Runtime on real frames: raw output tensors element by element and"
                + " detections at IoU 0.5/0.9. Exit 0 pass, 1 fail, 2 usage, 3 engine could not open.")
public class VerifyCommand implements Callable<Integer> {
    /** Exit code: a tolerance or the agreement threshold failed. */
    public static final int EXIT_FAILED = 1;
    /** Exit code: bad options or frames that cannot be read. */
    public static final int EXIT_USAGE = 2;
    /** Exit code: the reference or the engine under test could not be opened. */
    public static final int EXIT_ENGINE = 3;

    @Mixin
    InferenceFlags inference;
    @Option(names = "--reference-model", description = "ONNX model ONNX Runtime runs as the reference (default:"
            + " --model).")
    String referenceModel;
    @Option(names = "--images", description = "Folder of JPEG/PNG frames (name order).")
    Path images;
    @Option(names = "--video", description = "Video to take frames from (default: data/vtest.avi, or the clip in the"
            + " jar).")
    Path video;
    @Option(names = "--frames", defaultValue = "16", description = "Frames to verify on (default: ${DEFAULT-VALUE}).")
    int frames;
    @Option(names = "--frame-step", defaultValue = "10", description = "With a video: every Nth frame, for variety"
            + " (default: ${DEFAULT-VALUE}).")
    int frameStep;
    @Option(names = "--rtol", description = "Relative tolerance (default per precision: fp32 1e-3, fp32+tf32 1e-2,"
            + " fp16 5e-2, int8 2e-1).")
    Double rtol;
    @Option(names = "--atol", description = "Absolute tolerance (default per precision: fp32 1e-5, fp32+tf32 1e-3,"
            + " fp16 1e-2, int8 5e-2).")
    Double atol;
    @Option(names = "--min-agreement", defaultValue = "" + VerificationSettings.DEFAULT_MIN_AGREEMENT,
            description = "Lowest detection agreement at IoU >= 0.9 that passes, 0..1 (default: ${DEFAULT-VALUE}).")
    double minAgreement;
    @Option(names = "--report", description = "Write the JSON report to this file.")
    Path report;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws InterruptedException {
        EngineSpec testSpec;
        EngineSpec refSpec;
        VerificationSettings settings;
        try {
            if (images != null && video != null) {
                throw new IllegalArgumentException("give --images or --video, not both");
            }
            if (frames < 1 || frameStep < 1) {
                throw new IllegalArgumentException("--frames and --frame-step must be >= 1");
            }
            Configuration conf = inference.configuration();
            // one call per engine, one batch at a time: the comparison needs no overlap
            testSpec = InferenceSettings.engineSpec(conf).maxInFlight(1).outputTopClasses(0).build();
            EngineSpec.Builder ref = InferenceSettings.engineSpec(conf).maxInFlight(1).backend(Backend.ONNXRUNTIME)
                    .precision(Precision.FP32).tf32(false);
            if (referenceModel != null) {
                ref.modelPath(referenceModel);
            }
            refSpec = ref.build();
            Tolerance base = Tolerance.defaultFor(testSpec.precision(), testSpec.tf32());
            Tolerance tolerance = new Tolerance(rtol != null ? rtol : base.rtol(), atol != null ? atol : base.atol());
            settings = new VerificationSettings(tolerance, minAgreement, VerificationSettings.of(tolerance)
                    .postprocess(), VerificationSettings.DEFAULT_WORST_ELEMENTS,
                    VerificationSettings.DEFAULT_WORST_FRAMES);
        } catch (IllegalArgumentException e) {
            err.println("verify: " + e.getMessage());
            return EXIT_USAGE;
        }
        try (VerifyFrames input = loadFrames()) {
            try (InferenceEngine ref = open("reference", refSpec); InferenceEngine test = open("engine under test",
                    testSpec)) {
                err.printf(Locale.ROOT, "verify: %d frames of %s, reference %s, under test %s%n",
                        input.images().size(), input.origin(), describe(ref.info()), describe(test.info()));
                VerificationReport r = EngineVerifier.verify(ref, test, input.images(), input.sources(), settings);
                print(r);
                if (report != null) {
                    writeJson(r, input, testSpec);
                }
                return r.passed() ? 0 : EXIT_FAILED;
            }
        } catch (EngineOpenFailure e) {
            err.println("verify: " + e.getMessage());
            return EXIT_ENGINE;
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            err.println("verify: " + e.getMessage());
            return EXIT_USAGE;
        }
    }

    private static InferenceEngine open(String role, EngineSpec spec) {
        try {
            return InferenceEngines.open(spec);
        } catch (RuntimeException e) {
            throw new EngineOpenFailure("cannot open the " + role + " (" + spec.backend().id() + " "
                    + spec.precision().id() + ", model " + spec.modelPath() + "): " + e.getMessage(), e);
        }
    }

    private VerifyFrames loadFrames() throws IOException {
        if (images != null) {
            return VerifyFrames.fromImages(images, frames);
        }
        Path v = video != null ? video : Path.of(DemoInput.resolveDefault());
        return VerifyFrames.fromVideo(v, frames, frameStep);
    }

    private static String describe(EngineInfo i) {
        return i.backend().id() + " " + i.precision().id() + " on " + i.device() + " (" + i.modelName() + ")";
    }

    private void print(VerificationReport r) {
        ReportTables.printTensor(out, r.tensor());
        ReportTables.printAgreement(out, r.detections(), "onnxruntime", r.test().backend().id() + " "
                + r.test().precision().id());
        if (r.passed()) {
            out.println("verify: PASS");
        } else {
            r.failures().forEach(f -> out.println("verify: FAIL " + f));
        }
    }

    private void writeJson(VerificationReport r, VerifyFrames input, EngineSpec testSpec) throws IOException {
        ObjectNode root = DetectionJson.mapper().createObjectNode();
        root.put("verdict", r.passed() ? "pass" : "fail");
        root.set("failures", DetectionJson.mapper().valueToTree(r.failures()));
        ObjectNode s = root.putObject("settings");
        s.put("backend", testSpec.backend().id());
        s.put("precision", testSpec.precision().id());
        s.put("tf32", testSpec.tf32());
        s.put("frames", input.images().size());
        s.put("input", input.origin());
        s.put("batchSize", testSpec.maxBatchSize());
        root.set("report", DetectionJson.mapper().valueToTree(r));
        Path parent = report.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(report, DetectionJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        err.println("verify: report written to " + report);
    }

    /** An engine could not be opened: exit code 3. */
    private static final class EngineOpenFailure extends RuntimeException {
        EngineOpenFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

package io.flinkvision.verification;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.engine.Precision;
import io.flinkvision.frame.InvalidFrameException;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.flink.annotation.Internal;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verification before serving: the engine a subtask has just opened (for TensorRT: the plan it has just built, or
 * loaded from a cache or a shared store) is compared with ONNX Runtime on a small set of real frames, detection by
 * detection ({@link EngineVerifier#verifyDetections}), and refused when it matches fewer than
 * {@link ServingVerification#minAgreement()} of the reference detections at IoU >= 0.9. This is the check Polygraphy's
 * {@code run --trt --onnxrt} makes by hand, made part of opening an engine, so a plan that lost accuracy in conversion
 * (FP16 overflow, INT8 calibration, a parser or version change) fails the job instead of emitting wrong detections.
 *
 * <p>The verdict is stored ({@link VerdictStore}) under a key made of the engine under test (its plan's sha256, or the
 * model's sha256, backend and precision where there is no plan), the reference model's sha256 and the frames' sha256:
 * a later start with the same plan reuses it without opening the reference; a stored failure is refused at once. A
 * verdict is judged again against the threshold in force, so raising or lowering it needs no new run.
 */
@Internal
public final class ServingVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(ServingVerifier.class);
    /** The bundled golden frames and detections (operators' main resources). */
    public static final String GOLDEN_RESOURCE_DIR = "/flinkvision/golden/";

    private ServingVerifier() {}

    /**
     * Verifies {@code engine} unless a stored verdict for it exists, and returns the verdict.
     *
     * @param engine the opened engine that is about to serve; used here for a few batches, not closed
     * @param served the spec it was opened with (its model, intra-op threads and max batch size are reused for the
     *     reference)
     * @param settings reference, threshold, frames and verdict folder
     * @return the verdict (stored or new); it passed
     * @throws InferenceException if the engine matches fewer reference detections than the threshold (the message
     *     gives the failures, the agreement and the report file), or the reference cannot be opened or run, or the
     *     frames cannot be read or decoded
     * @throws UncheckedIOException if a verdict cannot be read or stored
     * @throws InterruptedException if interrupted while an engine runs
     */
    public static StoredVerdict verify(InferenceEngine engine, EngineSpec served, ServingVerification settings)
            throws InterruptedException {
        EngineInfo info = engine.info();
        String referenceLocation = settings.referenceModel() != null ? settings.referenceModel() : served.modelPath();
        // the served model was hashed when the engine opened; only another reference is read here
        String referenceSha = settings.referenceModel() != null ? ModelSource.load(referenceLocation).sha256()
                : info.modelSha256();
        List<FrameFile> files = readFrames(settings.framesDir());
        String key = key(info, referenceSha, files);
        VerdictStore store = new VerdictStore(settings.verdictDir());
        Optional<StoredVerdict> stored = store.find(key);
        if (stored.isPresent()) {
            StoredVerdict v = stored.get();
            if (!v.passes(settings.minAgreement())) {
                throw rejected(v, settings.minAgreement(), store, "stored verdict of " + v.verifiedAt());
            }
            LOG.info("serving verification: {} passed before ({}, agreement {} >= {}); verdict {}", v.test(),
                    v.verifiedAt(), fmt(v.agreement()), fmt(settings.minAgreement()), store.verdictFile(key));
            return v;
        }
        EngineSpec refSpec = served.toBuilder().backend(Backend.ONNXRUNTIME).precision(Precision.FP32)
                .modelPath(referenceLocation).maxInFlight(1).build();
        VerificationReport report;
        List<Mat> images = decode(files);
        try (InferenceEngine reference = openReference(refSpec)) {
            List<String> sources = files.stream().map(FrameFile::name).toList();
            VerificationSettings vs = new VerificationSettings(Tolerance.FP32, settings.minAgreement(),
                    settings.postprocess(), VerificationSettings.DEFAULT_WORST_ELEMENTS,
                    VerificationSettings.DEFAULT_WORST_FRAMES);
            report = EngineVerifier.verifyDetections(reference, engine, images, sources, vs);
        } finally {
            images.forEach(Mat::close);
        }
        StoredVerdict v = new StoredVerdict(key, describe(info), referenceSha, files.size(),
                report.detections().agreement(), settings.minAgreement(), report.failures(),
                Instant.now().toString());
        store.store(v, report);
        if (!v.passes(settings.minAgreement())) {
            throw rejected(v, settings.minAgreement(), store, "verified now");
        }
        LOG.info("serving verification: {} passed on {} frames: agreement {} >= {} ({} of {} reference detections"
                        + " at IoU >= 0.9); verdict {}", v.test(), v.frames(), fmt(v.agreement()),
                fmt(settings.minAgreement()), report.detections().all().matched90(),
                report.detections().all().reference(), store.verdictFile(key));
        return v;
    }

    /** The verdict key: engine under test, reference model and frames, hashed together (64 hex characters). */
    static String key(EngineInfo info, String referenceSha, List<FrameFile> frames) {
        String test = info.planSha256() != null ? "plan:" + info.planSha256()
                : "model:" + info.modelSha256() + ":" + info.backend().id() + ":" + info.precision().id();
        StringBuilder s = new StringBuilder(test).append("|reference:").append(referenceSha).append("|frames:");
        for (FrameFile f : frames) {
            s.append(f.name()).append('=').append(ModelSource.sha256(f.bytes())).append(',');
        }
        return ModelSource.sha256(s.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static InferenceException rejected(StoredVerdict v, double threshold, VerdictStore store, String when) {
        String message = String.format(Locale.ROOT, "serving verification failed (%s): %s matches %s of the"
                        + " reference detections at IoU >= 0.9 on %d frames, below inference.verify.min-agreement %s"
                        + "; %s. Report: %s. The engine is not served; rebuild it (other precision, calibration) or"
                        + " lower the threshold if this agreement is acceptable.", when, v.test(),
                fmt(v.agreement()), v.frames(), fmt(threshold), String.join("; ", v.failures()),
                store.reportFile(v.key()));
        LOG.error(message);
        return new InferenceException(message);
    }

    private static InferenceEngine openReference(EngineSpec refSpec) {
        try {
            return InferenceEngines.open(refSpec);
        } catch (RuntimeException e) {
            throw new InferenceException("serving verification: the ONNX Runtime reference (" + refSpec.modelPath()
                    + ") cannot be opened: " + e.getMessage(), e);
        }
    }

    private static String describe(EngineInfo info) {
        return info.backend().id() + " " + info.precision().id() + " on " + info.device()
                + (info.planSha256() != null ? " (plan sha256 " + info.planSha256() + ")" : "")
                + ", model " + info.modelName();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static List<FrameFile> readFrames(String framesDir) {
        List<FrameFile> frames = new ArrayList<>();
        try {
            if (framesDir == null) {
                JsonNode golden = DetectionJson.mapper().readTree(resource("golden.json"));
                for (Iterator<String> it = golden.get("detections").fieldNames(); it.hasNext(); ) {
                    String name = it.next();
                    frames.add(new FrameFile(name, resource(name)));
                }
            } else {
                frames.addAll(FrameFile.readFolder(Path.of(framesDir), Long.MAX_VALUE));
            }
        } catch (IOException e) {
            throw new InferenceException("serving verification: frames cannot be read from "
                    + (framesDir == null ? "the classpath " + GOLDEN_RESOURCE_DIR : framesDir) + ": " + e, e);
        }
        if (frames.isEmpty()) {
            throw new InferenceException("serving verification: no JPEG/PNG frame in " + framesDir
                    + " (inference.verify.frames-dir)");
        }
        return frames;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ServingVerifier.class.getResourceAsStream(GOLDEN_RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IOException("resource " + GOLDEN_RESOURCE_DIR + name + " missing from the classpath");
            }
            return in.readAllBytes();
        }
    }

    private static List<Mat> decode(List<FrameFile> files) {
        ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
        List<Mat> images = new ArrayList<>(files.size());
        try {
            for (FrameFile f : files) {
                images.add(f.decode(decoder));
            }
            return images;
        } catch (InvalidFrameException e) {
            images.forEach(Mat::close);
            throw new InferenceException("serving verification: frame cannot be decoded: " + e.getMessage(), e);
        }
    }
}

package io.flinkvision.verification;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.flinkvision.engine.EngineInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Result of {@link EngineVerifier#verify}: the engine under test against the reference on the same letterboxed
 * images, tensor by tensor and detection by detection, and the verdict.
 *
 * @param reference the reference engine (ONNX Runtime)
 * @param test the engine under test
 * @param minAgreement the agreement threshold applied
 * @param tensor element-wise comparison of the raw output {@code [N, anchors, 5 + classes]}; null when only the
 *     detections were compared ({@link EngineVerifier#verifyDetections}: an engine that serves a reduced layout)
 * @param detections detection agreement of the decoded outputs
 * @param images per-image summary, in run order
 */
@PublicEvolving
public record VerificationReport(EngineInfo reference, EngineInfo test, double minAgreement, TensorReport tensor,
        AgreementReport detections, List<ImageResult> images) {

    /** Whether every output element is within tolerance and the detection agreement reaches the threshold. */
    @JsonProperty
    public boolean passed() {
        return failures().isEmpty();
    }

    /** Why the verification failed, one line per failed check; empty when it passed. */
    @JsonProperty
    public List<String> failures() {
        List<String> f = new ArrayList<>();
        if (tensor != null && !tensor.passed()) {
            f.add(String.format(Locale.ROOT, "%d of %d output elements outside |a-r| <= %.3g + %.3g*|r|"
                            + " (max abs error %.3g)", tensor.elements() - tensor.within(), tensor.elements(),
                    tensor.tolerance().atol(), tensor.tolerance().rtol(), tensor.maxAbsError()));
        }
        if (detections.agreement() < minAgreement) {
            f.add(String.format(Locale.ROOT, "detection agreement at IoU >= 0.9 is %.4f, below %.4f",
                    detections.agreement(), minAgreement));
        }
        return f;
    }
}

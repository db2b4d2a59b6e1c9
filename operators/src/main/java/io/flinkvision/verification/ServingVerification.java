package io.flinkvision.verification;

import io.flinkvision.postprocess.PostprocessConfig;
import java.io.Serializable;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Settings of the check an engine passes before it serves ({@link ServingVerifier}): the reference it is compared
 * with, the frames, the threshold and where verdicts are kept.
 *
 * @param referenceModel ONNX model ONNX Runtime runs as the reference (a path or {@code classpath:} location); null
 *     for the served model itself
 * @param minAgreement fraction of reference detections the engine must match at IoU >= 0.9, in [0, 1]
 * @param framesDir folder of JPEG/PNG frames to verify on (name order); null for the bundled golden frames
 *     ({@code /flinkvision/golden/} on the classpath: 5 frames, 768x576 and other sizes)
 * @param verdictDir local folder the verdicts are stored in (one JSON file per engine under test, reference and
 *     frame set), normally {@code <engine cache dir>/verdicts}
 * @param postprocess score and NMS thresholds both sides are decoded with (the operator's own)
 */
@PublicEvolving
public record ServingVerification(String referenceModel, double minAgreement, String framesDir, String verdictDir,
        PostprocessConfig postprocess) implements Serializable {

    public ServingVerification {
        if (!(minAgreement >= 0 && minAgreement <= 1)) {
            throw new IllegalArgumentException("inference.verify.min-agreement must be in [0, 1], got "
                    + minAgreement);
        }
        Objects.requireNonNull(verdictDir, "verdictDir");
        Objects.requireNonNull(postprocess, "postprocess");
    }
}

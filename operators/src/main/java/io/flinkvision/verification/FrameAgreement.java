package io.flinkvision.verification;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Detection agreement on one frame (all classes), see {@link ClassAgreement} for the definitions.
 *
 * @param frame the frame's key: image index for {@code verify}, {@code cameraId#frameIndex} for {@code compare}
 * @param reference detections of the reference
 * @param test detections under test
 * @param matched50 pairs at IoU >= 0.5
 * @param matched90 pairs at IoU >= 0.9
 */
@PublicEvolving
public record FrameAgreement(String frame, int reference, int test, int matched50, int matched90) {
    /** {@code matched90 / (reference + test - matched90)}; 1 when neither side has a detection. */
    @JsonProperty
    public double agreement() {
        int union = reference + test - matched90;
        return union == 0 ? 1.0 : (double) matched90 / union;
    }

    @JsonProperty
    public int missed() {
        return reference - matched50;
    }

    @JsonProperty
    public int extra() {
        return test - matched50;
    }
}

package io.flinkvision.verification;

import io.flinkvision.postprocess.PostprocessConfig;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * What {@link EngineVerifier} checks.
 *
 * @param tolerance element-wise tolerance of the raw output tensor ({@link Tolerance#defaultFor} per precision)
 * @param minAgreement lowest detection agreement at IoU >= 0.9 that passes ({@link ClassAgreement#agreement()}), in
 *     [0, 1]; {@link #DEFAULT_MIN_AGREEMENT} by default
 * @param postprocess score and NMS thresholds used to decode both outputs into detections
 * @param worstElements how many worst tensor elements the report lists
 * @param worstFrames how many frames of lowest agreement the report lists
 */
@PublicEvolving
public record VerificationSettings(Tolerance tolerance, double minAgreement, PostprocessConfig postprocess,
        int worstElements, int worstFrames) {
    /** Default {@link #minAgreement}: 0.9 at IoU >= 0.9 (issue 19: what a user would accept for a reduced precision). */
    public static final double DEFAULT_MIN_AGREEMENT = 0.9;
    /** Default {@link #worstElements}. */
    public static final int DEFAULT_WORST_ELEMENTS = 10;
    /** Default {@link #worstFrames}. */
    public static final int DEFAULT_WORST_FRAMES = 5;

    /** @throws IllegalArgumentException if {@code minAgreement} is outside [0, 1] or a count is negative */
    public VerificationSettings {
        Objects.requireNonNull(tolerance, "tolerance");
        Objects.requireNonNull(postprocess, "postprocess");
        if (!(minAgreement >= 0 && minAgreement <= 1)) {
            throw new IllegalArgumentException("minimum agreement must be in [0, 1], got " + minAgreement);
        }
        if (worstElements < 0 || worstFrames < 0) {
            throw new IllegalArgumentException("worst element/frame counts must be >= 0, got " + worstElements + "/"
                    + worstFrames);
        }
    }

    /** The defaults with this tolerance. */
    public static VerificationSettings of(Tolerance tolerance) {
        return new VerificationSettings(tolerance, DEFAULT_MIN_AGREEMENT, PostprocessConfig.DEFAULT,
                DEFAULT_WORST_ELEMENTS, DEFAULT_WORST_FRAMES);
    }
}

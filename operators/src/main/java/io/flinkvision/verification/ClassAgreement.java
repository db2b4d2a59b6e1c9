package io.flinkvision.verification;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Detection agreement of one class (or of all classes together) between a reference and a run under test.
 *
 * <p>{@code matched50} and {@code matched90} are pairs of the same class with IoU >= 0.5 and >= 0.9, matched
 * separately ({@link DetectionMatch#greedy}). Missed and extra are counted at IoU 0.5: a reference detection no
 * detection under test overlaps by half is missed, and the other way round extra. Score differences and the mean IoU
 * are over the IoU >= 0.5 pairs.
 *
 * @param classId class index, -1 for all classes together
 * @param label class label, {@code all} for all classes together
 * @param reference detections of the reference
 * @param test detections under test
 * @param matched50 pairs at IoU >= 0.5
 * @param matched90 pairs at IoU >= 0.9
 * @param meanAbsScoreDiff mean {@code |score_test - score_ref|} over the IoU >= 0.5 pairs, 0 if none
 * @param maxAbsScoreDiff largest {@code |score_test - score_ref|} over the IoU >= 0.5 pairs, 0 if none
 * @param meanIou mean IoU of the IoU >= 0.5 pairs, 0 if none
 */
@PublicEvolving
public record ClassAgreement(int classId, String label, long reference, long test, long matched50, long matched90,
        double meanAbsScoreDiff, double maxAbsScoreDiff, double meanIou) {

    /** Reference detections without a partner at IoU >= 0.5. */
    @JsonProperty
    public long missed() {
        return reference - matched50;
    }

    /** Detections under test without a partner at IoU >= 0.5. */
    @JsonProperty
    public long extra() {
        return test - matched50;
    }

    /**
     * Agreement at IoU >= 0.9: matched pairs over the union of both sides' detections,
     * {@code matched90 / (reference + test - matched90)}. 1 only when both sides find the same objects with nearly
     * the same boxes; it falls alike for missed and for extra detections (with no extra detections it is the matched
     * fraction of the reference's, the figure the golden tests use). 1 when neither side has a detection.
     */
    @JsonProperty
    public double agreement() {
        return ratio(matched90, reference + test - matched90);
    }

    /** As {@link #agreement()} at IoU >= 0.5. */
    @JsonProperty
    public double agreement50() {
        return ratio(matched50, reference + test - matched50);
    }

    /** Fraction of reference detections matched at IoU >= 0.9 (recall against the reference). */
    @JsonProperty
    public double recall90() {
        return ratio(matched90, reference);
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 1.0 : (double) a / b;
    }
}

package io.flinkvision.verification;

import org.apache.flink.annotation.PublicEvolving;

/**
 * One verified image.
 *
 * @param image index in the run
 * @param source where it came from (file name, or video and frame number)
 * @param maxAbsError largest {@code |actual - reference|} of its output elements
 * @param outsideTolerance output elements outside tolerance
 * @param reference the reference's detections
 * @param test detections under test
 * @param matched90 pairs at IoU >= 0.9
 */
@PublicEvolving
public record ImageResult(int image, String source, double maxAbsError, long outsideTolerance, int reference,
        int test, int matched90) {
}

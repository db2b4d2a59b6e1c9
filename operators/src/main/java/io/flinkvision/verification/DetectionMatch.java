package io.flinkvision.verification;

import io.flinkvision.detection.Detection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Pairs detections of two runs on the same frame: same class, box IoU at or above a threshold (the continuous
 * convention of {@link io.flinkvision.detection.BoundingBox#iou}, as the golden-detection tests use). Greedy by
 * descending IoU within each class, each detection used at most once, ties broken by list order. (COCO evaluation
 * goes by descending score instead; here neither side is ground truth, so the pair that overlaps best is taken.)
 *
 * @param reference index into the reference list
 * @param test index into the list under test
 * @param iou the pair's IoU, in [threshold, 1]
 */
record DetectionMatch(int reference, int test, float iou) {

    /**
     * Matches two frames' detections.
     *
     * @param reference the reference's detections of one frame
     * @param test the detections under test of the same frame
     * @param minIou lowest IoU a pair may have, in (0, 1]
     * @return the pairs, by descending IoU
     * @throws IllegalArgumentException if {@code minIou} is outside (0, 1]
     */
    public static List<DetectionMatch> greedy(List<Detection> reference, List<Detection> test, double minIou) {
        if (!(minIou > 0 && minIou <= 1)) {
            throw new IllegalArgumentException("match IoU threshold must be in (0, 1], got " + minIou);
        }
        List<DetectionMatch> candidates = new ArrayList<>();
        for (int i = 0; i < reference.size(); i++) {
            Detection r = reference.get(i);
            for (int j = 0; j < test.size(); j++) {
                Detection t = test.get(j);
                if (r.getClassId() != t.getClassId()) {
                    continue;
                }
                float iou = r.getBox().iou(t.getBox());
                if (iou >= minIou) {
                    candidates.add(new DetectionMatch(i, j, iou));
                }
            }
        }
        candidates.sort(Comparator.comparingDouble((DetectionMatch m) -> m.iou).reversed()
                .thenComparingInt(DetectionMatch::reference).thenComparingInt(DetectionMatch::test));
        boolean[] usedRef = new boolean[reference.size()];
        boolean[] usedTest = new boolean[test.size()];
        List<DetectionMatch> result = new ArrayList<>();
        for (DetectionMatch m : candidates) {
            if (!usedRef[m.reference] && !usedTest[m.test]) {
                usedRef[m.reference] = true;
                usedTest[m.test] = true;
                result.add(m);
            }
        }
        return result;
    }
}

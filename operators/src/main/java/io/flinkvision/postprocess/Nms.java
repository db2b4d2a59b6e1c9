package io.flinkvision.postprocess;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Class-aware greedy non-maximum suppression: within each class, boxes are taken by descending score and every
 * remaining box whose IoU with a taken box is strictly greater than the threshold is dropped; classes do not suppress
 * each other.
 *
 * <p>IoU follows the YOLOX reference ({@code yolox/utils/demo_utils.py} {@code nms}, from py-faster-rcnn): the
 * inclusive-pixel convention {@code area = (x2 - x1 + 1) * (y2 - y1 + 1)}, intersection sides
 * {@code max(0, min(x2) - max(x1) + 1)}. Matching it keeps our suppression decisions identical to the reference's.
 */
final class Nms {
    private Nms() {}

    /** IoU of two boxes with the inclusive-pixel (+1) convention used by the YOLOX reference NMS. */
    public static float iouInclusive(Candidate a, Candidate b) {
        float w = Math.max(0f, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) + 1f);
        float h = Math.max(0f, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) + 1f);
        float inter = w * h;
        float areaA = (a.x2 - a.x1 + 1f) * (a.y2 - a.y1 + 1f);
        float areaB = (b.x2 - b.x1 + 1f) * (b.y2 - b.y1 + 1f);
        return inter / (areaA + areaB - inter);
    }

    /**
     * Runs class-aware NMS.
     *
     * @param candidates boxes of any classes (not modified)
     * @param iouThreshold suppression threshold in [0, 1], e.g. 0.45
     * @return kept candidates, sorted by descending score
     */
    public static List<Candidate> classAware(List<Candidate> candidates, float iouThreshold) {
        Map<Integer, List<Candidate>> byClass = new HashMap<>();
        for (Candidate c : candidates) {
            byClass.computeIfAbsent(c.classId, k -> new ArrayList<>()).add(c);
        }
        List<Candidate> kept = new ArrayList<>();
        for (List<Candidate> cls : byClass.values()) {
            kept.addAll(singleClass(cls, iouThreshold));
        }
        kept.sort(Comparator.comparingDouble((Candidate c) -> c.score).reversed());
        return kept;
    }

    /** Greedy NMS among boxes treated as one class; result sorted by descending score. */
    public static List<Candidate> singleClass(List<Candidate> boxes, float iouThreshold) {
        List<Candidate> order = new ArrayList<>(boxes);
        order.sort(Comparator.comparingDouble((Candidate c) -> c.score).reversed());
        boolean[] removed = new boolean[order.size()];
        List<Candidate> kept = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            if (removed[i]) {
                continue;
            }
            Candidate a = order.get(i);
            kept.add(a);
            for (int j = i + 1; j < order.size(); j++) {
                if (!removed[j] && iouInclusive(a, order.get(j)) > iouThreshold) {
                    removed[j] = true;
                }
            }
        }
        return kept;
    }
}

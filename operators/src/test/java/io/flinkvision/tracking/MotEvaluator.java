package io.flinkvision.tracking;

import io.flinkvision.detection.BoundingBox;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small CLEAR-MOT / identity evaluator for the tests. MOTA (Bernardin and Stiefelhagen, "Evaluating Multiple Object
 * Tracking Performance: The CLEAR MOT Metrics", 2008): {@code 1 - (FN + FP + IDSW) / GT}, per-frame matching at
 * IoU >= 0.5 (min-cost on 1 - IoU, keeping the previous frame's pairs when they still overlap enough, as the paper's
 * step 1); an IDSW is a ground-truth object matched to another track id than at its previous match. IDF1 (Ristani et
 * al., "Performance Measures and a Data Set for Multi-Target, Multi-Camera Tracking", 2016): {@code 2 IDTP / (2 IDTP
 * + IDFP + IDFN)} with one global one-to-one matching of ground-truth to predicted trajectories maximizing the frames
 * where they overlap at IoU >= 0.5.
 */
final class MotEvaluator {
    static final double IOU = 0.5;

    /** One box of one frame with its identity (ground truth id or track id). */
    record Box(long id, BoundingBox box) {}

    private long gt;
    private long fn;
    private long fp;
    private long idsw;
    private long predicted;
    private final Map<Long, Long> lastMatch = new HashMap<>();
    private final Map<Long, Map<Long, Long>> overlap = new HashMap<>(); // gt id -> track id -> frames
    private final Map<Long, Long> gtFrames = new HashMap<>();
    private final Map<Long, Long> trackFrames = new HashMap<>();

    void frame(List<Box> truth, List<Box> tracks) {
        gt += truth.size();
        predicted += tracks.size();
        truth.forEach(t -> gtFrames.merge(t.id, 1L, Long::sum));
        tracks.forEach(t -> trackFrames.merge(t.id, 1L, Long::sum));
        for (Box g : truth) {
            for (Box t : tracks) {
                if (g.box.iou(t.box) >= IOU) {
                    overlap.computeIfAbsent(g.id, k -> new HashMap<>()).merge(t.id, 1L, Long::sum);
                }
            }
        }
        double[][] cost = new double[truth.size()][tracks.size()];
        for (int i = 0; i < truth.size(); i++) {
            for (int j = 0; j < tracks.size(); j++) {
                double iou = truth.get(i).box.iou(tracks.get(j).box);
                boolean previous = lastMatch.get(truth.get(i).id) != null
                        && lastMatch.get(truth.get(i).id) == tracks.get(j).id;
                cost[i][j] = iou < IOU ? Double.POSITIVE_INFINITY : previous ? 0 : 1 - iou * 0.5; // prefer continuity
            }
        }
        int[] m = LinearAssignment.solve(cost, 1.0);
        int matches = 0;
        for (int i = 0; i < m.length; i++) {
            if (m[i] < 0) {
                continue;
            }
            matches++;
            long g = truth.get(i).id;
            long t = tracks.get(m[i]).id;
            Long before = lastMatch.put(g, t);
            if (before != null && before != t) {
                idsw++;
            }
        }
        fn += truth.size() - matches;
        fp += tracks.size() - matches;
    }

    double mota() {
        return 1 - (double) (fn + fp + idsw) / gt;
    }

    long idSwitches() {
        return idsw;
    }

    double idf1() {
        List<Long> gts = new ArrayList<>(gtFrames.keySet());
        List<Long> trs = new ArrayList<>(trackFrames.keySet());
        double[][] cost = new double[gts.size()][trs.size()];
        long max = 0;
        for (Map<Long, Long> row : overlap.values()) {
            for (long v : row.values()) {
                max = Math.max(max, v);
            }
        }
        for (int i = 0; i < gts.size(); i++) {
            for (int j = 0; j < trs.size(); j++) {
                long o = overlap.getOrDefault(gts.get(i), Map.of()).getOrDefault(trs.get(j), 0L);
                cost[i][j] = o == 0 ? Double.POSITIVE_INFINITY : (double) (max - o) / (max + 1);
            }
        }
        int[] m = LinearAssignment.solve(cost, 2.0); // any overlapping pair beats leaving both unmatched
        long idtp = 0;
        for (int i = 0; i < m.length; i++) {
            if (m[i] >= 0) {
                idtp += overlap.get(gts.get(i)).get(trs.get(m[i]));
            }
        }
        long idfn = gt - idtp;
        long idfp = predicted - idtp;
        return 2.0 * idtp / (2.0 * idtp + idfp + idfn);
    }

    @Override
    public String toString() {
        return String.format("MOTA %.3f IDF1 %.3f (GT %d, FN %d, FP %d, IDSW %d)", mota(), idf1(), gt, fn, fp, idsw);
    }
}

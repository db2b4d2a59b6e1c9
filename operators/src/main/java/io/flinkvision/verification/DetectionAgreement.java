package io.flinkvision.verification;

import io.flinkvision.detection.CocoLabels;
import io.flinkvision.detection.Detection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.apache.flink.annotation.Internal;

/**
 * Accumulates detection agreement frame by frame: for each frame the reference's and the tested detections are
 * matched per class at IoU >= {@value #IOU_LOOSE} and >= {@value #IOU_STRICT} ({@link DetectionMatch#greedy}), and
 * counts, score differences and IoUs are summed per class ({@link ClassAgreement}). Not thread-safe.
 */
@Internal
public final class DetectionAgreement {
    /** IoU of a loose match: the same object found (missed and extra detections are counted at it). */
    public static final double IOU_LOOSE = 0.5;
    /** IoU of a strict match: the same object with nearly the same box (agreement is counted at it). */
    public static final double IOU_STRICT = 0.9;

    private final int worstFrameCount;
    private final TreeMap<Integer, Sums> byClass = new TreeMap<>();
    private final Sums all = new Sums();
    private final List<FrameAgreement> frames = new ArrayList<>();
    private long frameCount;
    private long framesInAgreement;

    /** @param worstFrameCount how many frames of lowest agreement to keep for the report, {@code >= 0} */
    public DetectionAgreement(int worstFrameCount) {
        if (worstFrameCount < 0) {
            throw new IllegalArgumentException("worst frame count must be >= 0, got " + worstFrameCount);
        }
        this.worstFrameCount = worstFrameCount;
    }

    /**
     * Adds one frame seen by both sides.
     *
     * @param frame the frame's key in the report
     * @param reference the reference's detections (source-image pixels)
     * @param test the detections under test of the same frame
     * @return this frame's agreement
     */
    public FrameAgreement add(String frame, List<Detection> reference, List<Detection> test) {
        List<DetectionMatch> loose = DetectionMatch.greedy(reference, test, IOU_LOOSE);
        List<DetectionMatch> strict = DetectionMatch.greedy(reference, test, IOU_STRICT);
        for (Detection d : reference) {
            sums(d.getClassId()).reference++;
        }
        for (Detection d : test) {
            sums(d.getClassId()).test++;
        }
        for (DetectionMatch m : loose) {
            Detection r = reference.get(m.reference());
            double diff = Math.abs((double) test.get(m.test()).getScore() - r.getScore());
            for (Sums s : List.of(sums(r.getClassId()), all)) {
                s.matched50++;
                s.scoreDiffSum += diff;
                s.scoreDiffMax = Math.max(s.scoreDiffMax, diff);
                s.iouSum += m.iou();
            }
        }
        for (DetectionMatch m : strict) {
            sums(reference.get(m.reference()).getClassId()).matched90++;
            all.matched90++;
        }
        all.reference += reference.size();
        all.test += test.size();
        frameCount++;
        FrameAgreement f = new FrameAgreement(frame, reference.size(), test.size(), loose.size(), strict.size());
        if (strict.size() == reference.size() && strict.size() == test.size()) {
            framesInAgreement++;
        } else if (worstFrameCount > 0) {
            frames.add(f);
            if (frames.size() > 4 * worstFrameCount) {
                trimWorst();
            }
        }
        return f;
    }

    /** Frames added so far. */
    public long frames() {
        return frameCount;
    }

    private void trimWorst() {
        frames.sort(worstFirst());
        frames.subList(worstFrameCount, frames.size()).clear();
    }

    private static Comparator<FrameAgreement> worstFirst() {
        return Comparator.comparingDouble(FrameAgreement::agreement)
                .thenComparing(Comparator.comparingInt((FrameAgreement f) -> f.missed() + f.extra()).reversed());
    }

    private Sums sums(int classId) {
        return byClass.computeIfAbsent(classId, k -> new Sums());
    }

    /** The agreement so far. */
    public AgreementReport report() {
        List<ClassAgreement> classes = new ArrayList<>();
        byClass.forEach((id, s) -> classes.add(s.toAgreement(id, CocoLabels.label(id))));
        List<FrameAgreement> worst = new ArrayList<>(frames);
        worst.sort(worstFirst());
        if (worst.size() > worstFrameCount) {
            worst = worst.subList(0, worstFrameCount);
        }
        return new AgreementReport(frameCount, framesInAgreement, all.toAgreement(-1, "all"), List.copyOf(classes),
                List.copyOf(worst));
    }

    /** Running sums of one class. */
    private static final class Sums {
        long reference;
        long test;
        long matched50;
        long matched90;
        double scoreDiffSum;
        double scoreDiffMax;
        double iouSum;

        ClassAgreement toAgreement(int id, String label) {
            return new ClassAgreement(id, label, reference, test, matched50, matched90,
                    matched50 == 0 ? 0 : scoreDiffSum / matched50, scoreDiffMax, matched50 == 0 ? 0 : iouSum / matched50);
        }
    }
}

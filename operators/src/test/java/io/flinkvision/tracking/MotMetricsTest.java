package io.flinkvision.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * MOT metrics of {@link ByteTracker} on a synthetic ground-truth sequence: 8 people (40x100 px) walking straight lines
 * at 3-12 px/frame across a 768x576 image for 300 frames, crossing each other; detections with box noise of about
 * 2 px, 5% missed, 20-frame partial occlusions (score 0.3-0.45, ByteTrack's low band) for some, and a few false
 * positives per frame at random places with low scores. The evaluator itself is checked on cases with known figures.
 */
class MotMetricsTest {
    private static final int FRAMES = 300;

    @Test
    void evaluatorGivesTheKnownFiguresOnAnIdSwap() {
        MotEvaluator e = new MotEvaluator();
        BoundingBox a = new BoundingBox(0, 0, 10, 10);
        BoundingBox b = new BoundingBox(100, 0, 110, 10);
        for (int f = 0; f < 10; f++) {
            boolean swapped = f >= 5; // track ids exchanged halfway
            e.frame(List.of(new MotEvaluator.Box(1, a), new MotEvaluator.Box(2, b)),
                    List.of(new MotEvaluator.Box(swapped ? 20 : 10, a), new MotEvaluator.Box(swapped ? 10 : 20, b)));
        }
        assertThat(e.idSwitches()).isEqualTo(2);
        assertThat(e.mota()).isCloseTo(1 - 2 / 20.0, within(1e-9));
        assertThat(e.idf1()).isCloseTo(0.5, within(1e-9)); // IDTP 10 of 20 GT and 20 predicted
        MotEvaluator perfect = new MotEvaluator();
        perfect.frame(List.of(new MotEvaluator.Box(1, a)), List.of(new MotEvaluator.Box(7, a)));
        assertThat(perfect.mota()).isEqualTo(1.0);
        assertThat(perfect.idf1()).isEqualTo(1.0);
    }

    @Test
    void byteTrackOnASyntheticCrowd() {
        MotEvaluator full = run(TrackerConfig.DEFAULTS);
        TrackerConfig noLowStage = new TrackerConfig(0.5f, 0.5f, 0.6f, 0.8f, 0.5f, 0.7f, true, 2, 30, 0, true, 10, 32,
                100, 2000);
        MotEvaluator highOnly = run(noLowStage);
        System.out.println("MOT synthetic, ByteTrack defaults: " + full);
        System.out.println("MOT synthetic, without the low-score stage: " + highOnly);
        assertThat(full.mota()).isGreaterThan(0.85);
        assertThat(full.idf1()).isGreaterThan(0.85);
        // the second association is what BYTE adds: it must help on the occluded stretches
        assertThat(full.mota()).isGreaterThan(highOnly.mota());
    }

    private static MotEvaluator run(TrackerConfig config) {
        Random r = new Random(42);
        int people = 8;
        float[][] start = new float[people][];
        float[][] vel = new float[people][];
        int[] occludedFrom = new int[people];
        for (int p = 0; p < people; p++) {
            boolean rightward = p % 2 == 0;
            start[p] = new float[] {rightward ? 10 + r.nextInt(100) : 600 + r.nextInt(100), 60 + 55 * p};
            vel[p] = new float[] {(rightward ? 1 : -1) * (3 + r.nextInt(10)) * 0.5f, (r.nextFloat() - 0.5f) * 2};
            occludedFrom[p] = p % 3 == 0 ? 60 + r.nextInt(150) : -1000;
        }
        ByteTracker tracker = new ByteTracker(config);
        List<TrackState> tracks = new ArrayList<>();
        CameraTrackerState camera = new CameraTrackerState();
        MotEvaluator eval = new MotEvaluator();
        for (int f = 0; f < FRAMES; f++) {
            List<MotEvaluator.Box> truth = new ArrayList<>();
            List<Detection> dets = new ArrayList<>();
            for (int p = 0; p < people; p++) {
                float x = start[p][0] + vel[p][0] * f;
                float y = start[p][1] + vel[p][1] * f;
                if (x < -20 || x > 748) {
                    continue; // out of the image
                }
                BoundingBox g = new BoundingBox(x, y, x + 40, y + 100);
                truth.add(new MotEvaluator.Box(p, g));
                if (r.nextDouble() < 0.05) {
                    continue; // missed detection
                }
                boolean occluded = f >= occludedFrom[p] && f < occludedFrom[p] + 20;
                float score = occluded ? 0.3f + r.nextFloat() * 0.15f : 0.65f + r.nextFloat() * 0.3f;
                dets.add(new Detection(0, "person", score, new BoundingBox(x + noise(r), y + noise(r),
                        x + 40 + noise(r), y + 100 + noise(r))));
            }
            for (int k = r.nextInt(3); k > 0; k--) { // false positives
                float x = r.nextFloat() * 700;
                float y = r.nextFloat() * 450;
                dets.add(new Detection(0, "person", 0.3f + r.nextFloat() * 0.35f, new BoundingBox(x, y, x + 30,
                        y + 70)));
            }
            FrameDetections frame = Scenes.frame("cam", f, dets.toArray(new Detection[0]));
            tracker.update(frame, tracks, camera);
            List<MotEvaluator.Box> out = new ArrayList<>();
            for (Detection d : frame.getDetections()) {
                if (d.getTrackId() != null) {
                    out.add(new MotEvaluator.Box(d.getTrackId(), d.getBox()));
                }
            }
            eval.frame(truth, out);
        }
        return eval;
    }

    private static float noise(Random r) {
        return (float) (r.nextGaussian() * 2);
    }
}

package io.flinkvision.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.pipeline.DetectionPipeline;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * MOT metrics of the shipped detector and {@link ByteTracker} on real frames: frames 240-299 of {@code data/vtest.avi}
 * (768x576, 10 fps; stored as JPEGs in {@code flinkvision/mot/vtest-frames/}) against hand-checked ground truth for 6
 * people ({@code flinkvision/mot/vtest-gt.csv}; how it was made and its limits in {@code flinkvision/mot/README.md}).
 * Path: JPEG -> {@link DetectionPipeline} (ONNX Runtime, the bundled YOLOX-nano, default post-processing) ->
 * {@link ByteTracker} with {@link TrackerConfig#DEFAULTS} -> {@link MotEvaluator}.
 *
 * <p>Only the ground-truth people are scored: in each frame a tracked detection is evaluated only if its box overlaps a
 * ground-truth box of that frame at IoU >= 0.5; the others (people, cars and objects not in the ground truth) are
 * ignored. So an FP here is a second track on a ground-truth person or a track on a ground-truth box of another
 * person; a prediction that strays below IoU 0.5 leaves an FN and is not also counted as an FP.
 */
class ClipMotTest {
    private static final String DIR = "/flinkvision/mot/";
    private static final int FIRST = 240;
    private static final int LAST = 299;

    @Test
    void byteTrackOnTheShippedClip() throws Exception {
        TreeMap<Integer, List<MotEvaluator.Box>> truth = groundTruth();
        assertThat(truth.firstKey()).isEqualTo(FIRST);
        assertThat(truth.lastKey()).isEqualTo(LAST);
        List<FrameDetections> detected = detect();
        ByteTracker tracker = new ByteTracker(TrackerConfig.DEFAULTS);
        List<TrackState> tracks = new ArrayList<>();
        CameraTrackerState camera = new CameraTrackerState();
        MotEvaluator eval = new MotEvaluator();
        for (FrameDetections frame : detected) {
            tracker.update(frame, tracks, camera);
            List<MotEvaluator.Box> gt = truth.getOrDefault((int) frame.getFrameIndex(), List.of());
            List<MotEvaluator.Box> scored = new ArrayList<>();
            for (Detection d : frame.getDetections()) {
                if (d.getTrackId() != null && overlapsTruth(d.getBox(), gt)) {
                    scored.add(new MotEvaluator.Box(d.getTrackId(), d.getBox()));
                }
            }
            eval.frame(gt, scored);
        }
        System.out.println("MOT vtest.avi frames " + FIRST + "-" + LAST + ", 6 people, ByteTrack defaults: " + eval);
        assertThat(eval.mota()).isGreaterThanOrEqualTo(0.95);
        assertThat(eval.idf1()).isGreaterThanOrEqualTo(0.95);
        // the hard spots: people 1 and 2 cross at frames 293-296, people 2 and 3 pass behind the lamp-post sign
        assertThat(eval.idSwitches()).isZero();
    }

    private static boolean overlapsTruth(BoundingBox box, List<MotEvaluator.Box> gt) {
        for (MotEvaluator.Box g : gt) {
            if (g.box().iou(box) >= MotEvaluator.IOU) {
                return true;
            }
        }
        return false;
    }

    /** The window's frames through the job's detection path, in frame order, 10 fps capture timestamps. */
    private static List<FrameDetections> detect() throws Exception {
        List<CompletableFuture<InferenceOutcome>> futures = new ArrayList<>();
        try (InferenceEngine engine = InferenceEngines.open(EngineSpec.builder().backend(Backend.ONNXRUNTIME)
                        .maxBatchSize(4).maxInFlight(1).build());
                DetectionPipeline pipeline = DetectionPipeline.builder(engine).batchPolicy(new BatchPolicy(4, 50, 1))
                        .preprocessThreads(1).build()) {
            for (int f = FIRST; f <= LAST; f++) {
                byte[] jpeg = resource(String.format("vtest-frames/vtest_%04d.jpg", f)).readAllBytes();
                futures.add(pipeline.submit(new Frame("vtest", f, Scenes.T0 + 100L * f, FrameEncoding.JPEG, jpeg)));
            }
            List<FrameDetections> out = new ArrayList<>();
            for (CompletableFuture<InferenceOutcome> future : futures) {
                InferenceOutcome o = future.get(120, TimeUnit.SECONDS);
                assertThat(o.isDeadLetter()).as("%s", o).isFalse();
                out.add(o.getDetections());
            }
            return out;
        }
    }

    /** {@code vtest-gt.csv}: {@code frame,personId,x1,y1,x2,y2}, source pixels, per frame index. */
    private static TreeMap<Integer, List<MotEvaluator.Box>> groundTruth() throws IOException {
        TreeMap<Integer, List<MotEvaluator.Box>> truth = new TreeMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(resource("vtest-gt.csv"),
                StandardCharsets.UTF_8))) {
            assertThat(r.readLine()).isEqualTo("frame,personId,x1,y1,x2,y2");
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] c = line.split(",");
                truth.computeIfAbsent(Integer.parseInt(c[0]), k -> new ArrayList<>()).add(new MotEvaluator.Box(
                        Long.parseLong(c[1]), new BoundingBox(Float.parseFloat(c[2]), Float.parseFloat(c[3]),
                                Float.parseFloat(c[4]), Float.parseFloat(c[5]))));
            }
        }
        return truth;
    }

    private static InputStream resource(String name) {
        InputStream in = ClipMotTest.class.getResourceAsStream(DIR + name);
        if (in == null) {
            throw new UncheckedIOException(new IOException("no test resource " + DIR + name));
        }
        return in;
    }
}

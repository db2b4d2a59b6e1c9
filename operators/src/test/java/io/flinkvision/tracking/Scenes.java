package io.flinkvision.tracking;

import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import java.util.ArrayList;
import java.util.List;

/** Hand-made detection sequences for the tracking tests. 10 fps: frame i is captured at {@code T0 + 100 i} ms. */
final class Scenes {
    static final long T0 = 1_700_000_000_000L;

    private Scenes() {}

    static FrameDetections frame(String camera, long index, Detection... dets) {
        FrameDetections f = new FrameDetections();
        f.setCameraId(camera);
        f.setFrameIndex(index);
        f.setCaptureTimestampMs(T0 + 100 * index);
        f.setImageWidth(768);
        f.setImageHeight(576);
        f.setDetections(new ArrayList<>(List.of(dets)));
        return f;
    }

    static Detection person(float score, float x1, float y1, float x2, float y2) {
        return new Detection(0, "person", score, new BoundingBox(x1, y1, x2, y2));
    }

    static Detection car(float score, float x1, float y1, float x2, float y2) {
        return new Detection(2, "car", score, new BoundingBox(x1, y1, x2, y2));
    }

    /** A 40x100 person box with its top-left corner at (x, y). */
    static Detection personAt(float score, float x, float y) {
        return person(score, x, y, x + 40, y + 100);
    }
}

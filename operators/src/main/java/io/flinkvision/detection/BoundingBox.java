package io.flinkvision.detection;

import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * An axis-aligned box in pixels of the source image: {@code (x1, y1)} top-left, {@code (x2, y2)} bottom-right,
 * {@code x} to the right, {@code y} down, origin at the top-left corner of the image.
 */
@PublicEvolving
public class BoundingBox {
    private float x1;
    private float y1;
    private float x2;
    private float y2;

    public BoundingBox() {}

    public BoundingBox(float x1, float y1, float x2, float y2) {
        this.x1 = x1;
        this.y1 = y1;
        this.x2 = x2;
        this.y2 = y2;
    }

    public float getX1() { return x1; }
    public void setX1(float x1) { this.x1 = x1; }
    public float getY1() { return y1; }
    public void setY1(float y1) { this.y1 = y1; }
    public float getX2() { return x2; }
    public void setX2(float x2) { this.x2 = x2; }
    public float getY2() { return y2; }
    public void setY2(float y2) { this.y2 = y2; }

    /** Width in pixels, 0 for a degenerate box. */
    public float width() {
        return Math.max(0f, x2 - x1);
    }

    /** Height in pixels, 0 for a degenerate box. */
    public float height() {
        return Math.max(0f, y2 - y1);
    }

    /** Area in square pixels (continuous convention: {@code (x2-x1)*(y2-y1)}). */
    public float area() {
        return width() * height();
    }

    /**
     * Intersection over union with the continuous-coordinate convention, in [0, 1]; 0 when both areas are 0.
     * Used to compare detections (golden tests); NMS follows the YOLOX reference convention instead (see
     * {@code io.flinkvision.postprocess.Nms}).
     */
    public float iou(BoundingBox o) {
        float iw = Math.min(x2, o.x2) - Math.max(x1, o.x1);
        float ih = Math.min(y2, o.y2) - Math.max(y1, o.y1);
        if (iw <= 0 || ih <= 0) {
            return 0f;
        }
        float inter = iw * ih;
        float union = area() + o.area() - inter;
        return union <= 0 ? 0f : inter / union;
    }

    /** Returns a copy clipped to {@code [0, width] x [0, height]} pixels. */
    public BoundingBox clip(int width, int height) {
        return new BoundingBox(clamp(x1, width), clamp(y1, height), clamp(x2, width), clamp(y2, height));
    }

    private static float clamp(float v, int max) {
        return Math.max(0f, Math.min(v, max));
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof BoundingBox)) return false;
        BoundingBox b = (BoundingBox) o;
        return Float.compare(x1, b.x1) == 0 && Float.compare(y1, b.y1) == 0 && Float.compare(x2, b.x2) == 0
                && Float.compare(y2, b.y2) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(x1, y1, x2, y2);
    }

    @Override
    public String toString() {
        return String.format("[%.2f, %.2f, %.2f, %.2f]", x1, y1, x2, y2);
    }
}

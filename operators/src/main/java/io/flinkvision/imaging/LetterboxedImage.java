package io.flinkvision.imaging;

import java.nio.ByteBuffer;
import org.apache.flink.annotation.Internal;

/**
 * A frame after letterboxing: the model-input-sized BGR image, planar, in a native canvas lent by the {@link Letterbox}
 * pool, and the geometry needed to map boxes back. {@link #close()} gives the canvas back for the next frame; a
 * canvas never closed is freed by the garbage collector (JavaCPP deallocator), so forgetting it costs memory churn, not
 * a leak.
 *
 * <p>Bytes: {@code 3 * height * width}, planar (CHW) B, G, R planes, each row-major, padded with 114 right of and below
 * the resized image. Planar already, so that filling an engine's NCHW batch is a bulk copy (uint8) or a plain widening
 * (float32) and the per-pixel work stays on the pre-processing threads.
 */
@Internal
public final class LetterboxedImage implements AutoCloseable {
    private final ByteBuffer chw;
    private final int width;
    private final int height;
    private final double scale;
    private final int sourceWidth;
    private final int sourceHeight;
    private final Runnable onClose;
    private boolean closed;

    /**
     * @param chw direct buffer holding the planar bytes at positions {@code 0 .. 3*height*width-1}
     * @param width model input width in pixels (e.g. 416)
     * @param height model input height in pixels (e.g. 416)
     * @param scale the letterbox scale {@code r = min(height/srcH, width/srcW)}; source pixel = input pixel / r
     * @param sourceWidth width of the original image in pixels
     * @param sourceHeight height of the original image in pixels
     * @param onClose gives the canvas back (run once, by the first {@link #close()})
     */
    LetterboxedImage(ByteBuffer chw, int width, int height, double scale, int sourceWidth, int sourceHeight,
            Runnable onClose) {
        this.chw = chw;
        this.width = width;
        this.height = height;
        this.scale = scale;
        this.sourceWidth = sourceWidth;
        this.sourceHeight = sourceHeight;
        this.onClose = onClose;
    }

    /**
     * The planar bytes as a read-only view (position 0, limit {@code 3*height*width}).
     *
     * @throws IllegalStateException if the image was closed (its canvas may already hold another frame)
     */
    public ByteBuffer chw() {
        if (closed) {
            throw new IllegalStateException("letterboxed image used after close()");
        }
        return chw.asReadOnlyBuffer();
    }

    /** Byte {@code i} of {@link #chw()} as 0..255. */
    public int value(int i) {
        return chw().get(i) & 0xFF;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public double scale() {
        return scale;
    }

    public int sourceWidth() {
        return sourceWidth;
    }

    public int sourceHeight() {
        return sourceHeight;
    }

    /** Gives the canvas back to the letterbox pool. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }
}

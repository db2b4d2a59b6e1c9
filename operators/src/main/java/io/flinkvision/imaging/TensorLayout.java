package io.flinkvision.imaging;

import io.flinkvision.engine.ElementType;
import io.flinkvision.engine.InputBatch;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Writes a letterboxed HWC BGR image into one image slot of an engine's NCHW input batch: channel planes B, G, R, each
 * {@code H x W} row-major; values 0..255 as float32 (no mean/std, as YOLOX expects) or as uint8 when the engine
 * converts on the device.
 */
public final class TensorLayout {
    private static final ThreadLocal<float[]> FLOAT_SCRATCH = new ThreadLocal<>();
    private static final ThreadLocal<byte[]> BYTE_SCRATCH = new ThreadLocal<>();

    private TensorLayout() {}

    /**
     * Writes image {@code index} of the batch.
     *
     * @param image letterboxed image; its width and height must equal the engine input's
     * @param batch the batch to fill ({@code [capacity, 3, H, W]} of {@code batch.type()})
     * @param index image position in the batch, 0..capacity-1
     * @throws IllegalArgumentException if the sizes disagree or the index is out of range
     */
    public static void writeNchw(LetterboxedImage image, InputBatch batch, int index) {
        int hw = image.width() * image.height();
        if (hw * 3 != batch.elementsPerImage()) {
            throw new IllegalArgumentException("image of " + image.width() + "x" + image.height()
                    + " does not fit an input of " + batch.elementsPerImage() + " elements per image");
        }
        if (index < 0 || index >= batch.capacity()) {
            throw new IllegalArgumentException("batch index " + index + " outside 0.." + (batch.capacity() - 1));
        }
        byte[] src = image.hwc();
        ByteBuffer dst = batch.data().duplicate().order(batch.data().order());
        dst.position(batch.byteOffset(index));
        if (batch.type() == ElementType.FLOAT32) {
            float[] plane = scratch(FLOAT_SCRATCH, hw);
            FloatBuffer out = dst.slice().order(batch.data().order()).asFloatBuffer();
            for (int c = 0; c < 3; c++) {
                for (int p = 0, s = c; p < hw; p++, s += 3) {
                    plane[p] = src[s] & 0xFF;
                }
                out.put(plane, 0, hw);
            }
        } else {
            byte[] plane = scratchBytes(hw);
            for (int c = 0; c < 3; c++) {
                for (int p = 0, s = c; p < hw; p++, s += 3) {
                    plane[p] = src[s];
                }
                dst.put(plane, 0, hw);
            }
        }
    }

    private static float[] scratch(ThreadLocal<float[]> tl, int n) {
        float[] a = tl.get();
        if (a == null || a.length < n) {
            a = new float[n];
            tl.set(a);
        }
        return a;
    }

    private static byte[] scratchBytes(int n) {
        byte[] a = BYTE_SCRATCH.get();
        if (a == null || a.length < n) {
            a = new byte[n];
            BYTE_SCRATCH.set(a);
        }
        return a;
    }
}

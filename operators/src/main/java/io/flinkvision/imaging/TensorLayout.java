package io.flinkvision.imaging;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.InputBatch;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.apache.flink.annotation.Internal;

/**
 * Writes a letterboxed image (planar CHW bytes, B, G, R) into one image slot of an engine's NCHW input batch: values
 * 0..255 as uint8 (a bulk copy; the engine converts on the device) or widened to float32 (no mean/std, as YOLOX
 * expects). The planar layout is produced by {@link Letterbox} on the pre-processing threads, so the work here, on
 * the batch dispatch path, is one pass of sequential copies per image.
 */
@Internal
public final class TensorLayout {
    private static final ThreadLocal<float[]> FLOAT_SCRATCH = new ThreadLocal<>();

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
        int n = image.width() * image.height() * 3;
        if (n != batch.elementsPerImage()) {
            throw new IllegalArgumentException("image of " + image.width() + "x" + image.height()
                    + " does not fit an input of " + batch.elementsPerImage() + " elements per image");
        }
        if (index < 0 || index >= batch.capacity()) {
            throw new IllegalArgumentException("batch index " + index + " outside 0.." + (batch.capacity() - 1));
        }
        ByteBuffer src = image.chw();
        ByteBuffer dst = batch.data().duplicate().order(batch.data().order());
        dst.position(batch.byteOffset(index));
        if (batch.type() == ElementType.UINT8) {
            dst.put(src.limit(n)); // direct to direct: one memory copy
            return;
        }
        float[] f = FLOAT_SCRATCH.get();
        if (f == null || f.length < n) {
            f = new float[n];
            FLOAT_SCRATCH.set(f);
        }
        for (int i = 0; i < n; i++) {
            f[i] = src.get(i) & 0xFF;
        }
        FloatBuffer out = dst.slice().order(batch.data().order()).asFloatBuffer();
        out.put(f, 0, n);
    }
}

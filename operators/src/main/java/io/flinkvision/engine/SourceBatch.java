package io.flinkvision.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The source images of one batch, for an engine that letterboxes on the device
 * ({@link InferenceEngine#letterboxesOnDevice()}): instead of the letterboxed NCHW tensor, the caller writes each frame's
 * decoded pixels, as they are, into the slot's staging buffer and records where they are and how to letterbox them.
 * The engine copies the staging buffer to the device in one transfer and letterboxes there into its NCHW input.
 *
 * <p>Layout of image {@code i} in {@link #staging()}: {@code height x width x 3} bytes, BGR interleaved (HWC, OpenCV
 * {@code CV_8UC3} order), rows packed ({@code 3*width} bytes per row), starting at {@link #offset(int)}. The engine
 * resizes it bilinearly to {@code resizedWidth x resizedHeight} pixels at the top-left of the model input and pads the
 * rest with 114, as {@link io.flinkvision.imaging.Letterbox} does on the host (YOLOX {@code preproc()}).
 *
 * <p>Used by the one thread that holds the batch; the staging buffer may be replaced by {@link #reserve(long)}, so
 * take {@link #staging()} after reserving.
 */
public final class SourceBatch {
    /** Image offsets are multiples of this many bytes (cache-line and DMA friendly). */
    public static final int ALIGNMENT = 256;

    /** Grows the pinned staging memory behind a {@link SourceBatch}. */
    public interface Staging {
        /**
         * Returns a direct buffer of at least {@code bytes} bytes, reallocating (contents not kept) if the current one
         * is smaller.
         *
         * @throws InferenceException if the allocation fails
         */
        ByteBuffer ensureCapacity(long bytes);
    }

    private final Staging storage;
    private final int capacity;
    private final long[] offsets;
    private final int[] geometry;
    private ByteBuffer staging;
    private long usedBytes;

    /**
     * @param storage the pinned memory provider (an execution slot)
     * @param capacity maximum images per batch
     */
    public SourceBatch(Staging storage, int capacity) {
        this.storage = storage;
        this.capacity = capacity;
        this.offsets = new long[capacity];
        this.geometry = new int[capacity * 4];
    }

    /** Bytes image {@code i} needs at its offset: {@code width * height * 3}. */
    public static long imageBytes(int width, int height) {
        return (long) width * height * 3;
    }

    /** {@code bytes} rounded up to {@link #ALIGNMENT}. */
    public static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /**
     * Makes the staging buffer hold at least {@code totalBytes} and marks that many bytes as used (what the engine
     * copies to the device).
     *
     * @param totalBytes sum of the aligned image sizes of the batch
     * @throws IllegalArgumentException if {@code totalBytes} is not in 1..{@code Integer.MAX_VALUE}
     * @throws InferenceException if pinned memory cannot be allocated
     */
    public void reserve(long totalBytes) {
        if (totalBytes < 1 || totalBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch of source images must take 1.." + Integer.MAX_VALUE
                    + " bytes, got " + totalBytes);
        }
        staging = storage.ensureCapacity(totalBytes).order(ByteOrder.nativeOrder());
        usedBytes = totalBytes;
    }

    /**
     * The staging buffer (direct, pinned), valid until the next {@link #reserve}.
     *
     * @throws IllegalStateException before the first {@link #reserve}
     */
    public ByteBuffer staging() {
        if (staging == null) {
            throw new IllegalStateException("reserve() the batch's bytes first");
        }
        return staging;
    }

    /** Bytes of {@link #staging()} in use, as given to {@link #reserve}. */
    public long usedBytes() {
        return usedBytes;
    }

    /**
     * Records image {@code i}.
     *
     * @param offset byte offset in {@link #staging()}, a multiple of {@link #ALIGNMENT}
     * @param width source width in pixels
     * @param height source height in pixels
     * @param resizedWidth letterboxed width in pixels (1..model input width)
     * @param resizedHeight letterboxed height in pixels (1..model input height)
     * @throws IllegalArgumentException if the image does not fit in the reserved bytes or a size is not positive
     */
    public void set(int i, long offset, int width, int height, int resizedWidth, int resizedHeight) {
        if (i < 0 || i >= capacity) {
            throw new IllegalArgumentException("image " + i + " outside 0.." + (capacity - 1));
        }
        if (width < 1 || height < 1 || resizedWidth < 1 || resizedHeight < 1) {
            throw new IllegalArgumentException("image sizes must be positive: source " + width + "x" + height
                    + ", resized " + resizedWidth + "x" + resizedHeight);
        }
        if (offset < 0 || offset % ALIGNMENT != 0 || offset + imageBytes(width, height) > usedBytes) {
            throw new IllegalArgumentException("image " + i + " at offset " + offset + " (" + imageBytes(width, height)
                    + " bytes) is unaligned or outside the " + usedBytes + " reserved bytes");
        }
        offsets[i] = offset;
        geometry[i * 4] = width;
        geometry[i * 4 + 1] = height;
        geometry[i * 4 + 2] = resizedWidth;
        geometry[i * 4 + 3] = resizedHeight;
    }

    public int capacity() { return capacity; }
    /** Byte offset of image {@code i} in {@link #staging()}. */
    public long offset(int i) { return offsets[i]; }
    /** Source width of image {@code i}, pixels. */
    public int width(int i) { return geometry[i * 4]; }
    /** Source height of image {@code i}, pixels. */
    public int height(int i) { return geometry[i * 4 + 1]; }
    /** Letterboxed width of image {@code i}, pixels. */
    public int resizedWidth(int i) { return geometry[i * 4 + 2]; }
    /** Letterboxed height of image {@code i}, pixels. */
    public int resizedHeight(int i) { return geometry[i * 4 + 3]; }
}

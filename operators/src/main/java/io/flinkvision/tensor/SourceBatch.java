package io.flinkvision.tensor;


import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.flink.annotation.Internal;

/**
 * The source images of one batch, for an engine that letterboxes on the device
 * ({@code InferenceEngine.letterboxesOnDevice()}): instead of the letterboxed NCHW tensor, the caller writes each frame's
 * decoded pixels, as they are, into the slot's staging buffer and records where they are and how to letterbox them.
 * The engine copies the staging buffer to the device in one transfer and letterboxes there into its NCHW input.
 *
 * <p>Layout of image {@code i} in {@link #staging()}: {@code height x width x 3} bytes, BGR interleaved (HWC, OpenCV
 * {@code CV_8UC3} order), rows packed ({@code 3*width} bytes per row), starting at {@link #offset(int)}. The engine
 * resizes it bilinearly to {@code resizedWidth x resizedHeight} pixels at the top-left of the model input and pads the
 * rest with 114, as {@link io.flinkvision.imaging.Letterbox} does on the host (YOLOX {@code preproc()}).
 *
 * <p>An engine that also decodes JPEG on its device ({@code InferenceEngine.decodesJpegOnDevice()}) takes, in
 * place of an image's pixels, its baseline JPEG file ({@link #setJpeg}): the pixel images are then staged first, in
 * {@code [0, pixelBytes())}, the only range copied as it is, and the JPEG files after them; the engine decodes those
 * (nvJPEG) into its own device memory before letterboxing.
 *
 * <p>Used by the one thread that holds the batch; the staging buffer may be replaced by {@link #reserve(long)}, so
 * take {@link #staging()} after reserving.
 */
@Internal
public final class SourceBatch {
    /** Image offsets are multiples of this many bytes (cache-line and DMA friendly). */
    public static final int ALIGNMENT = 256;

    /** Grows the pinned staging memory behind a {@link SourceBatch}. */
    public interface Staging {
        /**
         * Returns a direct buffer of at least {@code bytes} bytes, reallocating (contents not kept) if the current one
         * is smaller.
         *
         * @throws io.flinkvision.engine.InferenceException if the allocation fails
         */
        ByteBuffer ensureCapacity(long bytes);
    }

    private final Staging storage;
    private final int capacity;
    private final long[] offsets;
    private final int[] geometry;
    private final int[] jpegLengths;
    private ByteBuffer staging;
    private long usedBytes;
    private long pixelBytes;

    /**
     * @param storage the pinned memory provider (an execution slot)
     * @param capacity maximum images per batch
     */
    public SourceBatch(Staging storage, int capacity) {
        this.storage = storage;
        this.capacity = capacity;
        this.offsets = new long[capacity];
        this.geometry = new int[capacity * 4];
        this.jpegLengths = new int[capacity];
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
     * @throws io.flinkvision.engine.InferenceException if pinned memory cannot be allocated
     */
    public void reserve(long totalBytes) {
        reserve(totalBytes, totalBytes);
    }

    /**
     * As {@link #reserve(long)}, for a batch with JPEG files: the pixel images take {@code [0, pixelBytes)}, the
     * JPEG files the rest.
     *
     * @param totalBytes sum of the aligned sizes of the pixel images and JPEG files
     * @param pixelBytes sum of the aligned sizes of the pixel images (0..totalBytes): what is copied to the device as
     *     it is
     * @throws IllegalArgumentException if {@code totalBytes} is not in 1..{@code Integer.MAX_VALUE} or
     *     {@code pixelBytes} not in 0..totalBytes
     * @throws io.flinkvision.engine.InferenceException if pinned memory cannot be allocated
     */
    public void reserve(long totalBytes, long pixelBytes) {
        if (totalBytes < 1 || totalBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a batch of source images must take 1.." + Integer.MAX_VALUE
                    + " bytes, got " + totalBytes);
        }
        if (pixelBytes < 0 || pixelBytes > totalBytes) {
            throw new IllegalArgumentException("pixel bytes " + pixelBytes + " outside 0.." + totalBytes);
        }
        staging = storage.ensureCapacity(totalBytes).order(ByteOrder.nativeOrder());
        usedBytes = totalBytes;
        this.pixelBytes = pixelBytes;
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

    /** Bytes at the start of {@link #staging()} holding pixel images: copied to the device as they are. */
    public long pixelBytes() {
        return pixelBytes;
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
        record(i, offset, imageBytes(width, height), pixelBytes, width, height, resizedWidth, resizedHeight);
        jpegLengths[i] = 0;
    }

    /**
     * Records image {@code i} as a JPEG file for the engine to decode on its device into {@code width x height} BGR
     * pixels.
     *
     * @param offset byte offset of the file in {@link #staging()}, a multiple of {@link #ALIGNMENT}, at or after
     *     {@link #pixelBytes()}
     * @param length the file's length in bytes
     * @param width width from the file's frame header, pixels
     * @param height height from the file's frame header, pixels
     * @param resizedWidth letterboxed width in pixels
     * @param resizedHeight letterboxed height in pixels
     * @throws IllegalArgumentException if the file is not inside the JPEG range of the reserved bytes or a size is
     *     not positive
     */
    public void setJpeg(int i, long offset, int length, int width, int height, int resizedWidth, int resizedHeight) {
        if (length < 1 || offset < pixelBytes) {
            throw new IllegalArgumentException("JPEG image " + i + " of " + length + " bytes at offset " + offset
                    + " must follow the " + pixelBytes + " bytes of pixel images");
        }
        record(i, offset, length, usedBytes, width, height, resizedWidth, resizedHeight);
        jpegLengths[i] = length;
    }

    private void record(int i, long offset, long bytes, long end, int width, int height, int resizedWidth,
            int resizedHeight) {
        if (i < 0 || i >= capacity) {
            throw new IllegalArgumentException("image " + i + " outside 0.." + (capacity - 1));
        }
        if (width < 1 || height < 1 || resizedWidth < 1 || resizedHeight < 1) {
            throw new IllegalArgumentException("image sizes must be positive: source " + width + "x" + height
                    + ", resized " + resizedWidth + "x" + resizedHeight);
        }
        if (offset < 0 || offset % ALIGNMENT != 0 || offset + bytes > end) {
            throw new IllegalArgumentException("image " + i + " at offset " + offset + " (" + bytes
                    + " bytes) is unaligned or outside the first " + end + " of " + usedBytes + " reserved bytes");
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
    /** Whether image {@code i} is a JPEG file for the device to decode ({@link #setJpeg}). */
    public boolean isJpeg(int i) { return jpegLengths[i] > 0; }
    /** Length of image {@code i}'s JPEG file in bytes, 0 for pixels. */
    public int jpegLength(int i) { return jpegLengths[i]; }
}

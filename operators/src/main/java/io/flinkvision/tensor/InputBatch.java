package io.flinkvision.tensor;


import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The host input buffer of one execution slot: an NCHW tensor {@code [capacity, C, H, W]} of {@link ElementType}
 * elements in native byte order, of which the first {@link #size()} images are filled. For TensorRT the buffer is
 * pinned (page-locked) memory; for ONNX Runtime a direct buffer.
 *
 * <p>Obtained from {@code InferenceEngine.acquire()}, filled by the caller, handed back with
 * {@code InferenceEngine.submit()}. An engine that letterboxes on the device also offers {@link #sources()}:
 * the caller then writes the decoded frames there instead, or mixes both, and calls {@link #setMixedSize(int, int)}
 * instead of {@link #setSize(int)}: the first images letterboxed on the host in {@link #data()}, the rest from
 * {@link #sources()}.
 */
@PublicEvolving
public final class InputBatch {
    private final int slot;
    private final ByteBuffer data;
    private final ElementType type;
    private final int capacity;
    private final int elementsPerImage;
    private final SourceBatch sources;
    private int size;
    private int hostImages;

    /**
     * @param slot execution slot index this buffer belongs to
     * @param data direct buffer of at least {@code capacity * elementsPerImage * type.bytes()} bytes
     * @param type element type
     * @param capacity maximum batch size N
     * @param elementsPerImage {@code C*H*W}
     */
    public InputBatch(int slot, ByteBuffer data, ElementType type, int capacity, int elementsPerImage) {
        this(slot, data, type, capacity, elementsPerImage, null);
    }

    /**
     * As {@link #InputBatch(int, ByteBuffer, ElementType, int, int)}, for an engine that letterboxes on the device.
     *
     * @param sources the slot's source staging, or null when the engine takes only the NCHW tensor
     */
    public InputBatch(int slot, ByteBuffer data, ElementType type, int capacity, int elementsPerImage,
            SourceBatch sources) {
        long need = (long) capacity * elementsPerImage * type.bytes();
        if (data.capacity() < need) {
            throw new IllegalArgumentException("input buffer holds " + data.capacity() + " bytes, needs " + need);
        }
        this.slot = slot;
        this.data = data.order(ByteOrder.nativeOrder());
        this.type = type;
        this.capacity = capacity;
        this.elementsPerImage = elementsPerImage;
        this.sources = sources;
    }

    public int slot() { return slot; }
    /** The whole buffer (position and limit are not used by the engine). */
    public ByteBuffer data() { return data; }
    public ElementType type() { return type; }
    public int capacity() { return capacity; }
    public int elementsPerImage() { return elementsPerImage; }
    /** Number of filled images, 1..capacity. */
    public int size() { return size; }

    /** Sets the number of images filled in {@link #data()} (NCHW); throws IllegalArgumentException outside 1..capacity. */
    public void setSize(int size) {
        checkSize(size);
        this.size = size;
        this.hostImages = size;
    }

    /**
     * A batch of {@code hostImages + sourceImages} images: images {@code 0..hostImages-1} are letterboxed NCHW in
     * {@link #data()}, images {@code hostImages..size-1} are source images {@code 0..sourceImages-1} of
     * {@link #sources()}, letterboxed by the engine on the device. Only the filled bytes of each part are copied.
     *
     * @param hostImages images filled in {@link #data()}, from index 0 (>= 0)
     * @param sourceImages images recorded in {@link #sources()} (>= 0)
     * @throws IllegalArgumentException if a count is negative or the total is outside 1..capacity
     * @throws UnsupportedOperationException if {@code sourceImages > 0} and the engine does not letterbox on the device
     */
    public void setMixedSize(int hostImages, int sourceImages) {
        if (hostImages < 0 || sourceImages < 0) {
            throw new IllegalArgumentException("image counts must be >= 0, got " + hostImages + " + " + sourceImages);
        }
        if (sourceImages > 0) {
            sources();
        }
        checkSize(hostImages + sourceImages);
        this.size = hostImages + sourceImages;
        this.hostImages = hostImages;
    }

    private void checkSize(int size) {
        if (size < 1 || size > capacity) {
            throw new IllegalArgumentException("batch size " + size + " outside 1.." + capacity);
        }
    }

    /** Whether this slot can take source images ({@link #sources()}). */
    public boolean hasSources() {
        return sources != null;
    }

    /**
     * The slot's source images, for device letterboxing.
     *
     * @throws UnsupportedOperationException if the engine does not letterbox on the device
     */
    public SourceBatch sources() {
        if (sources == null) {
            throw new UnsupportedOperationException("this engine takes letterboxed NCHW input only");
        }
        return sources;
    }

    /** Whether some images of the batch are source images for the engine to letterbox ({@link #sourceImages()} > 0). */
    public boolean fromSources() {
        return hostImages < size;
    }

    /** Images letterboxed on the host, at the front of the batch ({@link #size()} after {@link #setSize}). */
    public int hostImages() {
        return hostImages;
    }

    /** Images the engine letterboxes from {@link #sources()}, after the host ones (0 after {@link #setSize}). */
    public int sourceImages() {
        return size - hostImages;
    }

    /** Byte offset of image {@code i} in {@link #data()}. */
    public int byteOffset(int i) {
        return i * elementsPerImage * type.bytes();
    }

    /** Bytes of the host-filled part: {@code hostImages * C*H*W * elementBytes}. */
    public long filledBytes() {
        return (long) hostImages * elementsPerImage * type.bytes();
    }
}

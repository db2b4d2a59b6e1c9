package io.flinkvision.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The host input buffer of one execution slot: an NCHW tensor {@code [capacity, C, H, W]} of {@link ElementType}
 * elements in native byte order, of which the first {@link #size()} images are filled. For TensorRT the buffer is
 * pinned (page-locked) memory; for ONNX Runtime a direct buffer.
 *
 * <p>Obtained from {@link InferenceEngine#acquire()}, filled by the caller, handed back with
 * {@link InferenceEngine#submit(InputBatch)}.
 */
public final class InputBatch {
    private final int slot;
    private final ByteBuffer data;
    private final ElementType type;
    private final int capacity;
    private final int elementsPerImage;
    private int size;

    /**
     * @param slot execution slot index this buffer belongs to
     * @param data direct buffer of at least {@code capacity * elementsPerImage * type.bytes()} bytes
     * @param type element type
     * @param capacity maximum batch size N
     * @param elementsPerImage {@code C*H*W}
     */
    public InputBatch(int slot, ByteBuffer data, ElementType type, int capacity, int elementsPerImage) {
        long need = (long) capacity * elementsPerImage * type.bytes();
        if (data.capacity() < need) {
            throw new IllegalArgumentException("input buffer holds " + data.capacity() + " bytes, needs " + need);
        }
        this.slot = slot;
        this.data = data.order(ByteOrder.nativeOrder());
        this.type = type;
        this.capacity = capacity;
        this.elementsPerImage = elementsPerImage;
    }

    public int slot() { return slot; }
    /** The whole buffer (position and limit are not used by the engine). */
    public ByteBuffer data() { return data; }
    public ElementType type() { return type; }
    public int capacity() { return capacity; }
    public int elementsPerImage() { return elementsPerImage; }
    /** Number of filled images, 1..capacity. */
    public int size() { return size; }

    /** Sets the number of filled images; throws IllegalArgumentException outside 1..capacity. */
    public void setSize(int size) {
        if (size < 1 || size > capacity) {
            throw new IllegalArgumentException("batch size " + size + " outside 1.." + capacity);
        }
        this.size = size;
    }

    /** Byte offset of image {@code i} in {@link #data()}. */
    public int byteOffset(int i) {
        return i * elementsPerImage * type.bytes();
    }

    /** Bytes of the filled part: {@code size * C*H*W * elementBytes}. */
    public long filledBytes() {
        return (long) size * elementsPerImage * type.bytes();
    }
}

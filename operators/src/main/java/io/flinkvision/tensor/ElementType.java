package io.flinkvision.tensor;

import org.apache.flink.annotation.PublicEvolving;

/** Element type of an engine's input tensor as the host writes it. */
@PublicEvolving
public enum ElementType {
    /** 32-bit IEEE float, pixel values 0..255 (no normalisation). */
    FLOAT32(4),
    /** 8-bit unsigned pixel values, converted to float on the device (4x fewer bytes over PCIe). */
    UINT8(1);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }
}

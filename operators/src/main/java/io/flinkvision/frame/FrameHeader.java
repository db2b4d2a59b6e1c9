package io.flinkvision.frame;

import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * One Kafka record header exactly as received: the key (Kafka header keys are strings) and the value bytes, which may
 * be null and need not be UTF-8. A frame keeps its record's headers as a {@code FrameHeader[]} in record order,
 * duplicates included, so that its dead letter can carry them byte for byte.
 *
 * <p>A Flink POJO (public no-arg constructor, getters and setters): frames holding it sit in checkpoints.
 */
@PublicEvolving
public class FrameHeader {
    private String key;
    private byte[] value;

    public FrameHeader() {}

    /**
     * @param key header key
     * @param value header value bytes as received, may be null
     */
    public FrameHeader(String key, byte[] value) {
        this.key = key;
        this.value = value;
    }

    public String getKey() { return key; }
    public void setKey(String key) { this.key = key; }
    public byte[] getValue() { return value; }
    public void setValue(byte[] value) { this.value = value; }

    @Override
    public boolean equals(Object o) {
        return o instanceof FrameHeader h && Objects.equals(key, h.key) && Arrays.equals(value, h.value);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(key) + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return key + "=" + (value == null ? "null" : value.length + " bytes");
    }
}

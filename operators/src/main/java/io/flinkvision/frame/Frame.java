package io.flinkvision.frame;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * One camera frame as read from Kafka: the encoded image plus its identity and provenance.
 *
 * <p>A Flink POJO (public no-arg constructor, getters and setters) so that it is serialized without Kryo where
 * possible. Frames sit in the async operator's queue and therefore in checkpoints: the payload stays encoded (a JPEG of
 * a 768x576 frame is ~60 KB, its decoded BGR pixels 1.3 MB).
 *
 * <p>A frame whose Kafka record could not be parsed (missing or malformed headers) still becomes a {@code Frame}, with
 * {@link #getInvalidReason()} set, so that it reaches the dead-letter topic instead of being dropped.
 */
@PublicEvolving
public class Frame {
    private String cameraId;
    private long frameIndex = -1;
    private long captureTimestampMs;
    /** Wire name of the encoding as received (kept verbatim so an unknown encoding can be reported). */
    private String encoding;
    /** Width in pixels declared by the producer, 0 when not given. */
    private int width;
    /** Height in pixels declared by the producer, 0 when not given. */
    private int height;
    private byte[] payload;
    /** Original key bytes, kept for the dead-letter record; may be null. */
    private byte[] key;
    /** Original headers in record order, duplicates and value bytes as received, kept for the dead-letter record. */
    private FrameHeader[] headers = new FrameHeader[0];
    private String sourceTopic;
    private int sourcePartition = -1;
    private long sourceOffset = -1;
    /** Machine-readable reason code when the record could not be parsed into a frame, else null. */
    private String invalidReason;
    /** Human-readable detail for {@link #invalidReason}. */
    private String invalidMessage;

    public Frame() {}

    /** Convenience constructor for producers and tests. */
    public Frame(String cameraId, long frameIndex, long captureTimestampMs, FrameEncoding encoding, byte[] payload) {
        this.cameraId = cameraId;
        this.frameIndex = frameIndex;
        this.captureTimestampMs = captureTimestampMs;
        this.encoding = encoding.wireName();
        this.payload = payload;
    }

    public String getCameraId() { return cameraId; }
    public void setCameraId(String cameraId) { this.cameraId = cameraId; }
    public long getFrameIndex() { return frameIndex; }
    public void setFrameIndex(long frameIndex) { this.frameIndex = frameIndex; }
    public long getCaptureTimestampMs() { return captureTimestampMs; }
    public void setCaptureTimestampMs(long captureTimestampMs) { this.captureTimestampMs = captureTimestampMs; }
    public String getEncoding() { return encoding; }
    public void setEncoding(String encoding) { this.encoding = encoding; }
    public int getWidth() { return width; }
    public void setWidth(int width) { this.width = width; }
    public int getHeight() { return height; }
    public void setHeight(int height) { this.height = height; }
    public byte[] getPayload() { return payload; }
    public void setPayload(byte[] payload) { this.payload = payload; }
    public byte[] getKey() { return key; }
    public void setKey(byte[] key) { this.key = key; }
    public FrameHeader[] getHeaders() { return headers; }
    public void setHeaders(FrameHeader[] headers) { this.headers = headers; }
    public String getSourceTopic() { return sourceTopic; }
    public void setSourceTopic(String sourceTopic) { this.sourceTopic = sourceTopic; }
    public int getSourcePartition() { return sourcePartition; }
    public void setSourcePartition(int sourcePartition) { this.sourcePartition = sourcePartition; }
    public long getSourceOffset() { return sourceOffset; }
    public void setSourceOffset(long sourceOffset) { this.sourceOffset = sourceOffset; }
    public String getInvalidReason() { return invalidReason; }
    public void setInvalidReason(String invalidReason) { this.invalidReason = invalidReason; }
    public String getInvalidMessage() { return invalidMessage; }
    public void setInvalidMessage(String invalidMessage) { this.invalidMessage = invalidMessage; }

    /** True when the Kafka record could be parsed into a frame (the image itself may still be undecodable). */
    public boolean isValid() {
        return invalidReason == null;
    }

    /** Marks this frame invalid with a {@link DeadLetterReason} code and a detail message. */
    public Frame markInvalid(String reason, String message) {
        this.invalidReason = reason;
        this.invalidMessage = message;
        return this;
    }

    /**
     * The value of the last header named {@code key}, decoded as UTF-8 (Kafka's {@code Headers.lastHeader}
     * semantics); null when there is no such header or its value is null.
     */
    public String lastHeaderValue(String key) {
        if (headers == null) {
            return null;
        }
        for (int i = headers.length - 1; i >= 0; i--) {
            if (headers[i] != null && key.equals(headers[i].getKey())) {
                byte[] v = headers[i].getValue();
                return v == null ? null : new String(v, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Payload size in bytes, 0 when there is none. */
    public int payloadSize() {
        return payload == null ? 0 : payload.length;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Frame)) return false;
        Frame f = (Frame) o;
        return frameIndex == f.frameIndex && captureTimestampMs == f.captureTimestampMs && width == f.width
                && height == f.height && Objects.equals(cameraId, f.cameraId) && Objects.equals(encoding, f.encoding)
                && Arrays.equals(payload, f.payload) && Objects.equals(invalidReason, f.invalidReason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(cameraId, frameIndex, captureTimestampMs, encoding);
    }

    @Override
    public String toString() {
        return "Frame{camera=" + cameraId + ", index=" + frameIndex + ", ts=" + captureTimestampMs + ", encoding="
                + encoding + ", bytes=" + payloadSize() + (invalidReason == null ? "" : ", invalid=" + invalidReason)
                + ", source=" + sourceTopic + "/" + sourcePartition + "@" + sourceOffset + "}";
    }
}

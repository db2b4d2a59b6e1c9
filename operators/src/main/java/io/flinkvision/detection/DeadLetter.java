package io.flinkvision.detection;

import io.flinkvision.frame.DeadLetterReason;

import io.flinkvision.frame.FrameHeader;
import org.apache.flink.annotation.PublicEvolving;

/**
 * A frame that produced no detection record, with the reason. Written to the dead-letter topic with the original key,
 * value and headers, plus {@code dlq.*} headers (see {@code DeadLetterSerializationSchema}).
 */
@PublicEvolving
public class DeadLetter {
    private String cameraId;
    private long frameIndex = -1;
    private long captureTimestampMs;
    /** A {@code io.flinkvision.frame.DeadLetterReason} code. */
    private String reason;
    private String message;
    private byte[] originalKey;
    private byte[] originalValue;
    /** The frame record's headers in record order, duplicates and value bytes as received. */
    private FrameHeader[] originalHeaders = new FrameHeader[0];
    private String sourceTopic;
    private int sourcePartition = -1;
    private long sourceOffset = -1;

    public DeadLetter() {}

    public String getCameraId() { return cameraId; }
    public void setCameraId(String cameraId) { this.cameraId = cameraId; }
    public long getFrameIndex() { return frameIndex; }
    public void setFrameIndex(long frameIndex) { this.frameIndex = frameIndex; }
    public long getCaptureTimestampMs() { return captureTimestampMs; }
    public void setCaptureTimestampMs(long captureTimestampMs) { this.captureTimestampMs = captureTimestampMs; }
    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public byte[] getOriginalKey() { return originalKey; }
    public void setOriginalKey(byte[] originalKey) { this.originalKey = originalKey; }
    public byte[] getOriginalValue() { return originalValue; }
    public void setOriginalValue(byte[] originalValue) { this.originalValue = originalValue; }
    public FrameHeader[] getOriginalHeaders() { return originalHeaders; }
    public void setOriginalHeaders(FrameHeader[] originalHeaders) { this.originalHeaders = originalHeaders; }
    public String getSourceTopic() { return sourceTopic; }
    public void setSourceTopic(String sourceTopic) { this.sourceTopic = sourceTopic; }
    public int getSourcePartition() { return sourcePartition; }
    public void setSourcePartition(int sourcePartition) { this.sourcePartition = sourcePartition; }
    public long getSourceOffset() { return sourceOffset; }
    public void setSourceOffset(long sourceOffset) { this.sourceOffset = sourceOffset; }

    @Override
    public String toString() {
        return "DeadLetter{camera=" + cameraId + ", index=" + frameIndex + ", reason=" + reason + ", message=" + message
                + "}";
    }
}

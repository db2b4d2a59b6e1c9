package io.flinkvision.detection;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The detection record of one frame: what the operator emits and the detections topic carries as JSON (one record per
 * frame, key = camera id). Field names are the JSON schema documented in the README.
 *
 * <p>A frame whose inference timed out or failed may be emitted as an <em>error record</em> (when the operator is
 * configured so instead of a dead letter): {@link #getStatus()} is {@code "error"}, {@link #getError()} gives the
 * reason code and the detections list is empty.
 */
@PublicEvolving
public class FrameDetections {
    /** {@link #getStatus()} of a normal record. */
    public static final String STATUS_OK = "ok";
    /** {@link #getStatus()} of an error record. */
    public static final String STATUS_ERROR = "error";

    private String cameraId;
    private long frameIndex;
    private long captureTimestampMs;
    private int imageWidth;
    private int imageHeight;
    private List<Detection> detections = new ArrayList<>();
    private String model;
    private String backend;
    private String precision;
    private int batchSize;
    private LatencyBreakdown latencyMs = new LatencyBreakdown();
    private long emitTimestampMs;
    private String status = STATUS_OK;
    private ErrorInfo error;

    public FrameDetections() {}

    public String getCameraId() { return cameraId; }
    public void setCameraId(String cameraId) { this.cameraId = cameraId; }
    public long getFrameIndex() { return frameIndex; }
    public void setFrameIndex(long frameIndex) { this.frameIndex = frameIndex; }
    /** Capture time of the frame, ms since the Unix epoch. */
    public long getCaptureTimestampMs() { return captureTimestampMs; }
    public void setCaptureTimestampMs(long captureTimestampMs) { this.captureTimestampMs = captureTimestampMs; }
    /** Source image width in pixels (boxes are in this coordinate system). */
    public int getImageWidth() { return imageWidth; }
    public void setImageWidth(int imageWidth) { this.imageWidth = imageWidth; }
    /** Source image height in pixels. */
    public int getImageHeight() { return imageHeight; }
    public void setImageHeight(int imageHeight) { this.imageHeight = imageHeight; }
    public List<Detection> getDetections() { return detections; }
    public void setDetections(List<Detection> detections) { this.detections = detections; }
    /** Model file name, e.g. {@code yolox_nano_dyn.onnx}. */
    public String getModel() { return model; }
    public void setModel(String model) { this.model = model; }
    /** Engine backend: {@code onnxruntime} or {@code tensorrt}. */
    public String getBackend() { return backend; }
    public void setBackend(String backend) { this.backend = backend; }
    /** Engine precision: {@code fp32}, {@code fp16} or {@code int8}. */
    public String getPrecision() { return precision; }
    public void setPrecision(String precision) { this.precision = precision; }
    /** Number of frames in the micro-batch this frame was inferred in. */
    public int getBatchSize() { return batchSize; }
    public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
    public LatencyBreakdown getLatencyMs() { return latencyMs; }
    public void setLatencyMs(LatencyBreakdown latencyMs) { this.latencyMs = latencyMs; }
    /** Wall-clock time the operator completed this record, ms since the Unix epoch. */
    public long getEmitTimestampMs() { return emitTimestampMs; }
    public void setEmitTimestampMs(long emitTimestampMs) { this.emitTimestampMs = emitTimestampMs; }
    public String getStatus() { return status; }
    public void setStatus(String status) { this.status = status; }
    public ErrorInfo getError() { return error; }
    public void setError(ErrorInfo error) { this.error = error; }

    /** Reason of an error record. */
    public static class ErrorInfo {
        private String reason;
        private String message;

        public ErrorInfo() {}

        public ErrorInfo(String reason, String message) {
            this.reason = reason;
            this.message = message;
        }

        public String getReason() { return reason; }
        public void setReason(String reason) { this.reason = reason; }
        public String getMessage() { return message; }
        public void setMessage(String message) { this.message = message; }
    }

    @Override
    public String toString() {
        return "FrameDetections{camera=" + cameraId + ", index=" + frameIndex + ", status=" + status + ", detections="
                + detections + "}";
    }
}

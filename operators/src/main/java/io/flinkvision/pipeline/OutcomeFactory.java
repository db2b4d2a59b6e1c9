package io.flinkvision.pipeline;

import io.flinkvision.detection.DeadLetter;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.detection.LatencyBreakdown;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import java.util.List;
import org.apache.flink.annotation.Internal;

/**
 * Builds every {@link InferenceOutcome} a frame can end as: its detection record, its dead letter, or the error record
 * of a frame whose inference timed out. The one place that copies a frame's identity (camera id, frame index, capture
 * time; for dead letters also the original record and its source topic, partition and offset) into an output record.
 * Thread-safe (immutable).
 */
@Internal
public final class OutcomeFactory {
    /** Message of the outcome of a frame whose inference did not finish within the async timeout. */
    public static final String TIMEOUT_MESSAGE = "inference did not finish within the async timeout";

    private final EngineInfo engine;

    /**
     * @param engine the engine whose model, backend and precision the records name; null where no engine is open
     *     yet (records then name none)
     */
    public OutcomeFactory(EngineInfo engine) {
        this.engine = engine;
    }

    /**
     * The detection record of a frame that went through the engine.
     *
     * @param sourceWidth width of the decoded source image, pixels (the boxes' coordinate space)
     * @param sourceHeight height of the decoded source image, pixels
     * @param detections boxes in source pixels, after NMS
     * @param batchSize frames in the micro-batch the frame was inferred in
     * @param latency queue, inference and total latency of the frame, ms
     */
    public InferenceOutcome detections(Frame frame, int sourceWidth, int sourceHeight, List<Detection> detections,
            int batchSize, LatencyBreakdown latency) {
        FrameDetections d = record(frame);
        d.setImageWidth(sourceWidth);
        d.setImageHeight(sourceHeight);
        d.setDetections(detections);
        d.setBatchSize(batchSize);
        d.setLatencyMs(latency);
        d.setEmitTimestampMs(System.currentTimeMillis());
        return InferenceOutcome.of(d);
    }

    /**
     * The error record of a frame whose inference did not finish within the async timeout: status
     * {@link FrameDetections#STATUS_ERROR}, reason {@code inference-timeout}, no detections.
     */
    public InferenceOutcome timeoutRecord(Frame frame) {
        FrameDetections d = record(frame);
        d.setStatus(FrameDetections.STATUS_ERROR);
        d.setError(new FrameDetections.ErrorInfo(DeadLetterReason.INFERENCE_TIMEOUT.code(), TIMEOUT_MESSAGE));
        d.setEmitTimestampMs(System.currentTimeMillis());
        return InferenceOutcome.of(d);
    }

    /** The dead letter of a frame whose inference did not finish within the async timeout ({@code inference-timeout}). */
    public static InferenceOutcome timeoutDeadLetter(Frame frame) {
        return deadLetter(frame, DeadLetterReason.INFERENCE_TIMEOUT.code(), TIMEOUT_MESSAGE);
    }

    /**
     * The dead letter of a frame: its identity, the reason code and message, and the original Kafka record (key,
     * value, a copy of the headers, source topic, partition and offset) so that it can be replayed.
     *
     * @param reason a {@link DeadLetterReason#code()} (or a caller's own code, e.g. {@code file-unreadable})
     */
    public static InferenceOutcome deadLetter(Frame frame, String reason, String message) {
        DeadLetter dl = new DeadLetter();
        dl.setCameraId(frame.getCameraId());
        dl.setFrameIndex(frame.getFrameIndex());
        dl.setCaptureTimestampMs(frame.getCaptureTimestampMs());
        dl.setReason(reason);
        dl.setMessage(message);
        dl.setOriginalKey(frame.getKey());
        dl.setOriginalValue(frame.getPayload());
        if (frame.getHeaders() != null) {
            dl.setOriginalHeaders(frame.getHeaders().clone());
        }
        dl.setSourceTopic(frame.getSourceTopic());
        dl.setSourcePartition(frame.getSourcePartition());
        dl.setSourceOffset(frame.getSourceOffset());
        return InferenceOutcome.of(dl);
    }

    /** A record with the frame's identity and the engine's names. */
    private FrameDetections record(Frame frame) {
        FrameDetections d = new FrameDetections();
        d.setCameraId(frame.getCameraId());
        d.setFrameIndex(frame.getFrameIndex());
        d.setCaptureTimestampMs(frame.getCaptureTimestampMs());
        if (engine != null) {
            d.setModel(engine.modelName());
            d.setBackend(engine.backend().id());
            d.setPrecision(engine.precision().id());
        }
        return d;
    }
}

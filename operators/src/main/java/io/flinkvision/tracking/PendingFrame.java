package io.flinkvision.tracking;

import org.apache.flink.annotation.Internal;

/**
 * A frame held in {@link ObjectTracker}'s reorder buffer (Flink keyed state, a Flink POJO): the detection record as
 * JSON ({@link io.flinkvision.detection.DetectionJson}), so the buffer's state format is the documented record schema.
 */
@Internal
public class PendingFrame {
    /** The detection record, UTF-8 JSON. */
    public byte[] json;
    /** Its capture time, ms since the epoch (event time: released when the watermark passes it). */
    public long captureTimestampMs;
    /** Processing time it entered the buffer, ms since the epoch (released {@code reorder.max-wait-ms} later). */
    public long arrivalMs;

    public PendingFrame() {}
}

package io.flinkvision.tracking;

import org.apache.flink.annotation.Internal;

/**
 * Per-camera counters of {@link ObjectTracker} in Flink keyed state (a Flink POJO): the next track id and the last
 * frame tracked, so a job restored from a checkpoint continues the same ids and frame order.
 */
@Internal
public class CameraTrackerState {
    /** Id the next confirmed track gets; ids start at 1. */
    public long nextTrackId = 1;
    /** Frame index of the latest frame tracked; -1 before the first. */
    public long lastFrameIndex = -1;
    /** Frame index of the latest frame whose detections were associated (error records are not); -1 before. */
    public long lastAssociatedFrameIndex = -1;
    /** Capture time of the latest frame tracked, ms since the epoch. */
    public long lastTimestampMs;
    /** Frames held in the reorder buffer. */
    public int pendingFrames;

    public CameraTrackerState() {}
}

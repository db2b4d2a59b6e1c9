package io.flinkvision.tracking;

import io.flinkvision.detection.BoundingBox;
import org.apache.flink.annotation.PublicEvolving;

/**
 * A track lifecycle record of the {@code tracks} topic (JSON, schema in the README, "Track records"): {@code started}
 * when a track is confirmed, {@code updated} every {@code tracking.update-interval-frames} matched frames,
 * {@code ended} when it was lost for longer than the max age (or the input ended). Boxes in source-image pixels; times
 * are capture times, ms since the Unix epoch.
 */
@PublicEvolving
public class TrackEvent {
    public static final String STARTED = "started";
    public static final String UPDATED = "updated";
    public static final String ENDED = "ended";
    /** {@link #getEndReason()}: not matched for longer than the max age. */
    public static final String END_LOST = "lost";
    /** {@link #getEndReason()}: the input ended (bounded job) while the track was open. */
    public static final String END_OF_STREAM = "end-of-stream";

    private String type;
    private String cameraId;
    private long trackId;
    private int classId;
    private String label;
    private long frameIndex;
    private long timestampMs;
    private BoundingBox box;
    private float score;
    private long firstFrameIndex;
    private long firstTimestampMs;
    private BoundingBox firstBox;
    private long lastFrameIndex;
    private long lastTimestampMs;
    private long durationMs;
    private long durationFrames;
    private int hits;
    private double distancePx;
    private float[][] path;
    private String endReason;

    public TrackEvent() {}

    /** {@code started}, {@code updated} or {@code ended}. */
    public String getType() { return type; }
    public void setType(String type) { this.type = type; }
    public String getCameraId() { return cameraId; }
    public void setCameraId(String cameraId) { this.cameraId = cameraId; }
    /** Track id, stable per camera, from 1. */
    public long getTrackId() { return trackId; }
    public void setTrackId(long trackId) { this.trackId = trackId; }
    public int getClassId() { return classId; }
    public void setClassId(int classId) { this.classId = classId; }
    public String getLabel() { return label; }
    public void setLabel(String label) { this.label = label; }
    /** Frame the event was decided at (for {@code ended}: the frame at which the track was dropped). */
    public long getFrameIndex() { return frameIndex; }
    public void setFrameIndex(long frameIndex) { this.frameIndex = frameIndex; }
    /** Capture time of {@link #getFrameIndex()}. */
    public long getTimestampMs() { return timestampMs; }
    public void setTimestampMs(long timestampMs) { this.timestampMs = timestampMs; }
    /** The latest matched box (the detection's box, not the Kalman estimate). */
    public BoundingBox getBox() { return box; }
    public void setBox(BoundingBox box) { this.box = box; }
    /** Score of the latest matched detection. */
    public float getScore() { return score; }
    public void setScore(float score) { this.score = score; }
    public long getFirstFrameIndex() { return firstFrameIndex; }
    public void setFirstFrameIndex(long v) { this.firstFrameIndex = v; }
    public long getFirstTimestampMs() { return firstTimestampMs; }
    public void setFirstTimestampMs(long v) { this.firstTimestampMs = v; }
    /** Box of the track's first detection. */
    public BoundingBox getFirstBox() { return firstBox; }
    public void setFirstBox(BoundingBox firstBox) { this.firstBox = firstBox; }
    /** Frame index of the latest match. */
    public long getLastFrameIndex() { return lastFrameIndex; }
    public void setLastFrameIndex(long v) { this.lastFrameIndex = v; }
    public long getLastTimestampMs() { return lastTimestampMs; }
    public void setLastTimestampMs(long v) { this.lastTimestampMs = v; }
    /** {@code lastTimestampMs - firstTimestampMs}. */
    public long getDurationMs() { return durationMs; }
    public void setDurationMs(long v) { this.durationMs = v; }
    /** {@code lastFrameIndex - firstFrameIndex + 1}. */
    public long getDurationFrames() { return durationFrames; }
    public void setDurationFrames(long v) { this.durationFrames = v; }
    /** Matched frames so far. */
    public int getHits() { return hits; }
    public void setHits(int hits) { this.hits = hits; }
    /** Distance travelled by the box center, pixels (sum over matches). */
    public double getDistancePx() { return distancePx; }
    public void setDistancePx(double v) { this.distancePx = v; }
    /** Path summary on {@code ended}: at most {@code tracking.path-max-points} box centers {@code [x, y]}, in order. */
    public float[][] getPath() { return path; }
    public void setPath(float[][] path) { this.path = path; }
    /** On {@code ended}: {@link #END_LOST} or {@link #END_OF_STREAM}; null otherwise. */
    public String getEndReason() { return endReason; }
    public void setEndReason(String endReason) { this.endReason = endReason; }

    @Override
    public String toString() {
        return type + " " + cameraId + "#" + trackId + " " + label + " frame " + frameIndex;
    }
}

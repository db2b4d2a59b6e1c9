package io.flinkvision.tracking;

import org.apache.flink.annotation.Internal;

/**
 * One track of one camera as kept in Flink keyed state ({@link ObjectTracker}, a {@code ListState<TrackState>}): a
 * Flink POJO (public fields, no-arg constructor) so Flink's own POJO serializer stores it and supports adding fields
 * later. Boxes are {@code [x1, y1, x2, y2]} in source-image pixels; times are capture times in ms since the epoch.
 */
@Internal
public class TrackState {
    /** Lifecycle status: tentative (not confirmed yet, no id), tracked (matched in the latest frame), lost. */
    public static final String TENTATIVE = "tentative";
    public static final String TRACKED = "tracked";
    public static final String LOST = "lost";

    /** The track id once confirmed (1, 2, ... per camera); 0 while tentative. */
    public long trackId;
    public String status = TENTATIVE;
    public int classId;
    public String label;
    /** Kalman state, 8 values (see {@link BoxKalmanFilter#mean()}). */
    public double[] mean;
    /** Kalman covariance, 64 values row-major. */
    public double[] covariance;
    /** Matched frames (detections associated with the track). */
    public int hits;
    /** Score of the latest matched detection. */
    public float score;
    public long firstFrameIndex;
    public long firstTimestampMs;
    public float[] firstBox;
    /** Frame index of the latest match. */
    public long lastFrameIndex;
    public long lastTimestampMs;
    public float[] lastBox;
    /** Frame index of the latest 'started' or 'updated' event. */
    public long lastEventFrameIndex;
    /** Path summary: box centers {@code x0, y0, x1, y1, ...} of every {@link #pathStride}-th match. */
    public float[] path = new float[0];
    /** Matches between path points; doubles each time the path is thinned. */
    public int pathStride = 1;
    /** Matches since the latest path point. */
    public int sincePathPoint;
    /** Distance travelled by the box center over all matches, pixels. */
    public double distancePx;

    public TrackState() {}

    /** Whether the track has an id (was confirmed). */
    public boolean confirmed() {
        return trackId > 0;
    }
}

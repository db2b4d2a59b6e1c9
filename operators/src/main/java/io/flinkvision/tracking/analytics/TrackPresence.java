package io.flinkvision.tracking.analytics;

import org.apache.flink.annotation.Internal;

/**
 * What {@link LineZoneAnalytics} remembers of one track (Flink keyed state, a POJO): its last anchor point, its side
 * of each line and since when it is in each zone. Arrays are indexed like the camera's lines and zones.
 */
@Internal
public class TrackPresence {
    public float x;
    public float y;
    /** Capture time of its latest sighting, ms. */
    public long lastSeenMs;
    /** Per line: -1 left, +1 right, 0 not known yet (see {@link Geometry#side}). */
    public int[] sides;
    /** Per zone: capture time it entered, ms, or -1 when outside. */
    public long[] enteredMs;

    public TrackPresence() {}
}

package io.flinkvision.tracking;

import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ReadableConfig;

/**
 * Thresholds of the ByteTrack association and of the track lifecycle ({@link ByteTracker}); meanings and sources in
 * {@link TrackingOptions}. Scores are objectness x class probability in [0, 1]; costs {@code 1 - IoU} (or
 * {@code 1 - IoU*score}), in [0, 1].
 */
@PublicEvolving
public record TrackerConfig(float highScore, float lowScore, float newTrackScore, float firstMaxCost,
        float secondMaxCost, float tentativeMaxCost, boolean fuseScore, int minHits, int maxLostFrames, long maxLostMs,
        boolean perClass, int updateIntervalFrames, int pathMaxPoints, int reorderMaxFrames, long reorderMaxWaitMs)
        implements Serializable {

    /**
     * The defaults: ByteTrack's {@code track_thresh 0.5}, low 0.1, new tracks at {@code track_thresh + 0.1},
     * {@code match_thresh 0.8}, second stage 0.5, unconfirmed 0.7, {@code fuse_score} on, confirmed at the 2nd hit,
     * {@code track_buffer 30} frames; ours: per class, an 'updated' event every 10 frames, 32 path points, reorder
     * buffer 100 frames / 2000 ms.
     */
    public static final TrackerConfig DEFAULTS = new TrackerConfig(0.5f, 0.1f, 0.6f, 0.8f, 0.5f, 0.7f, true, 2, 30,
            0L, true, 10, 32, 100, 2000L);

    /** @throws IllegalArgumentException naming the option that is out of range */
    public TrackerConfig {
        check(lowScore >= 0 && lowScore <= highScore && highScore <= 1, "tracking.low-score <= tracking.high-score in"
                + " [0, 1]: " + lowScore + ", " + highScore);
        check(newTrackScore >= 0 && newTrackScore <= 1, "tracking.new-track-score in [0, 1]: " + newTrackScore);
        check(firstMaxCost >= 0 && firstMaxCost <= 1, "tracking.first.max-cost in [0, 1]: " + firstMaxCost);
        check(secondMaxCost >= 0 && secondMaxCost <= 1, "tracking.second.max-cost in [0, 1]: " + secondMaxCost);
        check(tentativeMaxCost >= 0 && tentativeMaxCost <= 1, "tracking.tentative.max-cost in [0, 1]: "
                + tentativeMaxCost);
        check(minHits >= 1, "tracking.min-hits >= 1: " + minHits);
        check(maxLostFrames >= 0, "tracking.max-lost-frames >= 0: " + maxLostFrames);
        check(maxLostMs >= 0, "tracking.max-lost-ms >= 0: " + maxLostMs);
        check(updateIntervalFrames >= 0, "tracking.update-interval-frames >= 0: " + updateIntervalFrames);
        check(pathMaxPoints >= 2, "tracking.path-max-points >= 2: " + pathMaxPoints);
        check(reorderMaxFrames >= 1, "tracking.reorder.max-frames >= 1: " + reorderMaxFrames);
        check(reorderMaxWaitMs >= 1, "tracking.reorder.max-wait-ms >= 1: " + reorderMaxWaitMs);
    }

    /**
     * The {@code tracking.*} options of a configuration, defaults for those not set.
     *
     * @throws IllegalArgumentException naming an option out of range
     */
    public static TrackerConfig from(ReadableConfig c) {
        return new TrackerConfig(c.get(TrackingOptions.HIGH_SCORE), c.get(TrackingOptions.LOW_SCORE),
                c.get(TrackingOptions.NEW_TRACK_SCORE), c.get(TrackingOptions.FIRST_MAX_COST),
                c.get(TrackingOptions.SECOND_MAX_COST), c.get(TrackingOptions.TENTATIVE_MAX_COST),
                c.get(TrackingOptions.FUSE_SCORE), c.get(TrackingOptions.MIN_HITS),
                c.get(TrackingOptions.MAX_LOST_FRAMES), c.get(TrackingOptions.MAX_LOST_MS),
                c.get(TrackingOptions.PER_CLASS), c.get(TrackingOptions.UPDATE_INTERVAL_FRAMES),
                c.get(TrackingOptions.PATH_MAX_POINTS), c.get(TrackingOptions.REORDER_MAX_FRAMES),
                c.get(TrackingOptions.REORDER_MAX_WAIT_MS));
    }

    /** A copy with another {@link #minHits()}. */
    public TrackerConfig withMinHits(int v) {
        return new TrackerConfig(highScore, lowScore, newTrackScore, firstMaxCost, secondMaxCost, tentativeMaxCost,
                fuseScore, v, maxLostFrames, maxLostMs, perClass, updateIntervalFrames, pathMaxPoints,
                reorderMaxFrames, reorderMaxWaitMs);
    }

    /** A copy with another {@link #maxLostFrames()}. */
    public TrackerConfig withMaxLostFrames(int v) {
        return new TrackerConfig(highScore, lowScore, newTrackScore, firstMaxCost, secondMaxCost, tentativeMaxCost,
                fuseScore, minHits, v, maxLostMs, perClass, updateIntervalFrames, pathMaxPoints, reorderMaxFrames,
                reorderMaxWaitMs);
    }

    /** A copy with another {@link #updateIntervalFrames()}. */
    public TrackerConfig withUpdateIntervalFrames(int v) {
        return new TrackerConfig(highScore, lowScore, newTrackScore, firstMaxCost, secondMaxCost, tentativeMaxCost,
                fuseScore, minHits, maxLostFrames, maxLostMs, perClass, v, pathMaxPoints, reorderMaxFrames,
                reorderMaxWaitMs);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("tracking option out of range: " + what);
        }
    }
}

package io.flinkvision.tracking;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Options of {@link ObjectTracker} as Flink {@link ConfigOption}s ({@code tracking.*}: Flink configuration or
 * {@code -D} on the job's command line). Defaults are ByteTrack's (Zhang et al., "ByteTrack: Multi-Object Tracking by
 * Associating Every Detection Box", ECCV 2022; {@code yolox/tracker/byte_tracker.py} and its demo arguments) unless
 * said otherwise; {@link TrackerConfig#DEFAULTS} is the one source of them.
 *
 * <p>Association costs are {@code 1 - IoU} between a track's Kalman-predicted box and a detection's box; with
 * {@link #FUSE_SCORE} the first and tentative stages use {@code 1 - IoU * score} (ByteTrack's {@code fuse_score}). A
 * pair is matched only if its cost is at most the stage's max cost.
 */
@PublicEvolving
public final class TrackingOptions {
    private TrackingOptions() {}

    private static final TrackerConfig D = TrackerConfig.DEFAULTS;

    public static final ConfigOption<Float> HIGH_SCORE = ConfigOptions.key("tracking.high-score").floatType()
            .defaultValue(D.highScore())
            .withDescription("Detections with score >= this are high-score (first association, may start tracks);"
                    + " ByteTrack's track_thresh.");
    public static final ConfigOption<Float> LOW_SCORE = ConfigOptions.key("tracking.low-score").floatType()
            .defaultValue(D.lowScore())
            .withDescription("Detections with score in [low, high) only continue tracks (second association); lower"
                    + " ones are ignored. Detections below inference.score-threshold (0.3) never reach the tracker.");
    public static final ConfigOption<Float> NEW_TRACK_SCORE = ConfigOptions.key("tracking.new-track-score")
            .floatType().defaultValue(D.newTrackScore())
            .withDescription("Least score of an unmatched detection that starts a track (ByteTrack: track_thresh+0.1).");
    public static final ConfigOption<Float> FIRST_MAX_COST = ConfigOptions.key("tracking.first.max-cost")
            .floatType().defaultValue(D.firstMaxCost())
            .withDescription("Max cost of the first association, tracked+lost tracks vs high-score detections"
                    + " (ByteTrack match_thresh).");
    public static final ConfigOption<Float> SECOND_MAX_COST = ConfigOptions.key("tracking.second.max-cost")
            .floatType().defaultValue(D.secondMaxCost())
            .withDescription("Max cost (1 - IoU) of the second association, still tracked tracks vs low-score"
                    + " detections.");
    public static final ConfigOption<Float> TENTATIVE_MAX_COST = ConfigOptions.key("tracking.tentative.max-cost")
            .floatType().defaultValue(D.tentativeMaxCost())
            .withDescription("Max cost of the association of tentative (unconfirmed) tracks vs the remaining"
                    + " high-score detections.");
    public static final ConfigOption<Boolean> FUSE_SCORE = ConfigOptions.key("tracking.fuse-score").booleanType()
            .defaultValue(D.fuseScore())
            .withDescription("Cost 1 - IoU*score instead of 1 - IoU in the first and tentative associations.");
    public static final ConfigOption<Integer> MIN_HITS = ConfigOptions.key("tracking.min-hits").intType()
            .defaultValue(D.minHits())
            .withDescription("Matched frames in a row a new track needs to be confirmed (get an id and a 'started'"
                    + " event); a tentative track that misses a frame is dropped. ByteTrack: 2.");
    public static final ConfigOption<Integer> MAX_LOST_FRAMES = ConfigOptions.key("tracking.max-lost-frames")
            .intType().defaultValue(D.maxLostFrames())
            .withDescription("A lost track ends when it has not been matched for more than this many frames (frame"
                    + " index difference); ByteTrack track_buffer 30.");
    public static final ConfigOption<Long> MAX_LOST_MS = ConfigOptions.key("tracking.max-lost-ms").longType()
            .defaultValue(D.maxLostMs())
            .withDescription("A lost track also ends when its last match is more than this many ms of capture time"
                    + " old; 0 = off (not in ByteTrack).");
    public static final ConfigOption<Boolean> PER_CLASS = ConfigOptions.key("tracking.per-class").booleanType()
            .defaultValue(D.perClass())
            .withDescription("Match tracks only with detections of their own class (ByteTrack is class-agnostic).");
    public static final ConfigOption<Integer> UPDATE_INTERVAL_FRAMES = ConfigOptions
            .key("tracking.update-interval-frames").intType().defaultValue(D.updateIntervalFrames())
            .withDescription("A confirmed track emits an 'updated' event every this many frames; 0 = none.");
    public static final ConfigOption<Integer> PATH_MAX_POINTS = ConfigOptions.key("tracking.path-max-points")
            .intType().defaultValue(D.pathMaxPoints())
            .withDescription("Most points of a track's path summary (box centers, evenly thinned as it grows).");
    public static final ConfigOption<Integer> REORDER_MAX_FRAMES = ConfigOptions.key("tracking.reorder.max-frames")
            .intType().defaultValue(D.reorderMaxFrames())
            .withDescription("Most frames of one camera held back waiting for a missing frame index; beyond it the"
                    + " oldest is tracked and the gap skipped.");
    public static final ConfigOption<Long> REORDER_MAX_WAIT_MS = ConfigOptions.key("tracking.reorder.max-wait-ms")
            .longType().defaultValue(D.reorderMaxWaitMs())
            .withDescription("Longest a frame is held back (processing time, ms) waiting for a missing frame index,"
                    + " unless the watermark passes it first.");
}

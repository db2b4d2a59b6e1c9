package io.flinkvision.tracking;

import io.flinkvision.detection.FrameDetections;
import io.flinkvision.tracking.analytics.AnalyticsConfig;
import io.flinkvision.tracking.analytics.AnalyticsWindow;
import io.flinkvision.tracking.analytics.LineZoneAnalytics;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The library entry for users' own jobs: adds tracking and analytics to a stream of detection records.
 * <pre>
 * SingleOutputStreamOperator&lt;FrameDetections&gt; tracked = Tracking.track(detections, TrackerConfig.DEFAULTS);
 * DataStream&lt;TrackEvent&gt; events = tracked.getSideOutput(ObjectTracker.TRACK_EVENTS);
 * DataStream&lt;AnalyticsWindow&gt; counts = Tracking.analytics(tracked, AnalyticsConfig.load(path));
 * </pre>
 * The input needs event-time timestamps and watermarks from the capture times (as the job's Kafka source gives).
 */
@PublicEvolving
public final class Tracking {
    private Tracking() {}

    /**
     * Keys the records by camera id and tracks them ({@link ObjectTracker}, uid {@code object-tracker}).
     *
     * @return the records with track ids, in frame order per camera; track events on
     *     {@link ObjectTracker#TRACK_EVENTS}
     */
    public static SingleOutputStreamOperator<FrameDetections> track(DataStream<FrameDetections> detections,
            TrackerConfig config) {
        return detections.keyBy(FrameDetections::getCameraId).process(new ObjectTracker(config))
                .name("object tracker").uid("object-tracker");
    }

    /**
     * Line and zone counts of tracked records ({@link LineZoneAnalytics}, uid {@code line-zone-analytics}).
     *
     * @param tracked the output of {@link #track}
     * @return one record per camera with lines or zones per window
     */
    public static SingleOutputStreamOperator<AnalyticsWindow> analytics(DataStream<FrameDetections> tracked,
            AnalyticsConfig config) {
        return tracked.keyBy(FrameDetections::getCameraId).process(new LineZoneAnalytics(config))
                .name("line/zone analytics").uid("line-zone-analytics");
    }
}

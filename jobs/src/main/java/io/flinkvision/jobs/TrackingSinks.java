package io.flinkvision.jobs;

import io.flinkvision.detection.FrameDetections;
import io.flinkvision.jobs.kafka.RecommitCheckingKafkaSink;
import io.flinkvision.tracking.ObjectTracker;
import io.flinkvision.tracking.TrackEventSerializationSchema;
import io.flinkvision.tracking.TrackerConfig;
import io.flinkvision.tracking.Tracking;
import io.flinkvision.tracking.analytics.AnalyticsConfig;
import io.flinkvision.tracking.analytics.AnalyticsWindowSerializationSchema;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The tracking part of {@link VideoInferenceJob} ({@code job --tracking [--analytics-config FILE]}): detection records
 * -> {@link ObjectTracker} (keyed by camera) -> track events to the tracks topic and, with an analytics config, line
 * and zone counts per window to the analytics topic; both sinks EXACTLY_ONCE like the detections sink.
 */
final class TrackingSinks {
    private TrackingSinks() {}

    /**
     * @return the tracked detection records (for the detections sink)
     * @throws IllegalArgumentException for a bad {@code tracking.*} option or analytics config (message names it)
     */
    static DataStream<FrameDetections> add(DataStream<FrameDetections> detections, JobSettings s, Properties kafka,
            Properties admin) {
        TrackerConfig config = TrackerConfig.from(s.inference());
        SingleOutputStreamOperator<FrameDetections> tracked = Tracking.track(detections, config);
        tracked.getSideOutput(ObjectTracker.TRACK_EVENTS)
                .sinkTo(RecommitCheckingKafkaSink.wrap(sink(s, kafka, "-tracks",
                        new TrackEventSerializationSchema(s.tracksTopic())), admin))
                .name("tracks: " + s.tracksTopic()).uid("tracks-sink");
        if (s.analyticsConfig() != null) {
            Tracking.analytics(tracked, analyticsConfig(s))
                    .sinkTo(RecommitCheckingKafkaSink.wrap(sink(s, kafka, "-analytics",
                            new AnalyticsWindowSerializationSchema(s.analyticsTopic())), admin))
                    .name("analytics: " + s.analyticsTopic()).uid("analytics-sink");
        }
        return tracked;
    }

    /**
     * Reads and checks {@link JobSettings#analyticsConfig()} (also the job's start-up check).
     *
     * @throws IllegalArgumentException naming the file and what is wrong
     */
    static AnalyticsConfig analyticsConfig(JobSettings s) {
        try {
            return AnalyticsConfig.load(Path.of(s.analyticsConfig()));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--analytics-config " + s.analyticsConfig() + ": " + e.getMessage(), e);
        }
    }

    private static <T> KafkaSink<T> sink(JobSettings s, Properties kafka, String idSuffix,
            KafkaRecordSerializationSchema<T> schema) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(s.bootstrapServers())
                .setKafkaProducerConfig(kafka)
                .setRecordSerializer(schema)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(s.transactionalIdPrefix() + idSuffix)
                .setProperty("transaction.timeout.ms", Long.toString(VideoInferenceJob.TRANSACTION_TIMEOUT_MS))
                .build();
    }
}

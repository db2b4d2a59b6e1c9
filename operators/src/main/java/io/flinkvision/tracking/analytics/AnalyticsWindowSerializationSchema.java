package io.flinkvision.tracking.analytics;

import io.flinkvision.detection.DetectionJson;
import java.nio.charset.StandardCharsets;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Kafka sink serializer of {@link AnalyticsWindow}s (the {@code analytics} topic): key = camera id (UTF-8), value =
 * JSON, record timestamp = the window's start (ms).
 */
@PublicEvolving
public class AnalyticsWindowSerializationSchema implements KafkaRecordSerializationSchema<AnalyticsWindow> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    /** @param topic the analytics topic */
    public AnalyticsWindowSerializationSchema(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(AnalyticsWindow w, KafkaSinkContext context, Long timestamp) {
        byte[] key = w.getCameraId() == null ? null : w.getCameraId().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, w.getWindowStartMs(), key, DetectionJson.toBytes(w));
    }
}

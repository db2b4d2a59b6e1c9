package io.flinkvision.tracking;

import io.flinkvision.detection.DetectionJson;
import java.nio.charset.StandardCharsets;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Kafka sink serializer of {@link TrackEvent}s (the {@code tracks} topic): key = camera id (UTF-8, so one camera's
 * events stay in one partition, in order), value = JSON (README, "Track records"), record timestamp = the event's
 * capture time (ms).
 */
@PublicEvolving
public class TrackEventSerializationSchema implements KafkaRecordSerializationSchema<TrackEvent> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    /** @param topic the tracks topic */
    public TrackEventSerializationSchema(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(TrackEvent e, KafkaSinkContext context, Long timestamp) {
        byte[] key = e.getCameraId() == null ? null : e.getCameraId().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, e.getTimestampMs(), key, DetectionJson.toBytes(e));
    }
}

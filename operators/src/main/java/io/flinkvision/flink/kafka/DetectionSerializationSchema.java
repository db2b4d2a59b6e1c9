package io.flinkvision.flink.kafka;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;

import java.nio.charset.StandardCharsets;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Kafka sink serializer of detection records: key = camera id (UTF-8), value = JSON ({@link DetectionJson}), record
 * timestamp = the frame's capture timestamp (ms), so consumers can join with the frames topic and keep event time.
 */
@PublicEvolving
public class DetectionSerializationSchema implements KafkaRecordSerializationSchema<FrameDetections> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    /** @param topic the detections topic */
    public DetectionSerializationSchema(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(FrameDetections d, KafkaSinkContext context, Long timestamp) {
        byte[] key = d.getCameraId() == null ? null : d.getCameraId().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, d.getCaptureTimestampMs(), key, DetectionJson.toBytes(d));
    }
}

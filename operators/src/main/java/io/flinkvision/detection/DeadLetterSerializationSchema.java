package io.flinkvision.detection;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Kafka sink serializer of dead letters, in the Kafka Connect DLQ style: the record carries the <b>original</b> key,
 * value and headers unchanged, plus headers {@code dlq.reason} (a {@code DeadLetterReason} code), {@code dlq.message}
 * (human-readable detail), {@code dlq.source.topic}, {@code dlq.source.partition}, {@code dlq.source.offset} and
 * {@code dlq.timestamp} (ms since epoch when it was dead-lettered). Replaying a dead letter is sending its key, value
 * and original headers back to the frames topic.
 */
public class DeadLetterSerializationSchema implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;

    /** Header holding the reason code. */
    public static final String REASON_HEADER = "dlq.reason";
    /** Header holding the detail message. */
    public static final String MESSAGE_HEADER = "dlq.message";

    private final String topic;

    /** @param topic the dead-letter topic */
    public DeadLetterSerializationSchema(String topic) {
        this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter dl, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        if (dl.getOriginalHeaders() != null) {
            for (Map.Entry<String, String> h : dl.getOriginalHeaders().entrySet()) {
                headers.add(h.getKey(), h.getValue() == null ? null : utf8(h.getValue()));
            }
        }
        headers.add(REASON_HEADER, utf8(dl.getReason()));
        headers.add(MESSAGE_HEADER, utf8(dl.getMessage() == null ? "" : dl.getMessage()));
        if (dl.getSourceTopic() != null) {
            headers.add("dlq.source.topic", utf8(dl.getSourceTopic()));
            headers.add("dlq.source.partition", utf8(Integer.toString(dl.getSourcePartition())));
            headers.add("dlq.source.offset", utf8(Long.toString(dl.getSourceOffset())));
        }
        headers.add("dlq.timestamp", utf8(Long.toString(System.currentTimeMillis())));
        Long ts = dl.getCaptureTimestampMs() > 0 ? dl.getCaptureTimestampMs() : null;
        return new ProducerRecord<>(topic, null, ts, dl.getOriginalKey(), dl.getOriginalValue(), headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

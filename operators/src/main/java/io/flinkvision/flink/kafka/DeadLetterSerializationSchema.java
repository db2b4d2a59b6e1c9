package io.flinkvision.flink.kafka;

import io.flinkvision.detection.DeadLetter;
import io.flinkvision.frame.DeadLetterReason;

import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.frame.FrameHeader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;

/**
 * Kafka sink serializer of dead letters, in the Kafka Connect DLQ style, bounded in size by construction.
 *
 * <p><b>Whole dead letter</b> (the usual case): the record carries the <b>original</b> key, value and headers
 * unchanged (headers byte for byte, in record order, duplicates and null values included), followed by the headers
 * {@code dlq.reason} (a {@code DeadLetterReason} code), {@code dlq.message} (human-readable detail, UTF-8, at most
 * {@code inference.dead-letter.max-message-bytes}, a longer one cut at a character boundary and ending in
 * {@code ...}), {@code dlq.source.topic}, {@code dlq.source.partition}, {@code dlq.source.offset} and
 * {@code dlq.timestamp} (ms since epoch when it was dead-lettered). Replaying it is sending its key, value and
 * original headers back to the frames topic.
 *
 * <p><b>Truncated dead letter</b>: when the original headers total more than
 * {@code inference.dead-letter.max-headers-bytes} (keys in UTF-8 + values), or the whole record would be larger than
 * {@code inference.dead-letter.max-record-bytes} by Kafka's own producer estimate
 * ({@link AbstractRecords#estimateSizeInBytesUpperBound}: key + value + headers + record and batch overhead, the
 * figure the producer checks against {@code max.request.size}), the record keeps only the {@code dlq.*} headers above
 * plus {@code dlq.truncated=true}, {@code dlq.original.value.bytes}, {@code dlq.original.headers.bytes} and
 * {@code dlq.original.headers.count}; the original headers, unchanged and first, when they total at most
 * {@code max-headers-bytes} (so an oversized frame's dead letter still names its camera and frame index), else none;
 * the original key when it is at most {@code max-headers-bytes} (else none and {@code dlq.original.key.bytes}); and
 * the longest prefix of the original value that keeps the record within {@code max-record-bytes}. No input record can therefore make the dead-letter sink
 * exceed its {@code max.request.size} (set to {@code max-record-bytes} by {@code VideoInferenceJob}); the dead-letter
 * topic's {@code max.message.bytes} must be at least {@code max-record-bytes} for the broker to accept every one.
 */
@PublicEvolving
public class DeadLetterSerializationSchema implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;

    /** Header holding the reason code. */
    public static final String REASON_HEADER = "dlq.reason";
    /** Header holding the detail message. */
    public static final String MESSAGE_HEADER = "dlq.message";
    /** Header {@code true} on a truncated dead letter (absent otherwise). */
    public static final String TRUNCATED_HEADER = "dlq.truncated";
    /** Header with the original value's size in bytes, on a truncated dead letter. */
    public static final String ORIGINAL_VALUE_BYTES_HEADER = "dlq.original.value.bytes";
    /** Header with the original headers' total size (keys in UTF-8 + values, bytes), on a truncated dead letter. */
    public static final String ORIGINAL_HEADERS_BYTES_HEADER = "dlq.original.headers.bytes";
    /** Header with the number of original headers, on a truncated dead letter. */
    public static final String ORIGINAL_HEADERS_COUNT_HEADER = "dlq.original.headers.count";
    /** Header with the original key's size in bytes, on a truncated dead letter whose key was dropped. */
    public static final String ORIGINAL_KEY_BYTES_HEADER = "dlq.original.key.bytes";

    /** Room kept in every record for the dlq.* headers other than the message, and the record's own overhead. */
    static final int RESERVED_BYTES = 4096;
    private static final int MAX_REASON_BYTES = 256;

    private final String topic;
    private final int maxRecordBytes;
    private final int maxHeadersBytes;
    private final int maxMessageBytes;

    /** @param topic the dead-letter topic; the limits are the {@code inference.dead-letter.*} defaults */
    public DeadLetterSerializationSchema(String topic) {
        this(topic, new Configuration());
    }

    /**
     * @param topic the dead-letter topic
     * @param options read for {@link InferenceOptions#DEAD_LETTER_MAX_RECORD_BYTES},
     *     {@link InferenceOptions#DEAD_LETTER_MAX_HEADERS_BYTES} and {@link InferenceOptions#DEAD_LETTER_MAX_MESSAGE_BYTES}
     * @throws IllegalArgumentException if max-record-bytes is less than max-headers-bytes + max-message-bytes + 4096,
     *     or a limit is not positive
     */
    public DeadLetterSerializationSchema(String topic, ReadableConfig options) {
        this.topic = topic;
        this.maxRecordBytes = options.get(InferenceOptions.DEAD_LETTER_MAX_RECORD_BYTES);
        this.maxHeadersBytes = options.get(InferenceOptions.DEAD_LETTER_MAX_HEADERS_BYTES);
        this.maxMessageBytes = options.get(InferenceOptions.DEAD_LETTER_MAX_MESSAGE_BYTES);
        if (maxHeadersBytes < 0 || maxMessageBytes < 16) {
            throw new IllegalArgumentException(InferenceOptions.DEAD_LETTER_MAX_HEADERS_BYTES.key() + " must be >= 0 and "
                    + InferenceOptions.DEAD_LETTER_MAX_MESSAGE_BYTES.key() + " >= 16, got " + maxHeadersBytes + " and "
                    + maxMessageBytes);
        }
        long least = (long) maxHeadersBytes + maxMessageBytes + RESERVED_BYTES;
        if (maxRecordBytes < least) {
            throw new IllegalArgumentException(InferenceOptions.DEAD_LETTER_MAX_RECORD_BYTES.key() + " must be at least "
                    + InferenceOptions.DEAD_LETTER_MAX_HEADERS_BYTES.key() + " + "
                    + InferenceOptions.DEAD_LETTER_MAX_MESSAGE_BYTES.key() + " + " + RESERVED_BYTES + " = " + least
                    + ", got " + maxRecordBytes);
        }
    }

    /** The largest record this schema produces, bytes by Kafka's producer estimate (the sink's max.request.size). */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter dl, KafkaSinkContext context, Long timestamp) {
        Long ts = dl.getCaptureTimestampMs() > 0 ? dl.getCaptureTimestampMs() : null;
        FrameHeader[] original = dl.getOriginalHeaders() == null ? new FrameHeader[0] : dl.getOriginalHeaders();
        byte[] key = dl.getOriginalKey();
        byte[] value = dl.getOriginalValue();
        long originalHeadersBytes = headerBytes(original);
        boolean keepHeaders = originalHeadersBytes <= maxHeadersBytes;
        RecordHeaders headers = new RecordHeaders();
        if (keepHeaders) {
            for (FrameHeader h : original) {
                if (h != null) {
                    headers.add(h.getKey(), h.getValue());
                }
            }
        }
        addDeadLetterHeaders(headers, dl);
        if (keepHeaders && estimate(key, value, headers) <= maxRecordBytes) {
            return new ProducerRecord<>(topic, null, ts, key, value, headers);
        }
        headers.add(TRUNCATED_HEADER, utf8("true"));
        headers.add(ORIGINAL_VALUE_BYTES_HEADER, utf8(Integer.toString(value == null ? 0 : value.length)));
        headers.add(ORIGINAL_HEADERS_BYTES_HEADER, utf8(Long.toString(originalHeadersBytes)));
        headers.add(ORIGINAL_HEADERS_COUNT_HEADER, utf8(Integer.toString(original.length)));
        if (key != null && key.length > maxHeadersBytes) {
            headers.add(ORIGINAL_KEY_BYTES_HEADER, utf8(Integer.toString(key.length)));
            key = null;
        }
        byte[] prefix = value == null ? null : new byte[0];
        if (value != null) {
            // the estimate grows by the prefix length plus at most 10 bytes of varints (value and record length)
            int room = maxRecordBytes - estimate(key, prefix, headers) - 10;
            prefix = Arrays.copyOf(value, Math.max(0, Math.min(value.length, room)));
        }
        int size = estimate(key, prefix, headers);
        if (size > maxRecordBytes) { // unreachable by the constructor's bounds; refuse rather than fail the sink
            throw new IllegalStateException("truncated dead letter is " + size + " bytes, over " + maxRecordBytes);
        }
        return new ProducerRecord<>(topic, null, ts, key, prefix, headers);
    }

    private void addDeadLetterHeaders(RecordHeaders headers, DeadLetter dl) {
        headers.add(REASON_HEADER, truncateUtf8(dl.getReason() == null ? "" : dl.getReason(), MAX_REASON_BYTES));
        headers.add(MESSAGE_HEADER, truncateUtf8(dl.getMessage() == null ? "" : dl.getMessage(), maxMessageBytes));
        if (dl.getSourceTopic() != null) {
            headers.add("dlq.source.topic", utf8(dl.getSourceTopic()));
            headers.add("dlq.source.partition", utf8(Integer.toString(dl.getSourcePartition())));
            headers.add("dlq.source.offset", utf8(Long.toString(dl.getSourceOffset())));
        }
        headers.add("dlq.timestamp", utf8(Long.toString(System.currentTimeMillis())));
    }

    /** Kafka's producer-side upper bound of the record's size in a batch of its own (what max.request.size limits). */
    static int estimate(byte[] key, byte[] value, RecordHeaders headers) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
                key, value, headers.toArray());
    }

    /** Total of keys (UTF-8) and values of headers, bytes. */
    static long headerBytes(FrameHeader[] headers) {
        long n = 0;
        for (FrameHeader h : headers) {
            if (h != null) {
                n += (h.getKey() == null ? 0 : utf8(h.getKey()).length) + (h.getValue() == null ? 0 : h.getValue().length);
            }
        }
        return n;
    }

    /** UTF-8 of {@code s}, cut to at most {@code max} bytes at a character boundary and ending in "..." if cut. */
    static byte[] truncateUtf8(String s, int max) {
        byte[] b = utf8(s);
        if (b.length <= max) {
            return b;
        }
        int end = max - 3;
        while (end > 0 && (b[end] & 0xC0) == 0x80) { // do not split a multi-byte character
            end--;
        }
        byte[] out = Arrays.copyOf(b, end + 3);
        out[end] = '.';
        out[end + 1] = '.';
        out[end + 2] = '.';
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

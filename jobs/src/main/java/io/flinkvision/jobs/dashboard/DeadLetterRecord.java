package io.flinkvision.jobs.dashboard;

import io.flinkvision.flink.kafka.DeadLetterSerializationSchema;
import io.flinkvision.frame.FrameHeaders;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * What the dashboard keeps of one record of the dead-letter topic (written by {@link DeadLetterSerializationSchema}):
 * the camera (the original record key), the frame index (the original {@code frame-index} header, when it was kept
 * and parses), the reason and message ({@code dlq.reason}, {@code dlq.message}), the frame's source coordinates
 * ({@code dlq.source.topic/partition/offset}) and when it was dead-lettered ({@code dlq.timestamp}, else the record
 * timestamp). The frame bytes are not kept.
 *
 * @param cameraId the original key as UTF-8, or null when the frame had no key
 * @param frameIndex the original {@code frame-index} header, or null (absent, dropped on truncation or not a number)
 * @param reason the {@code DeadLetterReason} code; {@value #UNKNOWN_REASON} when the header is missing or empty
 * @param message the detail message, at most {@value #MAX_MESSAGE_CHARS} characters (longer ones end in "...")
 * @param sourceTopic the frames topic the frame was read from, or null
 * @param sourcePartition its partition, -1 when unknown
 * @param sourceOffset its offset, -1 when unknown
 * @param deadLetteredAtMs ms since the epoch
 * @param truncated whether the dead letter was truncated ({@code dlq.truncated=true})
 */
record DeadLetterRecord(String cameraId, Long frameIndex, String reason, String message, String sourceTopic,
        int sourcePartition, long sourceOffset, long deadLetteredAtMs, boolean truncated) {
    /** Reason shown for a record of the dead-letter topic without a {@code dlq.reason} header. */
    static final String UNKNOWN_REASON = "unknown";
    /** Messages are cut to this many characters for the page. */
    static final int MAX_MESSAGE_CHARS = 300;

    /** Parses a record of the dead-letter topic; never throws (unparseable headers become null / -1). */
    static DeadLetterRecord fromRecord(ConsumerRecord<byte[], byte[]> r) {
        String reason = header(r, DeadLetterSerializationSchema.REASON_HEADER);
        String message = header(r, DeadLetterSerializationSchema.MESSAGE_HEADER);
        if (message != null && message.length() > MAX_MESSAGE_CHARS) {
            message = message.substring(0, MAX_MESSAGE_CHARS - 3) + "...";
        }
        Long index = parseLong(header(r, FrameHeaders.FRAME_INDEX));
        Long partition = parseLong(header(r, "dlq.source.partition"));
        Long offset = parseLong(header(r, "dlq.source.offset"));
        Long at = parseLong(header(r, "dlq.timestamp"));
        return new DeadLetterRecord(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8), index,
                reason == null || reason.isBlank() ? UNKNOWN_REASON : reason, message == null ? "" : message,
                header(r, "dlq.source.topic"), partition == null ? -1 : partition.intValue(),
                offset == null ? -1 : offset, at != null ? at : r.timestamp(),
                "true".equals(header(r, DeadLetterSerializationSchema.TRUNCATED_HEADER)));
    }

    /** The last header of that key as UTF-8, or null. */
    private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static Long parseLong(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}

package io.flinkvision.frame;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Converts between Kafka records and {@link Frame}s following the frame contract (README, "Frames on Kafka"):
 * key = camera id, value = encoded image, headers {@link FrameHeaders}, record timestamp = capture time.
 *
 * <p>{@link #fromRecord} never throws: a record that breaks the contract becomes a frame marked invalid with a
 * {@link DeadLetterReason}, so that it is accounted for as a dead letter.
 */
@PublicEvolving
public final class FrameSerde {
    private FrameSerde() {}

    /**
     * Builds the Kafka record for a frame.
     *
     * @param topic the frames topic
     * @param frame a frame with camera id, index, capture timestamp, encoding and payload set
     * @return a record keyed by camera id with the frame headers and timestamp = capture time (ms)
     */
    public static ProducerRecord<byte[], byte[]> toRecord(String topic, Frame frame) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(FrameHeaders.FRAME_INDEX, utf8(Long.toString(frame.getFrameIndex())));
        headers.add(FrameHeaders.CAPTURE_TIMESTAMP, utf8(Long.toString(frame.getCaptureTimestampMs())));
        headers.add(FrameHeaders.ENCODING, utf8(frame.getEncoding()));
        if (frame.getWidth() > 0) {
            headers.add(FrameHeaders.WIDTH, utf8(Integer.toString(frame.getWidth())));
        }
        if (frame.getHeight() > 0) {
            headers.add(FrameHeaders.HEIGHT, utf8(Integer.toString(frame.getHeight())));
        }
        byte[] key = frame.getCameraId() == null ? null : utf8(frame.getCameraId());
        return new ProducerRecord<>(topic, null, frame.getCaptureTimestampMs(), key, frame.getPayload(), headers);
    }

    /**
     * Parses a Kafka record into a frame. Missing or malformed headers and unknown encodings mark the frame invalid
     * (see {@link Frame#getInvalidReason()}); payload content is not inspected here.
     */
    public static Frame fromRecord(ConsumerRecord<byte[], byte[]> record) {
        Frame frame = new Frame();
        frame.setSourceTopic(record.topic());
        frame.setSourcePartition(record.partition());
        frame.setSourceOffset(record.offset());
        frame.setKey(record.key());
        frame.setPayload(record.value());
        frame.setCameraId(record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8));
        frame.setCaptureTimestampMs(record.timestamp());
        List<FrameHeader> received = new ArrayList<>();
        for (Header h : record.headers()) {
            received.add(new FrameHeader(h.key(), h.value()));
        }
        frame.setHeaders(received.toArray(new FrameHeader[0]));
        if (record.key() == null || record.key().length == 0) {
            return frame.markInvalid(DeadLetterReason.MISSING_HEADER.code(), "record key (camera id) is missing");
        }
        try {
            String index = frame.lastHeaderValue(FrameHeaders.FRAME_INDEX);
            if (index == null) {
                return frame.markInvalid(DeadLetterReason.MISSING_HEADER.code(),
                        "header '" + FrameHeaders.FRAME_INDEX + "' is missing");
            }
            frame.setFrameIndex(parseLong(FrameHeaders.FRAME_INDEX, index, 0));
            String ts = frame.lastHeaderValue(FrameHeaders.CAPTURE_TIMESTAMP);
            if (ts != null) {
                frame.setCaptureTimestampMs(parseLong(FrameHeaders.CAPTURE_TIMESTAMP, ts, 0));
            }
            String w = frame.lastHeaderValue(FrameHeaders.WIDTH);
            String h = frame.lastHeaderValue(FrameHeaders.HEIGHT);
            if (w != null) {
                frame.setWidth((int) parseLong(FrameHeaders.WIDTH, w, 1));
            }
            if (h != null) {
                frame.setHeight((int) parseLong(FrameHeaders.HEIGHT, h, 1));
            }
        } catch (IllegalArgumentException e) {
            return frame.markInvalid(DeadLetterReason.MALFORMED_HEADER.code(), e.getMessage());
        }
        String encoding = frame.lastHeaderValue(FrameHeaders.ENCODING);
        frame.setEncoding(encoding);
        if (encoding == null) {
            return frame.markInvalid(DeadLetterReason.MISSING_HEADER.code(),
                    "header '" + FrameHeaders.ENCODING + "' is missing");
        }
        if (FrameEncoding.fromWireName(encoding).isEmpty()) {
            return frame.markInvalid(DeadLetterReason.UNKNOWN_ENCODING.code(),
                    "unknown encoding '" + quoted(encoding) + "' (expected jpeg, png or raw-bgr)");
        }
        return frame;
    }

    private static long parseLong(String header, String value, long min) {
        long v;
        try {
            v = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("header '" + header + "' is not a number: '" + quoted(value) + "'");
        }
        if (v < min || (header.equals(FrameHeaders.WIDTH) || header.equals(FrameHeaders.HEIGHT)) && v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("header '" + header + "' is out of range: " + v);
        }
        return v;
    }

    /** A header value as quoted in a reason message: at most {@value #QUOTED_CHARS} chars, so the message stays small. */
    private static String quoted(String value) {
        return value.length() <= QUOTED_CHARS ? value
                : value.substring(0, QUOTED_CHARS) + "... (" + value.length() + " chars)";
    }

    private static final int QUOTED_CHARS = 64;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

package io.flinkvision.flink.kafka;

import io.flinkvision.detection.DeadLetter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.pipeline.OutcomeFactory;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameSerde;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

/** Dead letters from real consumer records through {@link FrameSerde} and {@link OutcomeFactory#deadLetter}. */
class DeadLetterSerializationSchemaTest {
    private static final int MIB = 1024 * 1024;

    @Test
    void copiesTheOriginalHeadersByteForByteInOrderWithDuplicatesAndNulls() {
        RecordHeaders in = new RecordHeaders();
        in.add("encoding", utf8("jpeg"));
        in.add("trace", new byte[] {(byte) 0xFF, (byte) 0xFE, 0, (byte) 0xC3}); // not UTF-8
        in.add("frame-index", utf8("oops"));
        in.add("trace", new byte[] {1, 2, 3});
        in.add("empty", null);
        in.add("encoding", utf8("jpeg"));
        byte[] value = {9, 8, 7};
        ProducerRecord<byte[], byte[]> out = serialize(new Configuration(), record(utf8("cam-1"), value, in));

        List<Header> copied = new ArrayList<>();
        for (Header h : out.headers()) {
            if (!h.key().startsWith("dlq.")) {
                copied.add(h);
            }
        }
        assertThat(copied).containsExactlyElementsOf(in); // RecordHeader equality: key and value bytes
        assertThat(out.headers().lastHeader("dlq.truncated")).isNull();
        assertThat(out.value()).isEqualTo(value);
        assertThat(out.key()).isEqualTo(utf8("cam-1"));
        assertThat(header(out, "dlq.reason")).isEqualTo("malformed-header");
        assertThat(header(out, "dlq.source.offset")).isEqualTo("9");
    }

    @Test
    void aFifteenMibFrameWithAOneMegabyteMalformedHeaderBecomesABoundedTruncatedDeadLetter() {
        byte[] value = new byte[15 * MIB];
        Arrays.fill(value, (byte) 0x5A);
        RecordHeaders in = new RecordHeaders();
        byte[] huge = new byte[1_000_000];
        Arrays.fill(huge, (byte) '7');
        huge[500_000] = 'x'; // not a number
        in.add("frame-index", huge);
        in.add("encoding", utf8("jpeg"));
        Configuration defaults = new Configuration();
        ProducerRecord<byte[], byte[]> out = serialize(defaults, record(utf8("cam-poison"), value, in));

        int size = AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE,
                CompressionType.NONE, out.key(), out.value(), out.headers().toArray());
        assertThat(size).isLessThanOrEqualTo(defaults.get(InferenceOptions.DEAD_LETTER_MAX_RECORD_BYTES));
        assertThat(header(out, "dlq.truncated")).isEqualTo("true");
        assertThat(header(out, "dlq.reason")).isEqualTo("malformed-header");
        assertThat(header(out, "dlq.source.topic")).isEqualTo("frames");
        assertThat(header(out, "dlq.source.partition")).isEqualTo("3");
        assertThat(header(out, "dlq.source.offset")).isEqualTo("9");
        assertThat(header(out, "dlq.original.value.bytes")).isEqualTo(Integer.toString(15 * MIB));
        assertThat(header(out, "dlq.original.headers.bytes")).isEqualTo(Long.toString(
                "frame-index".length() + 1_000_000 + "encoding".length() + 4));
        assertThat(header(out, "dlq.original.headers.count")).isEqualTo("2");
        assertThat(out.headers().lastHeader("frame-index")).as("original headers dropped").isNull();
        assertThat(out.headers().lastHeader("dlq.message").value().length)
                .isLessThanOrEqualTo(defaults.get(InferenceOptions.DEAD_LETTER_MAX_MESSAGE_BYTES));
        assertThat(out.key()).isEqualTo(utf8("cam-poison"));
        assertThat(out.value().length).isGreaterThan(MIB / 2).isLessThan(MIB);
        assertThat(out.value()).isEqualTo(Arrays.copyOf(value, out.value().length)); // a prefix
    }

    @Test
    void aValueOverTheRecordLimitIsCutEvenWithSmallHeadersWhichAreKept() {
        Configuration c = new Configuration();
        c.set(InferenceOptions.DEAD_LETTER_MAX_RECORD_BYTES, 100_000);
        c.set(InferenceOptions.DEAD_LETTER_MAX_HEADERS_BYTES, 1000);
        c.set(InferenceOptions.DEAD_LETTER_MAX_MESSAGE_BYTES, 500);
        byte[] key = new byte[5000]; // over max-headers-bytes: dropped, its size reported
        RecordHeaders in = new RecordHeaders();
        in.add("frame-index", utf8("1"));
        in.add("encoding", utf8("gif"));
        ProducerRecord<byte[], byte[]> out = serialize(c, record(key, new byte[200_000], in));
        assertThat(DeadLetterSerializationSchema.estimate(out.key(), out.value(), (RecordHeaders) out.headers()))
                .isLessThanOrEqualTo(100_000).isGreaterThan(99_000);
        assertThat(header(out, "dlq.truncated")).isEqualTo("true");
        assertThat(header(out, "dlq.reason")).isEqualTo("unknown-encoding");
        assertThat(out.key()).isNull();
        assertThat(header(out, "dlq.original.key.bytes")).isEqualTo("5000");
        assertThat(header(out, "frame-index")).as("headers within max-headers-bytes are kept").isEqualTo("1");
        assertThat(header(out, "encoding")).isEqualTo("gif");
        assertThat(out.headers().toArray()[0].key()).as("original headers first").isEqualTo("frame-index");
    }

    @Test
    void theMessageIsCutAtACharacterBoundary() {
        byte[] cut = DeadLetterSerializationSchema.truncateUtf8("aé".repeat(100), 20);
        assertThat(cut.length).isLessThanOrEqualTo(20);
        String s = new String(cut, StandardCharsets.UTF_8);
        assertThat(s).endsWith("...").doesNotContain("\uFFFD");
        assertThat(DeadLetterSerializationSchema.truncateUtf8("short", 20)).isEqualTo(utf8("short"));
    }

    @Test
    void refusesLimitsThatCannotHoldTheDeadLetterHeaders() {
        Configuration c = new Configuration();
        c.set(InferenceOptions.DEAD_LETTER_MAX_RECORD_BYTES, 10_000);
        assertThatThrownBy(() -> new DeadLetterSerializationSchema("dlq", c))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inference.dead-letter.max-record-bytes");
    }

    private static ProducerRecord<byte[], byte[]> serialize(Configuration c, ConsumerRecord<byte[], byte[]> r) {
        Frame f = FrameSerde.fromRecord(r);
        String reason = f.isValid() ? "decode-failed" : f.getInvalidReason();
        DeadLetter dl = OutcomeFactory.deadLetter(f, reason, f.getInvalidMessage()).getDeadLetter();
        return new DeadLetterSerializationSchema("frames-dlq", c).serialize(dl, null, null);
    }

    private static ConsumerRecord<byte[], byte[]> record(byte[] key, byte[] value, RecordHeaders headers) {
        return new ConsumerRecord<>("frames", 3, 9, 5L, org.apache.kafka.common.record.TimestampType.CREATE_TIME, -1,
                -1, key, value, headers, Optional.empty());
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

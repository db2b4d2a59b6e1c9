package io.flinkvision.frame;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class FrameSerdeTest {
    @Test
    void roundTripsThroughAKafkaRecord() {
        Frame f = new Frame("cam-7", 42, 1_700_000_000_123L, FrameEncoding.JPEG, new byte[] {1, 2, 3});
        f.setWidth(768);
        f.setHeight(576);
        ProducerRecord<byte[], byte[]> pr = FrameSerde.toRecord("frames", f);
        assertThat(pr.timestamp()).isEqualTo(1_700_000_000_123L);
        assertThat(new String(pr.key(), StandardCharsets.UTF_8)).isEqualTo("cam-7");
        Frame back = FrameSerde.fromRecord(consumed(pr.key(), pr.value(), (RecordHeaders) pr.headers()));
        assertThat(back.isValid()).isTrue();
        assertThat(back).isEqualTo(f);
        assertThat(back.getSourceOffset()).isEqualTo(9);
        assertThat(back.lastHeaderValue("frame-index")).isEqualTo("42");
        assertThat(back.lastHeaderValue("encoding")).isEqualTo("jpeg");
    }

    @Test
    void brokenContractsBecomeInvalidFramesWithReasons() {
        RecordHeaders none = new RecordHeaders();
        assertThat(FrameSerde.fromRecord(consumed("c".getBytes(), new byte[1], none)).getInvalidReason())
                .isEqualTo("missing-header");
        RecordHeaders badIndex = new RecordHeaders();
        badIndex.add("frame-index", "twelve".getBytes());
        badIndex.add("encoding", "jpeg".getBytes());
        assertThat(FrameSerde.fromRecord(consumed("c".getBytes(), new byte[1], badIndex)).getInvalidReason())
                .isEqualTo("malformed-header");
        RecordHeaders gif = new RecordHeaders();
        gif.add("frame-index", "1".getBytes());
        gif.add("encoding", "gif".getBytes());
        Frame g = FrameSerde.fromRecord(consumed("c".getBytes(), new byte[1], gif));
        assertThat(g.getInvalidReason()).isEqualTo("unknown-encoding");
        assertThat(g.getFrameIndex()).isEqualTo(1);
        RecordHeaders ok = new RecordHeaders();
        ok.add("frame-index", "1".getBytes());
        ok.add("encoding", "jpeg".getBytes());
        assertThat(FrameSerde.fromRecord(consumed(null, new byte[1], ok)).getInvalidReason())
                .isEqualTo("missing-header");
    }

    @Test
    void keepsHeadersAsReceivedThroughFlinksPojoSerializer() throws Exception {
        RecordHeaders h = new RecordHeaders();
        h.add("encoding", "jpeg".getBytes());
        h.add("frame-index", "1".getBytes());
        h.add("x", new byte[] {(byte) 0xFF, 0});
        h.add("x", null);
        h.add("frame-index", "2".getBytes());
        Frame f = FrameSerde.fromRecord(consumed("c".getBytes(), new byte[] {1}, h));
        assertThat(f.getFrameIndex()).as("the last of repeated headers wins, as Headers.lastHeader").isEqualTo(2);

        TypeInformation<Frame> type = TypeInformation.of(Frame.class);
        assertThat(type).isInstanceOf(PojoTypeInfo.class);
        TypeSerializer<Frame> serializer = type.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(f, out);
        Frame back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        List<FrameHeader> expected = new ArrayList<>();
        h.forEach(x -> expected.add(new FrameHeader(x.key(), x.value())));
        assertThat(back.getHeaders()).containsExactlyElementsOf(expected);
    }

    private static ConsumerRecord<byte[], byte[]> consumed(byte[] key, byte[] value, RecordHeaders headers) {
        return new ConsumerRecord<>("frames", 0, 9, 5L, TimestampType.CREATE_TIME, -1, -1, key, value, headers,
                Optional.empty());
    }
}

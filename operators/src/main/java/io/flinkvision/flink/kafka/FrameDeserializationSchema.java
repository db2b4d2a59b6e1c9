package io.flinkvision.flink.kafka;

import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameSerde;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Kafka source deserializer: each record becomes exactly one {@link Frame} (invalid records included, marked with a
 * reason) so that frames in = detection records + dead letters holds.
 */
@PublicEvolving
public class FrameDeserializationSchema implements KafkaRecordDeserializationSchema<Frame> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Frame> out) {
        out.collect(FrameSerde.fromRecord(record));
    }

    @Override
    public TypeInformation<Frame> getProducedType() {
        return TypeInformation.of(Frame.class);
    }
}

package io.flinkvision.jobs.kafka;

import java.io.IOException;
import java.util.Collection;
import java.util.Objects;
import java.util.Properties;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaWriterState;
import org.apache.flink.connector.kafka.sink.TwoPhaseCommittingStatefulSink;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;

/**
 * An EXACTLY_ONCE {@link KafkaSink} whose committer first checks, for transactions restored from a checkpoint,
 * whether the broker already committed them ({@link RecommitCheckingCommitter}). Writer, state, serializers,
 * co-location and lineage are the wrapped sink's, unchanged; so are checkpoints and savepoints (same operator uid and
 * state layout), so the wrapper can be added to or removed from a job without losing state.
 *
 * <pre>{@code
 * stream.sinkTo(RecommitCheckingKafkaSink.wrap(KafkaSink.<T>builder()...build(), adminProperties))
 * }</pre>
 *
 * @param <IN> the records the sink writes
 */
public final class RecommitCheckingKafkaSink<IN> implements
        TwoPhaseCommittingStatefulSink<IN, KafkaWriterState, KafkaCommittable>,
        SupportsPostCommitTopology<KafkaCommittable>, LineageVertexProvider {
    private static final long serialVersionUID = 1L;

    private final KafkaSink<IN> sink;
    private final Properties adminProperties;

    private RecommitCheckingKafkaSink(KafkaSink<IN> sink, Properties adminProperties) {
        this.sink = sink;
        this.adminProperties = adminProperties;
    }

    /**
     * Wraps an EXACTLY_ONCE Kafka sink (any other delivery guarantee has nothing to re-commit; wrapping it is
     * harmless).
     *
     * @param sink the connector's sink
     * @param adminProperties client settings to reach the sink's cluster: {@code bootstrap.servers} and the same
     *     security settings as the sink (copied)
     * @return the wrapping sink
     * @throws IllegalArgumentException when {@code bootstrap.servers} is missing
     */
    public static <IN> RecommitCheckingKafkaSink<IN> wrap(KafkaSink<IN> sink, Properties adminProperties) {
        Objects.requireNonNull(sink, "sink");
        if (adminProperties.getProperty("bootstrap.servers") == null) {
            throw new IllegalArgumentException("adminProperties must set bootstrap.servers");
        }
        Properties copy = new Properties();
        copy.putAll(adminProperties);
        return new RecommitCheckingKafkaSink<>(sink, copy);
    }

    /**
     * The wrapped connector sink.
     *
     * @return the sink given to {@link #wrap}
     */
    public KafkaSink<IN> kafkaSink() {
        return sink;
    }

    /**
     * The settings of the admin client the committer asks the coordinator with.
     *
     * @return a copy of the properties given to {@link #wrap}
     */
    public Properties adminProperties() {
        Properties copy = new Properties();
        copy.putAll(adminProperties);
        return copy;
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> createWriter(
            WriterInitContext context) throws IOException {
        return sink.createWriter(context);
    }

    @Override
    public PrecommittingStatefulSinkWriter<IN, KafkaWriterState, KafkaCommittable> restoreWriter(
            WriterInitContext context, Collection<KafkaWriterState> recoveredState) throws IOException {
        return sink.restoreWriter(context, recoveredState);
    }

    @Override
    public SimpleVersionedSerializer<KafkaWriterState> getWriterStateSerializer() {
        return sink.getWriterStateSerializer();
    }

    @Override
    public Committer<KafkaCommittable> createCommitter(CommitterInitContext context) throws IOException {
        return new RecommitCheckingCommitter(sink.createCommitter(context), adminProperties, context.metricGroup());
    }

    @Override
    public SimpleVersionedSerializer<KafkaCommittable> getCommittableSerializer() {
        return sink.getCommittableSerializer();
    }

    @Override
    public void addPostCommitTopology(DataStream<CommittableMessage<KafkaCommittable>> committables) {
        sink.addPostCommitTopology(committables);
    }

    @Override
    public LineageVertex getLineageVertex() {
        return sink.getLineageVertex();
    }
}

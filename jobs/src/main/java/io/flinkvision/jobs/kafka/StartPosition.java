package io.flinkvision.jobs.kafka;

import io.flinkvision.jobs.JobSettings;
import java.io.Serializable;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;

/**
 * Where the job's frames source starts ({@code job --start-from}):
 * <ul>
 *   <li>{@code earliest}: the first offset of every partition;</li>
 *   <li>{@code latest}: the end of every partition when the job starts;</li>
 *   <li>{@code committed} (the default; also {@code committed_or_earliest}): the consumer group's committed offsets,
 *       the first offset where the group has none;</li>
 *   <li>{@code timestamp:T}: in every partition the first record whose timestamp (the frame's capture time, see
 *       {@code FrameSerde}) is {@code >= T}, the end where none is; T in ms since the epoch or ISO-8601 with a zone
 *       ({@code 2026-12-07T10:00:00Z}, {@code 2026-12-07T11:00:00+01:00});</li>
 *   <li>{@code offsets:P:O,P:O,...}: offset O of partition P; partitions not listed start at their first offset.</li>
 * </ul>
 * Timestamps use Kafka's time index ({@code offsetsForTimes}); with capture times that go back within a partition the
 * first record at or after T in offset order is where reading starts.
 *
 * @param kind the kind of position
 * @param timestampMs for {@link Kind#TIMESTAMP}: ms since the epoch; else 0
 * @param offsets for {@link Kind#OFFSETS}: offset per partition number; else empty
 */
public record StartPosition(Kind kind, long timestampMs, Map<Integer, Long> offsets) implements Serializable {

    /** Kinds of position. */
    public enum Kind { EARLIEST, LATEST, COMMITTED, TIMESTAMP, OFFSETS }

    /** The default: committed offsets, else the earliest. */
    public static final StartPosition COMMITTED = new StartPosition(Kind.COMMITTED, 0, Map.of());

    public StartPosition {
        Objects.requireNonNull(kind, "kind");
        offsets = Map.copyOf(offsets);
    }

    /**
     * Parses a {@code --start-from} value (case-insensitive kinds).
     *
     * @throws IllegalArgumentException naming {@code --start-from} and the accepted forms
     */
    public static StartPosition parse(String s) {
        String v = s.trim();
        String lower = v.toLowerCase(Locale.ROOT);
        switch (lower) {
            case "earliest":
                return new StartPosition(Kind.EARLIEST, 0, Map.of());
            case "latest":
                return new StartPosition(Kind.LATEST, 0, Map.of());
            case "committed":
            case "committed_or_earliest":
                return COMMITTED;
            default:
                break;
        }
        if (lower.startsWith("timestamp:")) {
            return new StartPosition(Kind.TIMESTAMP, Positions.timestamp("--start-from", v.substring(10)), Map.of());
        }
        if (lower.startsWith("offsets:")) {
            return new StartPosition(Kind.OFFSETS, 0, Positions.offsets("--start-from", v.substring(8)));
        }
        throw new IllegalArgumentException("--start-from '" + s + "': expected earliest, latest, committed,"
                + " timestamp:<epoch-ms or ISO-8601> or offsets:<partition>:<offset>,...");
    }

    /** The position of the older {@link JobSettings.StartFrom} setting. */
    public static StartPosition of(JobSettings.StartFrom from) {
        switch (from) {
            case EARLIEST:
                return parse("earliest");
            case LATEST:
                return parse("latest");
            default:
                return COMMITTED;
        }
    }

    /** The Flink Kafka source's starting offsets for {@code topic}. */
    public OffsetsInitializer initializer(String topic) {
        switch (kind) {
            case EARLIEST:
                return OffsetsInitializer.earliest();
            case LATEST:
                return OffsetsInitializer.latest();
            case TIMESTAMP:
                return OffsetsInitializer.timestamp(timestampMs);
            case OFFSETS:
                return new ListedOffsets(Positions.partitions(topic, offsets), false);
            default:
                return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        }
    }

    @Override
    public String toString() {
        return Positions.describe(kind.name(), timestampMs, offsets);
    }

    /**
     * Listed offsets for the listed partitions; the others at their first offset (a start) or at their end when the
     * job starts (a stop). Unlike {@code OffsetsInitializer.offsets}, never the group's committed offsets: a replay
     * range must not depend on what a consumer group did.
     */
    static final class ListedOffsets implements OffsetsInitializer {
        private static final long serialVersionUID = 1L;
        private final HashMap<TopicPartition, Long> offsets;
        private final boolean othersAtEnd;

        ListedOffsets(Map<TopicPartition, Long> offsets, boolean othersAtEnd) {
            this.offsets = new HashMap<>(offsets);
            this.othersAtEnd = othersAtEnd;
        }

        @Override
        public Map<TopicPartition, Long> getPartitionOffsets(Collection<TopicPartition> partitions,
                PartitionOffsetsRetriever retriever) {
            Map<TopicPartition, Long> result = new HashMap<>();
            java.util.List<TopicPartition> others = new java.util.ArrayList<>();
            for (TopicPartition tp : partitions) {
                Long o = offsets.get(tp);
                if (o != null) {
                    result.put(tp, o);
                } else {
                    others.add(tp);
                }
            }
            if (!others.isEmpty()) {
                result.putAll(othersAtEnd ? retriever.endOffsets(others) : retriever.beginningOffsets(others));
            }
            return result;
        }

        @Override
        public OffsetResetStrategy getAutoOffsetResetStrategy() {
            return othersAtEnd ? OffsetResetStrategy.LATEST : OffsetResetStrategy.EARLIEST;
        }
    }
}

package io.flinkvision.jobs.kafka;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

/**
 * Where a bounded run of the job's frames source stops ({@code job --stop-at}); the record at the stop position is not
 * read, so {@code --start-from timestamp:T1 --stop-at timestamp:T2} re-scores the frames captured in {@code [T1, T2)}:
 * <ul>
 *   <li>{@code latest}: the end of every partition when the job starts (as {@code --bounded});</li>
 *   <li>{@code timestamp:T}: in every partition the first record whose timestamp is {@code >= T}, or its end when the
 *       job starts where none is; T as for {@link StartPosition};</li>
 *   <li>{@code offsets:P:O,P:O,...}: offset O of partition P; partitions not listed stop at their end when the job
 *       starts.</li>
 * </ul>
 *
 * @param kind the kind of position ({@link StartPosition.Kind#LATEST}, {@code TIMESTAMP} or {@code OFFSETS})
 * @param timestampMs for a timestamp: ms since the epoch; else 0
 * @param offsets for offsets: offset per partition number; else empty
 */
public record StopPosition(StartPosition.Kind kind, long timestampMs, Map<Integer, Long> offsets)
        implements Serializable {

    /** The end of every partition when the job starts. */
    public static final StopPosition LATEST = new StopPosition(StartPosition.Kind.LATEST, 0, Map.of());

    /** @throws IllegalArgumentException for a kind a stop cannot be (earliest, committed) */
    public StopPosition {
        Objects.requireNonNull(kind, "kind");
        if (kind == StartPosition.Kind.EARLIEST || kind == StartPosition.Kind.COMMITTED) {
            throw new IllegalArgumentException("--stop-at cannot be " + kind.name().toLowerCase(Locale.ROOT));
        }
        offsets = Map.copyOf(offsets);
    }

    /**
     * Parses a {@code --stop-at} value.
     *
     * @throws IllegalArgumentException naming {@code --stop-at} and the accepted forms
     */
    public static StopPosition parse(String s) {
        String v = s.trim();
        String lower = v.toLowerCase(Locale.ROOT);
        if (lower.equals("latest")) {
            return LATEST;
        }
        if (lower.startsWith("timestamp:")) {
            return new StopPosition(StartPosition.Kind.TIMESTAMP, Positions.timestamp("--stop-at", v.substring(10)),
                    Map.of());
        }
        if (lower.startsWith("offsets:")) {
            return new StopPosition(StartPosition.Kind.OFFSETS, 0, Positions.offsets("--stop-at", v.substring(8)));
        }
        throw new IllegalArgumentException("--stop-at '" + s + "': expected latest, timestamp:<epoch-ms or"
                + " ISO-8601> or offsets:<partition>:<offset>,...");
    }

    /**
     * Checks that this stop comes after {@code start} where both are comparable (two timestamps, or offsets of the
     * same partition).
     *
     * @throws IllegalArgumentException if the range is empty or reversed
     */
    public void checkAfter(StartPosition start) {
        if (kind == StartPosition.Kind.TIMESTAMP && start.kind() == StartPosition.Kind.TIMESTAMP
                && timestampMs <= start.timestampMs()) {
            throw new IllegalArgumentException("--stop-at " + this + " is not after --start-from " + start);
        }
        if (kind == StartPosition.Kind.OFFSETS && start.kind() == StartPosition.Kind.OFFSETS) {
            for (Map.Entry<Integer, Long> e : offsets.entrySet()) {
                Long from = start.offsets().get(e.getKey());
                if (from != null && e.getValue() < from) {
                    throw new IllegalArgumentException("--stop-at offset " + e.getValue() + " of partition "
                            + e.getKey() + " is before --start-from offset " + from);
                }
            }
        }
    }

    /** The Flink Kafka source's stopping offsets for {@code topic} ({@code KafkaSourceBuilder.setBounded}). */
    public OffsetsInitializer initializer(String topic) {
        switch (kind) {
            case TIMESTAMP:
                return OffsetsInitializer.timestamp(timestampMs);
            case OFFSETS:
                return new StartPosition.ListedOffsets(Positions.partitions(topic, offsets), true);
            default:
                return OffsetsInitializer.latest();
        }
    }

    @Override
    public String toString() {
        return Positions.describe(kind.name(), timestampMs, offsets);
    }
}

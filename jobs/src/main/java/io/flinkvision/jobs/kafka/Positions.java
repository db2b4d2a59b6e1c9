package io.flinkvision.jobs.kafka;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;

/** Parsing shared by {@link StartPosition} and {@link StopPosition}. */
final class Positions {
    private Positions() {}

    /** ms since the epoch from digits or an ISO-8601 date-time with a zone; throws naming the option. */
    static long timestamp(String option, String v) {
        String t = v.trim();
        if (t.matches("\\d+")) {
            return Long.parseLong(t);
        }
        try {
            return Instant.parse(t).toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(t).toInstant().toEpochMilli();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(option + " timestamp '" + v + "': expected ms since the epoch or"
                        + " ISO-8601 with a zone, e.g. 2026-12-07T10:00:00Z or 2026-12-07T11:00:00+01:00");
            }
        }
    }

    /** {@code P:O,P:O} to a partition -> offset map; throws naming the option. */
    static Map<Integer, Long> offsets(String option, String v) {
        Map<Integer, Long> m = new TreeMap<>();
        for (String part : v.split(",")) {
            String[] po = part.trim().split(":");
            try {
                if (po.length != 2) {
                    throw new NumberFormatException();
                }
                int p = Integer.parseInt(po[0].trim());
                long o = Long.parseLong(po[1].trim());
                if (p < 0 || o < 0) {
                    throw new NumberFormatException();
                }
                if (m.put(p, o) != null) {
                    throw new IllegalArgumentException(option + " names partition " + p + " twice");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " offsets '" + part + "': expected"
                        + " <partition>:<offset> with both >= 0, e.g. offsets:0:1200,1:980");
            }
        }
        return m;
    }

    static Map<TopicPartition, Long> partitions(String topic, Map<Integer, Long> offsets) {
        Map<TopicPartition, Long> m = new LinkedHashMap<>();
        offsets.forEach((p, o) -> m.put(new TopicPartition(topic, p), o));
        return m;
    }

    static String describe(String kind, long timestampMs, Map<Integer, Long> offsets) {
        String k = kind.toLowerCase(Locale.ROOT);
        if (kind.equals("TIMESTAMP")) {
            return k + ":" + timestampMs + " (" + Instant.ofEpochMilli(timestampMs) + ")";
        }
        if (kind.equals("OFFSETS")) {
            return k + ":" + new TreeMap<>(offsets).entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                    .collect(Collectors.joining(","));
        }
        return k;
    }
}

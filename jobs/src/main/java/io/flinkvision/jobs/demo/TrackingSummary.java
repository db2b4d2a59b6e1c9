package io.flinkvision.jobs.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.DetectionJson;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code demo --tracking}: reads the committed track events and analytics windows ({@code read_committed}, from the
 * beginning) and sums them up in one line: tracks started/ended, and per line the crossings by direction, per zone
 * entries and the longest dwell, over the windows committed so far (a window is committed once the watermark passes
 * its end and the next checkpoint completes).
 */
final class TrackingSummary {
    private TrackingSummary() {}

    /** The summary line; polls until neither topic gave a record for 3 s. */
    static String read(String bootstrapServers, String tracksTopic, String analyticsTopic) throws IOException {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-tracking-summary");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        long started = 0;
        long ended = 0;
        long windows = 0;
        Map<String, long[]> lines = new TreeMap<>();
        Map<String, long[]> zones = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(tracksTopic, analyticsTopic));
            long idleUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < idleUntil) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    idleUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                    JsonNode n = DetectionJson.mapper().readTree(r.value());
                    if (r.topic().equals(tracksTopic)) {
                        String type = n.path("type").asText();
                        started += type.equals("started") ? 1 : 0;
                        ended += type.equals("ended") ? 1 : 0;
                        continue;
                    }
                    windows++;
                    for (JsonNode l : n.path("lines")) {
                        long[] v = lines.computeIfAbsent(l.path("id").asText(), k -> new long[2]);
                        v[0] += l.path("leftToRight").asLong();
                        v[1] += l.path("rightToLeft").asLong();
                    }
                    for (JsonNode z : n.path("zones")) {
                        long[] v = zones.computeIfAbsent(z.path("id").asText(), k -> new long[2]);
                        v[0] += z.path("entered").asLong();
                        v[1] = Math.max(v[1], z.path("dwellMaxMs").asLong());
                    }
                }
            }
        }
        StringBuilder s = new StringBuilder(String.format("demo: tracks started %d, ended %d; %d analytics windows",
                started, ended, windows));
        lines.forEach((id, v) -> s.append(String.format("; line %s: leftToRight %d, rightToLeft %d", id, v[0], v[1])));
        zones.forEach((id, v) -> s.append(String.format("; zone %s: entered %d, longest dwell %d ms", id, v[0], v[1])));
        return s.toString();
    }
}

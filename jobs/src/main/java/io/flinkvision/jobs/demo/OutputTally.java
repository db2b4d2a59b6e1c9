package io.flinkvision.jobs.demo;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.frame.FrameHeaders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the detections and dead-letter topics as a downstream consumer would ({@code read_committed}) and keeps the
 * figures of the demo report: records, dead letters by reason, detections by label, end-to-end latency (capture
 * timestamp to the moment the committed record is read here, ms), and for throughput the earliest capture timestamp
 * of the records (when the first frame was produced) and when the last record was read.
 */
public final class OutputTally implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutputTally.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String detectionsTopic;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);

    private long detectionRecords;
    private long errorRecords;
    private long deadLetters;
    private long malformed;
    private long detections;
    private long batchSizeSum;
    private long firstCaptureMs = Long.MAX_VALUE;
    private long lastReadMs = -1;
    private final Map<String, Long> byLabel = new TreeMap<>();
    private final Map<String, Long> deadLettersByReason = new TreeMap<>();
    private final List<Long> latencies = new ArrayList<>();
    private String backend;
    private String model;
    private String precision;

    /**
     * Starts consuming both topics from the beginning in a background thread.
     *
     * @param bootstrapServers Kafka bootstrap servers
     * @param detectionsTopic detections topic
     * @param deadLetterTopic dead-letter topic
     * @param clientProperties extra consumer properties (security)
     */
    public OutputTally(String bootstrapServers, String detectionsTopic, String deadLetterTopic,
            Map<String, String> clientProperties) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "demo-tally-" + System.nanoTime());
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(32 * 1024 * 1024));
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.detectionsTopic = detectionsTopic;
        consumer.subscribe(Arrays.asList(detectionsTopic, deadLetterTopic));
        this.thread = new Thread(this::loop, "demo-output-tally");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        try {
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    record(r);
                }
            }
        } catch (RuntimeException e) {
            if (running.get()) {
                LOG.error("output consumer failed", e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private synchronized void record(ConsumerRecord<byte[], byte[]> r) {
        long now = System.currentTimeMillis();
        lastReadMs = now;
        if (!r.topic().equals(detectionsTopic)) {
            deadLetters++;
            var h = r.headers().lastHeader("dlq.reason");
            deadLettersByReason.merge(h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8), 1L, Long::sum);
            captured(captureTimestamp(r));
            return;
        }
        FrameDetections d;
        try {
            d = DetectionJson.parse(r.value());
        } catch (IOException e) {
            malformed++;
            return;
        }
        detectionRecords++;
        if (FrameDetections.STATUS_ERROR.equals(d.getStatus())) {
            errorRecords++;
        }
        backend = d.getBackend();
        model = d.getModel();
        precision = d.getPrecision();
        batchSizeSum += d.getBatchSize();
        detections += d.getDetections().size();
        d.getDetections().forEach(x -> byLabel.merge(x.getLabel(), 1L, Long::sum));
        if (d.getCaptureTimestampMs() > 0) {
            latencies.add(now - d.getCaptureTimestampMs());
            captured(d.getCaptureTimestampMs());
        }
    }

    private void captured(long captureMs) {
        if (captureMs > 0 && captureMs < firstCaptureMs) {
            firstCaptureMs = captureMs;
        }
    }

    /** A dead letter's capture time: its original {@code capture-ts} header, else the record timestamp; ms. */
    private static long captureTimestamp(ConsumerRecord<byte[], byte[]> r) {
        Header h = r.headers().lastHeader(FrameHeaders.CAPTURE_TIMESTAMP);
        if (h != null) {
            try {
                return Long.parseLong(new String(h.value(), StandardCharsets.UTF_8).trim());
            } catch (NumberFormatException e) {
                // a frame with a bad header: fall back to the record timestamp
            }
        }
        return r.timestamp();
    }

    /** Records read so far from both topics. */
    public synchronized long outputs() {
        return detectionRecords + deadLetters + malformed;
    }

    /** A snapshot of the figures. */
    public synchronized Snapshot snapshot() {
        List<Long> sorted = new ArrayList<>(latencies);
        sorted.sort(null);
        double spanS = firstCaptureMs == Long.MAX_VALUE || lastReadMs <= firstCaptureMs ? 0
                : (lastReadMs - firstCaptureMs) / 1000.0;
        return new Snapshot(detectionRecords, errorRecords, deadLetters, malformed, detections,
                new TreeMap<>(byLabel), new TreeMap<>(deadLettersByReason), percentile(sorted, 50),
                percentile(sorted, 99), spanS, detectionRecords == 0 ? 0 : (double) batchSizeSum / detectionRecords,
                backend, model, precision);
    }

    private static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        consumer.wakeup();
        thread.join(5000);
    }

    /**
     * Figures read so far.
     *
     * @param latencyP50Ms median capture-to-read latency, ms (-1 when no record)
     * @param latencyP99Ms 99th percentile, ms
     * @param spanSeconds seconds from the first frame produced (the earliest capture timestamp of the records read)
     *     to the moment the last record was read; 0 before any record
     * @param meanBatchSize mean micro-batch size over detection records
     */
    public record Snapshot(long detectionRecords, long errorRecords, long deadLetters, long malformed,
            long detections, Map<String, Long> detectionsByLabel, Map<String, Long> deadLettersByReason,
            long latencyP50Ms, long latencyP99Ms, double spanSeconds, double meanBatchSize, String backend,
            String model, String precision) {

        /**
         * Committed records (detection records + dead letters) per second of {@link #spanSeconds()}, 0 before any
         * record. Counted from the first frame produced rather than from the first record read, so that the records
         * of one checkpoint's commit, read within milliseconds, are not taken for the rate.
         */
        public double throughputFps() {
            return spanSeconds > 0 ? (detectionRecords + deadLetters) / spanSeconds : 0;
        }
    }
}

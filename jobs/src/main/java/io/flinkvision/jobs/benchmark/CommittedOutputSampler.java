package io.flinkvision.jobs.benchmark;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end benchmark's view of the job's output, as a downstream consumer sees it: a {@code read_committed}
 * consumer of the detections and dead-letter topics, from the beginning, on a thread of its own. It keeps, per output
 * record, the {@link System#nanoTime()} at which it was read (so throughput over any span of outputs is exact, not
 * sampled), the bytes read (key + value + headers), the micro-batch size of each detection record, the distinct
 * {@code camera#frameIndex} keys (duplicates would break exactly-once) and, for frames captured after
 * {@link #measureLatencyFrom}, the capture-to-read latency in ms (capture timestamp from the record: the detection
 * record's {@code captureTimestampMs}, the dead letter's record timestamp).
 */
final class CommittedOutputSampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CommittedOutputSampler.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String detectionsTopic;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);

    private long[] readNanos = new long[1 << 16];
    private long outputs;
    private long detectionRecords;
    private long deadLetters;
    private long malformed;
    private long duplicates;
    private long bytesRead;
    private long batchSizeSum;
    private final Set<String> seen = new HashSet<>();
    private long latencyFromMs = Long.MAX_VALUE;
    private final List<Long> latenciesMs = new ArrayList<>();
    private volatile RuntimeException failure;

    /**
     * Starts consuming both topics from their beginning.
     *
     * @param bootstrapServers Kafka bootstrap servers
     * @param detectionsTopic the job's detections topic
     * @param deadLetterTopic the job's dead-letter topic
     * @param clientProperties extra client properties (security), may be empty
     */
    CommittedOutputSampler(String bootstrapServers, String detectionsTopic, String deadLetterTopic,
            Map<String, String> clientProperties) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "benchmark-e2e-sampler-" + System.nanoTime());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.detectionsTopic = detectionsTopic;
        consumer.subscribe(Arrays.asList(detectionsTopic, deadLetterTopic));
        this.thread = new Thread(this::loop, "benchmark-e2e-sampler");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        try {
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    record(r, System.nanoTime());
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // close() woke the poll
        } catch (RuntimeException e) {
            if (running.get()) {
                failure = e;
                LOG.error("benchmark-e2e: output consumer failed", e);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private synchronized void record(ConsumerRecord<byte[], byte[]> r, long now) {
        if (outputs == readNanos.length) {
            readNanos = Arrays.copyOf(readNanos, readNanos.length * 2);
        }
        readNanos[(int) outputs++] = now;
        bytesRead += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        for (Header h : r.headers()) {
            bytesRead += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        long captureMs;
        String key;
        if (r.topic().equals(detectionsTopic)) {
            FrameDetections d;
            try {
                d = DetectionJson.parse(r.value());
            } catch (IOException e) {
                malformed++;
                return;
            }
            detectionRecords++;
            batchSizeSum += d.getBatchSize();
            captureMs = d.getCaptureTimestampMs();
            key = d.getCameraId() + "#" + d.getFrameIndex();
        } else {
            deadLetters++;
            captureMs = r.timestamp();
            key = "dlq@" + header(r, "dlq.source.partition") + ":" + header(r, "dlq.source.offset");
        }
        if (!seen.add(key)) {
            duplicates++;
        }
        if (captureMs >= latencyFromMs) {
            latenciesMs.add(System.currentTimeMillis() - captureMs);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? "?" : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * From now on, keeps the latency of every output whose frame was captured at or after {@code epochMs}.
     *
     * @param epochMs wall-clock ms since the epoch
     */
    synchronized void measureLatencyFrom(long epochMs) {
        latencyFromMs = epochMs;
        latenciesMs.clear();
    }

    /** Output records read so far (detection records, dead letters and unparseable records). */
    synchronized long outputs() {
        return outputs;
    }

    /**
     * When output number {@code n} (1-based) was read.
     *
     * @return its {@link System#nanoTime()}
     * @throws IllegalArgumentException if fewer than {@code n} outputs have been read
     */
    synchronized long readNanos(long n) {
        if (n < 1 || n > outputs) {
            throw new IllegalArgumentException("output " + n + " not read yet (" + outputs + " read)");
        }
        return readNanos[(int) (n - 1)];
    }

    /** The consumer's failure, if it stopped with one. */
    RuntimeException failure() {
        return failure;
    }

    /** A snapshot of the counts and of the latencies measured since {@link #measureLatencyFrom}. */
    synchronized Snapshot snapshot() {
        long[] lat = latenciesMs.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Snapshot(outputs, detectionRecords, deadLetters, malformed, duplicates, bytesRead,
                detectionRecords == 0 ? 0 : (double) batchSizeSum / detectionRecords, lat);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        consumer.wakeup();
        thread.join(10_000);
    }

    /**
     * Counts read so far.
     *
     * @param outputs all output records
     * @param detectionRecords records of the detections topic
     * @param deadLetters records of the dead-letter topic
     * @param malformed detection records that did not parse
     * @param duplicates outputs whose frame ({@code camera#frameIndex}) or dead-lettered source offset was seen before
     * @param bytesRead key + value + header bytes of all outputs
     * @param meanBatch mean micro-batch size over detection records
     * @param latenciesMs capture-to-read latencies since {@link #measureLatencyFrom}, sorted, ms
     */
    record Snapshot(long outputs, long detectionRecords, long deadLetters, long malformed, long duplicates,
            long bytesRead, double meanBatch, long[] latenciesMs) {
        /** The {@code q}-quantile (0..1) of {@link #latenciesMs} by the nearest-rank method, ms; -1 when empty. */
        long latencyPercentileMs(double q) {
            if (latenciesMs.length == 0) {
                return -1;
            }
            int i = (int) Math.ceil(q * latenciesMs.length) - 1;
            return latenciesMs[Math.max(0, Math.min(latenciesMs.length - 1, i))];
        }
    }
}

package io.flinkvision.jobs.dashboard;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.frame.FrameSerde;
import io.flinkvision.tracking.analytics.AnalyticsWindow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka consumer reading the detections topic, the frames topic and (when given) the dead-letter topic
 * ({@code read_committed}, no consumer group: partitions are assigned manually and nothing is committed, so any number
 * of dashboards can watch). The dead-letter topic is optional: while it does not exist the status stays
 * {@code running} and the page says it is absent. The analytics topic (line/zone counts of {@code job --tracking}) is
 * optional the same way.
 *
 * <p>Partitions present at start begin at the end of the log (or its beginning with {@code fromBeginning}); partitions
 * of a topic that did not exist at start are read from their beginning when they appear (the metadata is refreshed
 * every {@link #REFRESH_MS} ms).
 */
final class DashboardConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DashboardConsumer.class);
    static final long REFRESH_MS = 5_000;
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_LOGGED_MALFORMED = 5;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String detectionsTopic;
    private final String framesTopic;
    /** Null: no dead-letter topic read. */
    private final String deadLetterTopic;
    /** Null: no analytics topic read. */
    private final String analyticsTopic;
    private final boolean fromBeginning;
    private final DashboardState state;
    private final ObjectMapper mapper = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private final Set<TopicPartition> assigned = new HashSet<>();
    /** Topics known to exist, or confirmed absent, at start. */
    private final Set<String> existedAtStart = new HashSet<>();
    private final Set<String> absentAtStart = new HashSet<>();
    private long lastRefreshMs;
    private long malformedLogged;
    private volatile boolean running = true;
    private Thread thread;

    DashboardConsumer(String bootstrapServers, String detectionsTopic, String framesTopic, String deadLetterTopic,
            String analyticsTopic, Map<String, String> userProperties, boolean fromBeginning, DashboardState state) {
        this.detectionsTopic = detectionsTopic;
        this.framesTopic = framesTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.analyticsTopic = analyticsTopic;
        this.fromBeginning = fromBeginning;
        this.state = state;
        this.consumer = new KafkaConsumer<>(consumerProperties(bootstrapServers, userProperties));
    }

    /** The consumer configuration: the user's properties, then the settings the dashboard relies on. */
    static Properties consumerProperties(String bootstrapServers, Map<String, String> userProperties) {
        Properties p = new Properties();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "flinkvision-dashboard");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 * 1024 * 1024));
        p.putAll(userProperties);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // Only committed detection records: an aborted Flink transaction (a failover) must not reach the page.
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /**
     * Assigns the partitions that exist now and resolves their start offsets, so that every record produced after
     * this returns is shown; then starts the polling thread. A broker that cannot be reached is not fatal: the thread
     * keeps retrying and the page says so.
     */
    void start() {
        try {
            refreshAssignment(true);
        } catch (RuntimeException e) {
            LOG.warn("Kafka metadata not available yet ({}); the dashboard keeps retrying", e.toString());
            state.consumerStatus("waiting for Kafka", e.toString());
        }
        thread = new Thread(this::run, "dashboard-kafka-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                long now = System.currentTimeMillis();
                if (now - lastRefreshMs >= REFRESH_MS) {
                    try {
                        refreshAssignment(false);
                    } catch (WakeupException | InterruptException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        LOG.warn("Cannot refresh Kafka metadata: {}", e.toString());
                        state.consumerStatus("waiting for Kafka", e.toString());
                    }
                }
                if (assigned.isEmpty()) {
                    sleep(200);
                    continue;
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                long arrival = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (r.topic().equals(detectionsTopic)) {
                        onDetectionRecord(r, arrival);
                    } else if (r.topic().equals(analyticsTopic)) {
                        onAnalyticsRecord(r, arrival);
                    } else if (r.topic().equals(deadLetterTopic)) {
                        state.onDeadLetter(DeadLetterRecord.fromRecord(r), arrival);
                    } else {
                        state.onFrame(FrameSerde.fromRecord(r), arrival);
                    }
                }
            }
        } catch (WakeupException | InterruptException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("Dashboard consumer stopped", e);
            state.consumerStatus("stopped", e.toString());
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private void onDetectionRecord(ConsumerRecord<byte[], byte[]> r, long arrival) {
        if (r.value() == null) {
            return;
        }
        try {
            state.onDetections(mapper.readValue(r.value(), FrameDetections.class), arrival);
        } catch (Exception e) {
            state.onMalformedDetections();
            if (malformedLogged++ < MAX_LOGGED_MALFORMED) {
                LOG.warn("Skipping a detection record that is not FrameDetections JSON ({}/{}@{}): {}", r.topic(),
                        r.partition(), r.offset(), e.toString());
            }
        }
    }

    private void onAnalyticsRecord(ConsumerRecord<byte[], byte[]> r, long arrival) {
        if (r.value() == null) {
            return;
        }
        try {
            state.onAnalytics(mapper.readValue(r.value(), AnalyticsWindow.class), arrival);
        } catch (Exception e) {
            state.onMalformedAnalytics();
            if (malformedLogged++ < MAX_LOGGED_MALFORMED) {
                LOG.warn("Skipping an analytics record that is not a window of counts ({}/{}@{}): {}", r.topic(),
                        r.partition(), r.offset(), e.toString());
            }
        }
    }

    private void refreshAssignment(boolean atStart) {
        lastRefreshMs = System.currentTimeMillis();
        List<TopicPartition> added = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> topics = new ArrayList<>(List.of(detectionsTopic, framesTopic));
        if (deadLetterTopic != null) {
            topics.add(deadLetterTopic);
        }
        if (analyticsTopic != null) {
            topics.add(analyticsTopic);
        }
        for (String topic : topics) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
            if (topic.equals(deadLetterTopic)) {
                state.deadLetterTopicPresent(infos != null && !infos.isEmpty());
            }
            if (infos == null || infos.isEmpty()) {
                if (!topic.equals(deadLetterTopic) && !topic.equals(analyticsTopic)) {
                    missing.add(topic);
                }
                if (atStart) {
                    absentAtStart.add(topic);
                }
                continue;
            }
            if (atStart) {
                existedAtStart.add(topic);
            }
            for (PartitionInfo info : infos) {
                TopicPartition tp = new TopicPartition(topic, info.partition());
                if (!assigned.contains(tp)) {
                    added.add(tp);
                }
            }
        }
        if (!added.isEmpty()) {
            assigned.addAll(added);
            consumer.assign(new ArrayList<>(assigned));
            List<TopicPartition> toEnd = new ArrayList<>();
            List<TopicPartition> toBeginning = new ArrayList<>();
            for (TopicPartition tp : added) {
                boolean newTopic = absentAtStart.contains(tp.topic()) && !existedAtStart.contains(tp.topic());
                boolean newPartition = !atStart && existedAtStart.contains(tp.topic());
                if (fromBeginning || newTopic || newPartition) {
                    toBeginning.add(tp);
                } else {
                    toEnd.add(tp);
                }
            }
            if (!toEnd.isEmpty()) {
                consumer.seekToEnd(toEnd);
            }
            if (!toBeginning.isEmpty()) {
                consumer.seekToBeginning(toBeginning);
            }
            for (TopicPartition tp : added) {
                consumer.position(tp, METADATA_TIMEOUT); // resolve now: records produced from here on are seen
            }
            LOG.info("Dashboard reads {} (from end: {}, from beginning: {})", added, toEnd, toBeginning);
        }
        state.consumerStatus(missing.isEmpty() ? "running" : "waiting for topic(s) " + String.join(", ", missing),
                null);
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops polling and closes the consumer (waits up to 10 s for the thread). */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }
}

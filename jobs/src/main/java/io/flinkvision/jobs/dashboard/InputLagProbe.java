package io.flinkvision.jobs.dashboard;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The input lag of a consumer group on one topic: the sum over the topic's partitions of log-end offset minus the
 * group's committed offset (Kafka's own definition, as {@code kafka-consumer-groups.sh --describe} prints it). The
 * Flink Kafka source commits its group's offsets when a checkpoint completes, so this lag grows while the job consumes
 * nothing durably (restart loop, failing checkpoints, stopped job) even though no task-level metric is left to say so.
 *
 * <p>A partition without a committed offset counts from its earliest offset (nothing of it is committed yet).
 */
final class InputLagProbe implements AutoCloseable {
    private static final long TIMEOUT_MS = 10_000;

    private final Admin admin;
    private final String topic;
    private final String groupId;

    /**
     * @param bootstrapServers Kafka bootstrap servers
     * @param clientProperties extra client settings (security); bootstrap servers and timeouts are the probe's
     * @param topic the topic the group consumes (the frames topic)
     * @param groupId the job's consumer group id
     */
    InputLagProbe(String bootstrapServers, Map<String, String> clientProperties, String topic, String groupId) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.remove("isolation.level");
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "flinkvision-dashboard-lag");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS);
        this.admin = Admin.create(p);
        this.topic = topic;
        this.groupId = groupId;
    }

    /** The topic probed. */
    String topic() {
        return topic;
    }

    /** The consumer group id probed. */
    String groupId() {
        return groupId;
    }

    /**
     * Measures the lag now.
     *
     * @return records of the topic not yet committed by the group (sum over partitions, never negative)
     * @throws Exception when Kafka does not answer within 10 s or the topic does not exist
     */
    long lagRecords() throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS).get(topic);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        d.partitions().forEach(p -> {
            latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
        });
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                admin.listOffsets(latest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts =
                admin.listOffsets(earliest).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        long lag = 0;
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            long from = c != null ? c.offset() : starts.get(e.getKey()).offset();
            lag += Math.max(0, e.getValue().offset() - from);
        }
        return lag;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}

package io.flinkvision.jobs.compare;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The committed detection records of one topic, read once from the first offset to the end each partition had when
 * reading began ({@code read_committed}: the last stable offset, so aborted and open transactions are never read),
 * keyed by {@code cameraId#frameIndex}.
 *
 * @param topic the topic
 * @param frames the last record of each (camera, frame index), by key
 * @param records records read
 * @param duplicates records whose key was already read (the later one is kept)
 * @param unreadable records that are not detection JSON
 */
record DetectionTopic(String topic, Map<String, FrameDetections> frames, long records, long duplicates,
        List<String> unreadable) {

    /** The join key of a record: {@code cameraId#frameIndex}. */
    static String key(FrameDetections d) {
        return d.getCameraId() + "#" + d.getFrameIndex();
    }

    /**
     * Reads a topic.
     *
     * @param clientProperties Kafka client properties (bootstrap servers, security) for the consumer
     * @param timeout how long reading may take in all
     * @throws IOException if the topic does not exist or cannot be read to its end in time
     */
    static DetectionTopic read(Properties clientProperties, String topic, Duration timeout) throws IOException {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"); // a mistyped topic is an error, not created
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.remove(ConsumerConfig.GROUP_ID_CONFIG); // assign(): no consumer group, no offsets committed
        Map<String, FrameDetections> frames = new TreeMap<>();
        List<String> unreadable = new ArrayList<>();
        long records = 0;
        long duplicates = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<PartitionInfo> infos = c.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IOException("topic '" + topic + "' does not exist");
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition()))
                    .toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions, timeout);
            while (!reachedEnd(c, partitions, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("topic '" + topic + "' not read to its end offsets " + end + " within "
                            + timeout.toSeconds() + " s (" + records + " records read)");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue; // written after reading began
                    }
                    records++;
                    try {
                        FrameDetections d = DetectionJson.parse(r.value());
                        if (frames.put(key(d), d) != null) {
                            duplicates++;
                        }
                    } catch (IOException | RuntimeException e) {
                        unreadable.add(r.partition() + ":" + r.offset());
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new IOException("cannot read topic '" + topic + "': " + e.getMessage(), e);
        }
        return new DetectionTopic(topic, frames, records, duplicates, List.copyOf(unreadable));
    }

    private static boolean reachedEnd(KafkaConsumer<?, ?> c, List<TopicPartition> partitions,
            Map<TopicPartition, Long> end) {
        for (TopicPartition tp : partitions) {
            if (c.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }
}

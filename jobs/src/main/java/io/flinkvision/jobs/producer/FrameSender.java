package io.flinkvision.jobs.producer;

import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameSerde;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Sends encoded frames to Kafka with asynchronous producers: one record per camera for every frame, to the
 * partition chosen by {@link CameraPartitions} (or Kafka's key hash). Camera {@code i} (in {@code cameraIds} order)
 * always uses producer {@code i mod n}, so records of one camera go through one producer to one partition in send
 * order; with {@code enable.idempotence=true} that producer keeps the order across retries. Several producers are
 * several broker connections, whose requests the broker handles in parallel (it handles one connection's requests
 * one at a time). Called from one thread; the broker's answers arrive on the producers' I/O threads and are counted
 * in {@link ProduceStats}.
 */
final class FrameSender implements AutoCloseable {
    private final List<Producer<byte[], byte[]>> producers;
    private final String topic;
    private final String bootstrapServers;
    private final List<String> cameraIds;
    private final int[] partitions;
    private final ProduceStats stats;
    private final AtomicReference<IndexedFailure> firstFailure = new AtomicReference<>();

    /**
     * Opens the producers and, for camera partitioning, reads the topic's partition count.
     *
     * @param cameraSet the camera ids to deal over the partitions, or null for Kafka's key hash
     * @param producerCount Kafka producers to open (at least 1, at most one per camera)
     * @throws VideoToKafka.SendFailedException when the topic's partitions cannot be read
     */
    FrameSender(Properties config, String topic, String bootstrapServers, List<String> cameraIds,
            List<String> cameraSet, ProduceStats stats, int producerCount) {
        this.topic = topic;
        this.bootstrapServers = bootstrapServers;
        this.cameraIds = List.copyOf(cameraIds);
        this.stats = stats;
        int n = Math.max(1, Math.min(producerCount, cameraIds.size()));
        List<Producer<byte[], byte[]>> opened = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Properties own = new Properties();
            own.putAll(config);
            if (n > 1) { // client ids name the producer's metrics: one each
                own.put(ProducerConfig.CLIENT_ID_CONFIG, config.getProperty(ProducerConfig.CLIENT_ID_CONFIG,
                        "video-to-kafka") + "-" + i);
            }
            opened.add(new KafkaProducer<>(own));
        }
        this.producers = List.copyOf(opened);
        Producer<byte[], byte[]> producer = producers.get(0);
        this.partitions = new int[cameraIds.size()];
        if (cameraSet == null) {
            java.util.Arrays.fill(partitions, -1);
        } else {
            int count;
            try {
                count = producer.partitionsFor(topic).size();
            } catch (KafkaException e) {
                producers.forEach(p -> p.close(Duration.ZERO));
                throw new VideoToKafka.SendFailedException("cannot read the partitions of topic '" + topic + "' at "
                        + bootstrapServers + ": " + e + hint(e), topic, bootstrapServers, e);
            }
            CameraPartitions assignment = CameraPartitions.of(cameraSet, count);
            for (int i = 0; i < cameraIds.size(); i++) {
                partitions[i] = assignment.partition(cameraIds.get(i));
            }
        }
    }

    /** The partition of each camera (in {@code cameraIds} order), -1 where Kafka's key hash decides. */
    int[] partitions() {
        return partitions.clone();
    }

    /**
     * Hands one frame to the producer for every camera.
     *
     * @param frameIndex the frame index, the same for all cameras
     * @throws VideoToKafka.SendFailedException when the producer refuses a record, or refused an earlier one
     * @throws org.apache.kafka.common.errors.InterruptException when the calling thread is interrupted while
     *     waiting for buffer memory
     */
    void send(EncodedImage image, long frameIndex) {
        throwIfFailed();
        for (int c = 0; c < cameraIds.size(); c++) {
            String camera = cameraIds.get(c);
            Frame frame = new Frame(camera, frameIndex, image.captureTimestampMs(), image.encoding(), image.bytes());
            frame.setWidth(image.width());
            frame.setHeight(image.height());
            ProducerRecord<byte[], byte[]> keyed = FrameSerde.toRecord(topic, frame);
            ProducerRecord<byte[], byte[]> record = partitions[c] < 0 ? keyed
                    : new ProducerRecord<>(topic, partitions[c], keyed.timestamp(), keyed.key(), keyed.value(),
                            keyed.headers());
            try {
                producers.get(c % producers.size()).send(record, (metadata, e) -> {
                    if (e == null) {
                        stats.recordsAcked.incrementAndGet();
                    } else {
                        stats.recordsFailed.incrementAndGet();
                        firstFailure.compareAndSet(null, new IndexedFailure(camera, frameIndex, e));
                    }
                });
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                throw e;
            } catch (KafkaException e) {
                stats.recordsFailed.incrementAndGet();
                throw failed(camera, frameIndex, e);
            }
            stats.bytesSent.addAndGet(image.bytes().length);
        }
    }

    /**
     * Waits until every record handed over is acknowledged or failed.
     *
     * @throws VideoToKafka.SendFailedException when a record failed
     * @throws org.apache.kafka.common.errors.InterruptException when interrupted meanwhile
     */
    void flush() {
        producers.forEach(Producer::flush);
        throwIfFailed();
    }

    void throwIfFailed() {
        IndexedFailure f = firstFailure.get();
        if (f != null) {
            throw failed(f.camera, f.frameIndex, f.cause);
        }
    }

    private VideoToKafka.SendFailedException failed(String camera, long frameIndex, Exception cause) {
        return new VideoToKafka.SendFailedException("cannot send frame " + frameIndex + " of camera '" + camera
                + "' to topic '" + topic + "' at " + bootstrapServers + ": " + cause + hint(cause), topic,
                bootstrapServers, cause);
    }

    private static String hint(Exception cause) {
        if (cause instanceof RecordTooLargeException) {
            return " (raise the topic's max.message.bytes / the broker's message.max.bytes and the producer's "
                    + "max.request.size, or lower the JPEG quality)";
        } else if (cause instanceof TimeoutException) {
            return " (is the broker reachable from here, does the topic exist, and do the security settings match?)";
        }
        return "";
    }

    /** Producers opened (at most one per camera). */
    int producerCount() {
        return producers.size();
    }

    /**
     * Closes the producers.
     *
     * @param timeout how long to wait for records still in flight, per producer; zero drops them
     */
    void close(Duration timeout) {
        producers.forEach(p -> p.close(timeout));
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }

    private record IndexedFailure(String camera, long frameIndex, Exception cause) {}
}

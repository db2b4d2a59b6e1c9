package io.flinkvision.jobs.producer;

import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameSerde;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * Sends encoded frames to Kafka with the asynchronous producer: one record per camera for every frame, to the
 * partition chosen by {@link CameraPartitions} (or Kafka's key hash). Records of one camera go to one partition in
 * send order; with {@code enable.idempotence=true} the producer keeps that order across retries. Called from one
 * thread; the broker's answers arrive on the producer's I/O thread and are counted in {@link ProduceStats}.
 */
final class FrameSender implements AutoCloseable {
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final String bootstrapServers;
    private final List<String> cameraIds;
    private final int[] partitions;
    private final ProduceStats stats;
    private final AtomicReference<IndexedFailure> firstFailure = new AtomicReference<>();

    /**
     * Opens the producer and, for camera partitioning, reads the topic's partition count.
     *
     * @param cameraSet the camera ids to deal over the partitions, or null for Kafka's key hash
     * @throws VideoToKafka.SendFailedException when the topic's partitions cannot be read
     */
    FrameSender(Properties config, String topic, String bootstrapServers, List<String> cameraIds,
            List<String> cameraSet, ProduceStats stats) {
        this.topic = topic;
        this.bootstrapServers = bootstrapServers;
        this.cameraIds = List.copyOf(cameraIds);
        this.stats = stats;
        this.producer = new KafkaProducer<>(config);
        this.partitions = new int[cameraIds.size()];
        if (cameraSet == null) {
            java.util.Arrays.fill(partitions, -1);
        } else {
            int count;
            try {
                count = producer.partitionsFor(topic).size();
            } catch (KafkaException e) {
                producer.close(Duration.ZERO);
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
                producer.send(record, (metadata, e) -> {
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
        producer.flush();
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

    /**
     * Closes the producer.
     *
     * @param timeout how long to wait for records still in flight; zero drops them
     */
    void close(Duration timeout) {
        producer.close(timeout);
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }

    private record IndexedFailure(String camera, long frameIndex, Exception cause) {}
}

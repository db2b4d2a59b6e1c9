package io.flinkvision.jobs.producer;

import java.util.Locale;

/**
 * What one {@link VideoToKafka} run did.
 *
 * @param framesSent source frames handed to Kafka (each once per camera)
 * @param framesSkipped source frames that could not be decoded or encoded
 * @param recordsAcked Kafka records acknowledged by the broker ({@code framesSent * cameras} on success)
 * @param recordsFailed Kafka records refused or timed out
 * @param bytesSent payload bytes handed to Kafka, all cameras
 * @param reconnects successful reopenings of a dropped live source
 * @param seconds wall-clock run time
 */
public record ProduceSummary(long framesSent, long framesSkipped, long recordsAcked, long recordsFailed,
        long bytesSent, long reconnects, double seconds) {

    /**
     * Kafka records per second.
     *
     * @return {@code (recordsAcked + recordsFailed) / seconds}, 0 for a zero-length run
     */
    public double recordsPerSecond() {
        return seconds > 0 ? (recordsAcked + recordsFailed) / seconds : 0;
    }

    /**
     * Payload throughput.
     *
     * @return megabytes (10^6 bytes) per second
     */
    public double megabytesPerSecond() {
        return seconds > 0 ? bytesSent / 1e6 / seconds : 0;
    }

    /** One line: frames sent/skipped, records acked/failed, reconnects, time, records/s, MB/s. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d frames sent (%d skipped), %d records acked, %d failed, %d reconnects, "
                + "in %.1f s: %.1f frames/s (records), %.1f MB/s", framesSent, framesSkipped, recordsAcked,
                recordsFailed, reconnects, seconds, recordsPerSecond(), megabytesPerSecond());
    }
}

package io.flinkvision.jobs.producer;

import java.util.concurrent.atomic.AtomicLong;

/** Live counters of one producer run, shared by its threads. Frames count source frames, records Kafka records. */
final class ProduceStats {
    /** Frames sent to Kafka (handed to the producer), per camera. */
    final AtomicLong framesSent = new AtomicLong();
    /** Frames read but not sent (undecodable / unencodable). */
    final AtomicLong framesSkipped = new AtomicLong();
    /** Records acknowledged by the broker. */
    final AtomicLong recordsAcked = new AtomicLong();
    /** Records the broker refused or that timed out. */
    final AtomicLong recordsFailed = new AtomicLong();
    /** Payload bytes handed to the producer. */
    final AtomicLong bytesSent = new AtomicLong();
    /** Successful reopenings of a dropped live source. */
    final AtomicLong reconnects = new AtomicLong();
}

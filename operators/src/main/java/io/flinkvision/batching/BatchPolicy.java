package io.flinkvision.batching;

import io.flinkvision.engine.EngineInfo;
import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * When the micro-batcher closes a batch, in the vocabulary of Triton's dynamic batcher: a batch is dispatched as soon
 * as it holds {@code maxBatchSize} items, or when its oldest item has waited {@code maxQueueDelayMs}, whichever comes
 * first. {@code maxInFlightBatches} bounds the batches handed to the engine and not yet completed (Triton: instance
 * count); while that many are in flight, arriving items keep queueing and the next batch leaves fuller.
 *
 * @param maxBatchSize largest batch, >= 1 (Triton {@code max_batch_size})
 * @param maxQueueDelayMs longest time in milliseconds the first item of a batch waits for others, >= 0 (Triton
 *     {@code max_queue_delay_microseconds}, here in ms)
 * @param maxInFlightBatches batches dispatched and not yet completed, >= 1
 */
@PublicEvolving
public record BatchPolicy(int maxBatchSize, double maxQueueDelayMs, int maxInFlightBatches) implements Serializable {

    public BatchPolicy {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("max batch size must be >= 1, got " + maxBatchSize);
        }
        if (!(maxQueueDelayMs >= 0) || maxQueueDelayMs > 60_000) {
            throw new IllegalArgumentException("max queue delay must be in 0..60000 ms, got " + maxQueueDelayMs);
        }
        if (maxInFlightBatches < 1) {
            throw new IllegalArgumentException("max in-flight batches must be >= 1, got " + maxInFlightBatches);
        }
    }

    /**
     * This policy within an engine's limits: the max batch size and the in-flight batches lowered to the engine's
     * ({@link EngineInfo#maxBatchSize()}, {@link EngineInfo#maxInFlight()}) where they are larger; the queue delay
     * is kept. The one place a batch policy meets the engine's max batch.
     *
     * @return this policy when it fits, else the lowered one
     */
    public BatchPolicy fitToEngine(EngineInfo engine) {
        if (maxBatchSize <= engine.maxBatchSize() && maxInFlightBatches <= engine.maxInFlight()) {
            return this;
        }
        return new BatchPolicy(Math.min(maxBatchSize, engine.maxBatchSize()), maxQueueDelayMs,
                Math.min(maxInFlightBatches, engine.maxInFlight()));
    }

    /** Max queue delay in nanoseconds. */
    public long maxQueueDelayNanos() {
        return (long) (maxQueueDelayMs * 1_000_000d);
    }
}

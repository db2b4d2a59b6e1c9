package io.flinkvision.batching;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.Internal;

/**
 * Processes one micro-batch. Called on the batcher's dispatch thread; may block briefly (e.g. waiting for a free
 * execution slot) and should return a future that completes when the batch's results are ready.
 *
 * @param <I> item type
 * @param <O> result type
 */
@Internal
@FunctionalInterface
public interface BatchHandler<I, O> {
    /**
     * @param batch 1..maxBatchSize items in arrival order
     * @return a future of exactly one result per item, in the same order; an exceptional completion (or a thrown
     *     exception) fails every item of this batch and no other
     */
    CompletableFuture<List<O>> handle(List<I> batch) throws Exception;
}

package io.flinkvision.batching;

import org.apache.flink.annotation.Internal;

/**
 * Where a {@link MicroBatcher}'s dispatch thread spent its time, cumulated since the batcher started. Each batch goes
 * through three phases on that one thread, in this order:
 *
 * <ol>
 *   <li><b>permit wait</b>: all {@code maxInFlightBatches} permits are held by batches not yet completed (on the
 *       device or in post-processing): the in-flight bound, not the frames, holds the next batch back;</li>
 *   <li><b>form wait</b>: a permit is held and the batch is waiting for frames (fewer than {@code maxBatchSize} queued
 *       and the oldest younger than {@code maxQueueDelayMs}): the frames' arrival holds it back;</li>
 *   <li><b>handler</b>: the {@link BatchHandler} runs (for the operator: take an execution slot, fill, launch).</li>
 * </ol>
 *
 * The dispatch thread is the single serial stage of the pipeline: when the handler's share of the time is near 1, it is
 * the ceiling. Take two snapshots and {@link #minus} them for an interval.
 *
 * @param batches batches dispatched
 * @param items items dispatched
 * @param permitWaitNanos total time waiting for an in-flight permit, ns
 * @param formWaitNanos total time waiting for a batch to be due, ns
 * @param handlerNanos total time in the batch handler, ns
 * @param backlogItems sum over batches of the items still queued right after the batch was taken (mean backlog =
 *     {@code backlogItems / batches}; above {@code maxBatchSize} the next batch is already waiting)
 */
@Internal
public record DispatchStats(long batches, long items, long permitWaitNanos, long formWaitNanos, long handlerNanos,
        long backlogItems) {

    /** No batches. */
    public static final DispatchStats EMPTY = new DispatchStats(0, 0, 0, 0, 0, 0);

    /** This snapshot less an earlier one: the interval between them. */
    public DispatchStats minus(DispatchStats earlier) {
        return new DispatchStats(batches - earlier.batches, items - earlier.items,
                permitWaitNanos - earlier.permitWaitNanos, formWaitNanos - earlier.formWaitNanos,
                handlerNanos - earlier.handlerNanos, backlogItems - earlier.backlogItems);
    }

    /** Mean permit wait per batch, ms (0 without batches). */
    public double meanPermitWaitMs() {
        return perBatchMs(permitWaitNanos);
    }

    /** Mean form wait per batch, ms. */
    public double meanFormWaitMs() {
        return perBatchMs(formWaitNanos);
    }

    /** Mean handler time per batch, ms. */
    public double meanHandlerMs() {
        return perBatchMs(handlerNanos);
    }

    /** Mean items left queued after a batch was taken. */
    public double meanBacklog() {
        return batches == 0 ? 0 : backlogItems / (double) batches;
    }

    /** Handler time / (permit wait + form wait + handler): how busy the dispatch thread was, 0..1. */
    public double handlerShare() {
        long all = permitWaitNanos + formWaitNanos + handlerNanos;
        return all == 0 ? 0 : handlerNanos / (double) all;
    }

    private double perBatchMs(long nanos) {
        return batches == 0 ? 0 : nanos / 1e6 / batches;
    }
}

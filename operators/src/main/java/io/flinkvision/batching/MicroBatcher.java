package io.flinkvision.batching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns single submissions into micro-batches following a {@link BatchPolicy}: a batch leaves when it is full
 * ({@code maxBatchSize}) or its oldest item has waited {@code maxQueueDelayMs}; at most {@code maxInFlightBatches}
 * batches are handed to the {@link BatchHandler} and not yet completed. Each submission's future completes with its
 * own result when its batch returns, or exceptionally when its batch fails.
 *
 * <p>One dispatch thread per batcher forms the batches and calls the handler; completion happens on whatever thread
 * completes the handler's future. Thread-safe.
 *
 * @param <I> item type
 * @param <O> result type
 */
@Internal
public final class MicroBatcher<I, O> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcher.class);

    private final BatchPolicy policy;
    private final BatchHandler<I, O> handler;
    private final LongSupplier nanoClock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Pending<I, O>> queue = new ArrayDeque<>();
    private final Semaphore inFlight;
    private final AtomicInteger batchesInFlight = new AtomicInteger();
    private final AtomicLong statBatches = new AtomicLong();
    private final AtomicLong statItems = new AtomicLong();
    private final AtomicLong statPermitWait = new AtomicLong();
    private final AtomicLong statFormWait = new AtomicLong();
    private final AtomicLong statHandler = new AtomicLong();
    private final AtomicLong statBacklog = new AtomicLong();
    private final Thread dispatcher;
    private volatile boolean closing;

    /**
     * Starts a batcher and its dispatch thread.
     *
     * @param name thread name suffix, for logs
     * @param policy batching policy
     * @param handler batch handler
     */
    public MicroBatcher(String name, BatchPolicy policy, BatchHandler<I, O> handler) {
        this(name, policy, handler, System::nanoTime);
    }

    /** As {@link #MicroBatcher(String, BatchPolicy, BatchHandler)} with an injectable nanosecond clock (tests). */
    MicroBatcher(String name, BatchPolicy policy, BatchHandler<I, O> handler, LongSupplier nanoClock) {
        this.policy = policy;
        this.handler = handler;
        this.nanoClock = nanoClock;
        this.inFlight = new Semaphore(policy.maxInFlightBatches());
        this.dispatcher = new Thread(this::dispatchLoop, "micro-batcher-" + name);
        this.dispatcher.setDaemon(true);
        this.dispatcher.start();
    }

    public BatchPolicy policy() {
        return policy;
    }

    /** Items waiting for a batch. */
    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Where the dispatch thread's time went since the batcher started (permit wait, form wait, handler). Only the
     * dispatch thread writes the counters; a snapshot taken while it runs may mix two batches' values.
     */
    public DispatchStats stats() {
        return new DispatchStats(statBatches.get(), statItems.get(), statPermitWait.get(), statFormWait.get(),
                statHandler.get(), statBacklog.get());
    }

    /** Batches handed to the handler and not yet completed. */
    public int batchesInFlight() {
        return batchesInFlight.get();
    }

    /**
     * Queues an item.
     *
     * @return a future of the item's result
     * @throws IllegalStateException if the batcher is closed
     */
    public CompletableFuture<O> submit(I item) {
        CompletableFuture<O> f = new CompletableFuture<>();
        lock.lock();
        try {
            if (closing) {
                throw new IllegalStateException("micro-batcher is closed");
            }
            queue.add(new Pending<>(item, f, nanoClock.getAsLong()));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return f;
    }

    private void dispatchLoop() {
        try {
            while (true) {
                // Take the in-flight permit first: while every slot is busy, arrivals keep queueing and the next
                // batch leaves fuller instead of a batch of one waiting for a permit.
                long t0 = nanoClock.getAsLong();
                inFlight.acquire();
                long t1 = nanoClock.getAsLong();
                List<Pending<I, O>> batch = nextBatch();
                if (batch == null) {
                    inFlight.release();
                    return;
                }
                long t2 = nanoClock.getAsLong();
                dispatch(batch);
                long t3 = nanoClock.getAsLong();
                statPermitWait.addAndGet(t1 - t0);
                statFormWait.addAndGet(t2 - t1);
                statHandler.addAndGet(t3 - t2);
                statItems.addAndGet(batch.size());
                statBatches.incrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failQueued(new IllegalStateException("micro-batcher interrupted"));
        }
    }

    /** Waits until a batch is due; returns null when closing and nothing is left. */
    private List<Pending<I, O>> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (queue.isEmpty()) {
                    if (closing) {
                        return null;
                    }
                    changed.await(50, TimeUnit.MILLISECONDS);
                    continue;
                }
                long waited = nanoClock.getAsLong() - queue.peekFirst().enqueuedNanos;
                long remaining = policy.maxQueueDelayNanos() - waited;
                if (queue.size() >= policy.maxBatchSize() || remaining <= 0 || closing) {
                    int n = Math.min(queue.size(), policy.maxBatchSize());
                    List<Pending<I, O>> batch = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        batch.add(queue.pollFirst());
                    }
                    statBacklog.addAndGet(queue.size());
                    return batch;
                }
                changed.awaitNanos(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(50)));
            }
        } finally {
            lock.unlock();
        }
    }

    private void dispatch(List<Pending<I, O>> batch) {
        batchesInFlight.incrementAndGet();
        List<I> items = new ArrayList<>(batch.size());
        for (Pending<I, O> p : batch) {
            items.add(p.item);
        }
        CompletableFuture<List<O>> results;
        try {
            results = handler.handle(items);
            if (results == null) {
                throw new IllegalStateException("batch handler returned no future");
            }
        } catch (Throwable t) {
            results = CompletableFuture.failedFuture(t);
        }
        results.whenComplete((outs, err) -> {
            try {
                if (err == null && (outs == null || outs.size() != batch.size())) {
                    err = new IllegalStateException("batch handler returned " + (outs == null ? "null" : outs.size())
                            + " results for " + batch.size() + " items");
                }
                if (err != null) {
                    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                    LOG.debug("batch of {} failed: {}", batch.size(), cause.toString());
                    for (Pending<I, O> p : batch) {
                        p.future.completeExceptionally(cause);
                    }
                } else {
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).future.complete(outs.get(i));
                    }
                }
            } finally {
                batchesInFlight.decrementAndGet();
                inFlight.release();
            }
        });
    }

    private void failQueued(Throwable t) {
        lock.lock();
        try {
            Pending<I, O> p;
            while ((p = queue.pollFirst()) != null) {
                p.future.completeExceptionally(t);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops accepting items, dispatches what is queued (without waiting for the deadline), and waits up to
     * {@code timeoutMs} for in-flight batches to complete. Items still queued after that fail. Idempotent.
     */
    public void close(long timeoutMs) {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            dispatcher.join(timeoutMs);
            if (dispatcher.isAlive()) {
                dispatcher.interrupt();
                dispatcher.join(1000);
            }
            if (inFlight.tryAcquire(policy.maxInFlightBatches(), Math.max(1, timeoutMs), TimeUnit.MILLISECONDS)) {
                inFlight.release(policy.maxInFlightBatches());
            } else {
                LOG.warn("micro-batcher closed with {} batches still in flight", batchesInFlight.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued(new IllegalStateException("micro-batcher closed"));
    }

    /** {@link #close(long)} with 30 s. */
    @Override
    public void close() {
        close(30_000);
    }

    private static final class Pending<I, O> {
        final I item;
        final CompletableFuture<O> future;
        final long enqueuedNanos;

        Pending(I item, CompletableFuture<O> future, long enqueuedNanos) {
            this.item = item;
            this.future = future;
            this.enqueuedNanos = enqueuedNanos;
        }
    }
}

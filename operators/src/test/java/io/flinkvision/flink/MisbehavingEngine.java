package io.flinkvision.flink;

import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.InputBatch;
import io.flinkvision.engine.OutputBatch;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test engine around the real ONNX Runtime engine that misbehaves on chosen batches (counted from 0 per engine):
 * {@link Mode#STALL} holds the batch for {@code stallMs} before running it (so its frames outlive the async timeout
 * and the real results arrive late), {@link Mode#FAIL} fails the batch with an {@link InferenceException}. Every other
 * batch runs normally. What happened is recorded in static lists (the MiniCluster runs in the test's JVM).
 */
final class MisbehavingEngine implements InferenceEngine {
    enum Mode { STALL, FAIL }

    /** Sizes of the batches that were stalled or failed, in order. */
    static final List<Integer> misbehavedBatchSizes = new CopyOnWriteArrayList<>();
    /** Sizes of the batches that ran normally, in order. */
    static final List<Integer> normalBatchSizes = new CopyOnWriteArrayList<>();
    /** Stalled batches whose real results were produced after the stall. */
    static final AtomicInteger lateCompletions = new AtomicInteger();

    static void reset() {
        misbehavedBatchSizes.clear();
        normalBatchSizes.clear();
        lateCompletions.set(0);
    }

    private final InferenceEngine delegate;
    private final Mode mode;
    private final Set<Integer> batches;
    private final long stallMs;
    private final AtomicInteger sequence = new AtomicInteger();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "misbehaving-engine-timer");
        t.setDaemon(true);
        return t;
    });

    private MisbehavingEngine(InferenceEngine delegate, Mode mode, Set<Integer> batches, long stallMs) {
        this.delegate = delegate;
        this.mode = mode;
        this.batches = batches;
        this.stallMs = stallMs;
    }

    /** An opener (serializable, as the function needs) of a real engine that misbehaves on the given batches. */
    static EngineOpener opener(Mode mode, Set<Integer> batches, long stallMs) {
        return spec -> new MisbehavingEngine(InferenceEngines.open(spec), mode, Set.copyOf(batches), stallMs);
    }

    @Override
    public EngineInfo info() {
        return delegate.info();
    }

    @Override
    public InputBatch acquire() throws InterruptedException {
        return delegate.acquire();
    }

    @Override
    public void release(InputBatch batch) {
        delegate.release(batch);
    }

    @Override
    public CompletableFuture<OutputBatch> submit(InputBatch batch) {
        int n = sequence.getAndIncrement();
        if (!batches.contains(n)) {
            normalBatchSizes.add(batch.size());
            return delegate.submit(batch);
        }
        misbehavedBatchSizes.add(batch.size());
        if (mode == Mode.FAIL) {
            delegate.release(batch);
            return CompletableFuture.failedFuture(new InferenceException("injected engine failure on batch " + n));
        }
        CompletableFuture<OutputBatch> late = new CompletableFuture<>();
        timer.schedule(() -> delegate.submit(batch).whenComplete((out, err) -> {
            lateCompletions.incrementAndGet();
            if (err != null) {
                late.completeExceptionally(err);
            } else {
                late.complete(out);
            }
        }), stallMs, TimeUnit.MILLISECONDS);
        return late;
    }

    @Override
    public void close() {
        timer.shutdown(); // lets a pending stall run, so that no slot stays taken
        try {
            timer.awaitTermination(stallMs + 5000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delegate.close();
    }

    @Override
    public String toString() {
        return "MisbehavingEngine{" + mode + " batches " + batches + "}";
    }
}

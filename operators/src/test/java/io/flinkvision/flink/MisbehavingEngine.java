package io.flinkvision.flink;

import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test engine around the real ONNX Runtime engine that misbehaves on chosen batches (by their number, counted from
 * 0 per engine; never by wall time): {@link Mode#STALL} holds the batch until the test calls {@link #releaseStalled()}
 * (at the latest {@code maxStallMs}) and only then runs it, so that its frames stay in the async operator until its
 * timeout fires and the real results arrive late; {@link Mode#FAIL} fails the batch with an
 * {@link InferenceException}. Every other batch runs normally. What happened is recorded in static fields (the
 * MiniCluster runs in the test's JVM); {@link #reset()} clears them before each job.
 */
final class MisbehavingEngine implements InferenceEngine {
    enum Mode { STALL, FAIL }

    /** Sizes of the batches that were stalled or failed, in order. */
    static final List<Integer> misbehavedBatchSizes = new CopyOnWriteArrayList<>();
    /** Sizes of the batches that ran normally, in order. */
    static final List<Integer> normalBatchSizes = new CopyOnWriteArrayList<>();
    /** Stalled batches whose real results were produced after the stall. */
    static final AtomicInteger lateCompletions = new AtomicInteger();
    /** Longest submit-to-result time of a normal batch, ms (to tell a slow machine from a broken timeout). */
    static final AtomicLong slowestNormalBatchMs = new AtomicLong();
    private static volatile CountDownLatch release = new CountDownLatch(1);

    static void reset() {
        misbehavedBatchSizes.clear();
        normalBatchSizes.clear();
        lateCompletions.set(0);
        slowestNormalBatchMs.set(0);
        release = new CountDownLatch(1);
    }

    /** Lets the stalled batches run (their results then arrive late). */
    static void releaseStalled() {
        release.countDown();
    }

    private final InferenceEngine delegate;
    private final Mode mode;
    private final Set<Integer> batches;
    private final long maxStallMs;
    private final AtomicInteger sequence = new AtomicInteger();
    private final ExecutorService staller = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "misbehaving-engine-stall");
        t.setDaemon(true);
        return t;
    });

    private MisbehavingEngine(InferenceEngine delegate, Mode mode, Set<Integer> batches, long maxStallMs) {
        this.delegate = delegate;
        this.mode = mode;
        this.batches = batches;
        this.maxStallMs = maxStallMs;
    }

    /**
     * An opener (serializable, as the function needs) of a real engine that misbehaves on the given batches.
     *
     * @param maxStallMs how long a stalled batch waits for {@link #releaseStalled()} at most, ms (a bound so that a
     *     test whose release never comes ends instead of hanging)
     */
    static EngineOpener opener(Mode mode, Set<Integer> batches, long maxStallMs) {
        return spec -> new MisbehavingEngine(InferenceEngines.open(spec), mode, Set.copyOf(batches), maxStallMs);
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
            long t0 = System.nanoTime();
            return delegate.submit(batch).whenComplete((out, err) ->
                    slowestNormalBatchMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max));
        }
        misbehavedBatchSizes.add(batch.size());
        if (mode == Mode.FAIL) {
            delegate.release(batch);
            return CompletableFuture.failedFuture(new InferenceException("injected engine failure on batch " + n));
        }
        CountDownLatch gate = release;
        CompletableFuture<OutputBatch> late = new CompletableFuture<>();
        staller.execute(() -> {
            try {
                gate.await(maxStallMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            delegate.submit(batch).whenComplete((out, err) -> {
                lateCompletions.incrementAndGet();
                if (err != null) {
                    late.completeExceptionally(err);
                } else {
                    late.complete(out);
                }
            });
        });
        return late;
    }

    @Override
    public void close() {
        staller.shutdown(); // lets a pending stall run, so that no slot stays taken
        try {
            staller.awaitTermination(maxStallMs + 5000, TimeUnit.MILLISECONDS);
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

package io.flinkvision.engine;

import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs batches over N execution slots of any kind ({@code S}: a TensorRT slot on its CUDA stream, an ONNX Runtime
 * slot on its thread, a recorded answer), independent of the device so that it can be tested with a fake one: the
 * engine-side half of the in-flight pipeline, and the one slot pool of every engine.
 *
 * <pre>
 *  caller thread                     device (per slot stream)              completion thread
 *  acquire() -> free slot            .                                      .
 *  fill input, submit() -> launch(): H2D(k) -> compute(k) -> D2H(k) -> event .
 *  acquire() -> next slot            H2D(k+1) overlaps compute(k) ...       awaits slot k's event (FIFO),
 *                                                                           completes future k with its OutputBatch
 *  out.close() -> slot back to the free queue
 * </pre>
 *
 * <p>Futures complete in submission order (the completion thread waits on the oldest in-flight slot first), on the
 * completion thread: callbacks attached to them run there and delay later completions, so keep them short or hand off.
 * In-order completion costs nothing measurable (benchmark {@code launchOrderWaitMs};
 * docs/DESIGN.md#execution-slots-and-completion).
 * A slot is busy from {@link #acquire()} until the {@link OutputBatch} is closed (or {@link #release} for a batch
 * never submitted): at most N batches are being filled, on the device, or being read at once, which is the operator's
 * back-pressure. A slot whose {@link Slot#outputOutlivesSlot()} is true (its output is a copy) is free again as soon as
 * its batch completes.
 *
 * @param <S> the slot type, handed back by {@link #slots()} to code that drives the slots directly (benchmark probes)
 */
@Internal
public final class SlotScheduler<S extends SlotScheduler.Slot> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SlotScheduler.class);

    /** One execution slot's device side. Implementations need not be thread-safe: a slot is used by one batch at once. */
    public interface Slot {
        /** The slot's host input buffer (its {@link InputBatch#slot()} is the slot's index in the scheduler). */
        InputBatch input();

        /**
         * Queues the work for the first {@code size} images of {@link #input()} (copy in, infer, copy out) and returns
         * without waiting.
         *
         * @throws InferenceException if queueing fails
         */
        void launch(int size);

        /**
         * Blocks until the work queued by the last {@link #launch} has finished.
         *
         * @throws InferenceException if the device reports an error
         */
        void awaitCompletion();

        /** Host output of the last completed launch, float32 {@code [size, rows, columns]}. */
        FloatBuffer output();

        /** Stage times of the last completed launch. */
        OutputBatch.StageTimes times();

        /**
         * Whether {@link #output()} stays valid after the slot is reused (a copy the runtime handed over): the slot is
         * then freed when its batch completes, not when the {@link OutputBatch} is closed. False by default.
         */
        default boolean outputOutlivesSlot() {
            return false;
        }
    }

    private enum State { FREE, ACQUIRED, IN_FLIGHT, OUTPUT_HELD }

    private final String name;
    private final List<S> slots;
    private final int rows;
    private final int columns;
    private final String deviceLabel;
    private final BlockingQueue<S> free;
    private final AtomicIntegerArray state;
    private final BlockingQueue<Pending> inFlight = new LinkedBlockingQueue<>();
    private final AtomicInteger launched = new AtomicInteger();
    private final Thread completer;
    private volatile boolean closed;

    private final class Pending {
        final S slot;
        final int size;
        final CompletableFuture<OutputBatch> future;

        Pending(S slot, int size, CompletableFuture<OutputBatch> future) {
            this.slot = slot;
            this.size = size;
            this.future = future;
        }
    }

    private final Pending stop = new Pending(null, 0, null);

    /**
     * Starts the completion thread.
     *
     * @param threadName name of the completion thread, also the tag of the scheduler's log lines
     * @param slots the slots; slot {@code i}'s input must report {@code slot() == i}
     * @param rows output rows per image
     * @param columns output values per row
     * @param deviceLabel device named in errors, e.g. {@code cuda:0 NVIDIA H200 (sm_90)} or {@code cpu}
     * @param threadInit run first on the completion thread (e.g. {@code cudaSetDevice})
     * @throws IllegalArgumentException if there is no slot, or a slot's input reports another index
     */
    public SlotScheduler(String threadName, List<? extends S> slots, int rows, int columns, String deviceLabel,
            Runnable threadInit) {
        if (slots.isEmpty()) {
            throw new IllegalArgumentException("at least one execution slot is needed");
        }
        this.name = threadName;
        this.slots = List.copyOf(slots);
        this.rows = rows;
        this.columns = columns;
        this.deviceLabel = deviceLabel;
        this.free = new ArrayBlockingQueue<>(slots.size());
        this.state = new AtomicIntegerArray(slots.size());
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).input().slot() != i) {
                throw new IllegalArgumentException("slot " + i + " reports index " + slots.get(i).input().slot());
            }
            free.add(slots.get(i));
        }
        this.completer = new Thread(() -> {
            threadInit.run();
            completionLoop();
        }, threadName);
        this.completer.setDaemon(true);
        this.completer.start();
    }

    /** Number of slots (max in flight). */
    public int capacity() {
        return slots.size();
    }

    /** The slots, slot {@code i} at index {@code i}; drive one directly only while holding it ({@link #acquire()}). */
    public List<S> slots() {
        return slots;
    }

    /** Slots not acquired now. */
    public int freeSlots() {
        return free.size();
    }

    /** Batches launched and not yet completed. */
    public int launchedNotCompleted() {
        return launched.get();
    }

    /**
     * Takes a free slot; blocks while none is free.
     *
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException if closed
     */
    public InputBatch acquire() throws InterruptedException {
        while (true) {
            if (closed) {
                throw new IllegalStateException("engine is closed");
            }
            S s = free.poll(100, TimeUnit.MILLISECONDS);
            if (s != null) {
                if (closed) {
                    free.offer(s);
                    throw new IllegalStateException("engine is closed");
                }
                state.set(s.input().slot(), State.ACQUIRED.ordinal());
                return s.input();
            }
        }
    }

    /** Gives back a slot acquired and not submitted. Ignored for a slot not in the acquired state. */
    public void release(InputBatch batch) {
        int i = batch.slot();
        if (i >= 0 && i < slots.size() && state.compareAndSet(i, State.ACQUIRED.ordinal(), State.FREE.ordinal())) {
            free.offer(slots.get(i));
        }
    }

    /**
     * Launches a filled batch. Never throws: failures complete the future exceptionally and free the slot.
     *
     * @param batch a batch from {@link #acquire()} with {@code size() >= 1}
     */
    public CompletableFuture<OutputBatch> submit(InputBatch batch) {
        CompletableFuture<OutputBatch> f = new CompletableFuture<>();
        int i = batch.slot();
        if (i < 0 || i >= slots.size() || slots.get(i).input() != batch
                || !state.compareAndSet(i, State.ACQUIRED.ordinal(), State.IN_FLIGHT.ordinal())) {
            f.completeExceptionally(new InferenceException("batch of slot " + i
                    + " was not acquired from this engine (or was already submitted)"));
            return f;
        }
        S s = slots.get(i);
        if (closed) {
            toFree(s);
            f.completeExceptionally(new InferenceException("engine is closed"));
            return f;
        }
        int size = batch.size();
        if (size < 1) {
            toFree(s);
            f.completeExceptionally(new InferenceException("batch of slot " + i + " has no images (setSize not called)"));
            return f;
        }
        try {
            s.launch(size);
        } catch (RuntimeException e) {
            toFree(s);
            f.completeExceptionally(e instanceof InferenceException ? e
                    : new InferenceException("launching a batch of " + size + " on " + deviceLabel + " failed: " + e, e));
            return f;
        }
        launched.incrementAndGet();
        inFlight.add(new Pending(s, size, f));
        return f;
    }

    private void toFree(S s) {
        state.set(s.input().slot(), State.FREE.ordinal());
        free.offer(s);
    }

    private void completionLoop() {
        while (true) {
            Pending p;
            try {
                p = inFlight.take();
            } catch (InterruptedException e) {
                if (closed && inFlight.isEmpty()) {
                    return;
                }
                continue;
            }
            if (p == stop) {
                return;
            }
            complete(p);
        }
    }

    private void complete(Pending p) {
        S s = p.slot;
        int i = s.input().slot();
        try {
            s.awaitCompletion();
        } catch (RuntimeException e) {
            launched.decrementAndGet();
            toFree(s);
            p.future.completeExceptionally(e instanceof InferenceException ? e
                    : new InferenceException("batch of " + p.size + " failed on " + deviceLabel + ": " + e, e));
            return;
        }
        launched.decrementAndGet();
        OutputBatch out;
        if (s.outputOutlivesSlot()) {
            out = new OutputBatch(s.output(), p.size, rows, columns, s.times(), () -> { });
            toFree(s);
        } else {
            state.set(i, State.OUTPUT_HELD.ordinal());
            out = new OutputBatch(s.output(), p.size, rows, columns, s.times(), () -> {
                if (state.compareAndSet(i, State.OUTPUT_HELD.ordinal(), State.FREE.ordinal())) {
                    free.offer(s);
                }
            });
        }
        try {
            p.future.complete(out);
        } catch (RuntimeException e) {
            LOG.warn("[{}] a completion callback threw: {}", name, e.toString());
        }
    }

    /**
     * Stops taking batches, waits up to {@code timeoutMs} for launched batches to complete and for every output to be
     * closed.
     *
     * @return true if every slot is free (its buffers may be freed); false if some are still held (their buffers must
     *     then be leaked rather than freed under a reader)
     */
    public boolean close(long timeoutMs) {
        if (closed) {
            return free.size() == slots.size();
        }
        closed = true;
        inFlight.add(stop);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try {
            completer.join(Math.max(1, timeoutMs));
            while (free.size() < slots.size() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean allFree = free.size() == slots.size();
        if (!allFree) {
            LOG.warn("[{}] closed with {} of {} slots still held (unclosed outputs or batches in flight)", name,
                    slots.size() - free.size(), slots.size());
        }
        return allFree;
    }

    /** {@link #close(long)} with 30 s. */
    @Override
    public void close() {
        close(30_000);
    }

    /** Whether {@link #close} was called. */
    public boolean isClosed() {
        return closed;
    }
}

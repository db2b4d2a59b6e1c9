package io.flinkvision.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slot scheduling and completion order, with a fake device whose clock the test advances: each slot is an independent
 * stream that finishes {@code duration} fake nanoseconds after its launch.
 */
class SlotSchedulerTest {
    /** Bound on every wait for something that must happen (generous: the machine may be loaded), seconds. */
    private static final long WAIT_S = 120;

    /** A device clock moved by the test; completion waits block until it passes their deadline. */
    static final class FakeClock {
        private long now;

        synchronized long now() {
            return now;
        }

        synchronized void advance(long nanos) {
            now += nanos;
            notifyAll();
        }

        synchronized void awaitUntil(long t) {
            while (now < t) {
                try {
                    wait(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** A slot of the fake device: output[0] = launch number, output[1] = batch size. */
    static final class FakeSlot implements SlotScheduler.Slot {
        final FakeClock clock;
        final InputBatch input;
        final FloatBuffer out = FloatBuffer.allocate(16);
        final List<Long> durations;
        final AtomicInteger launches;
        long launchedAt;
        long doneAt;
        RuntimeException failLaunch;
        RuntimeException failCompletion;
        boolean outputIsCopy;

        FakeSlot(int index, FakeClock clock, List<Long> durations, AtomicInteger launches) {
            this.clock = clock;
            this.durations = durations;
            this.launches = launches;
            this.input = new InputBatch(index, ByteBuffer.allocateDirect(4 * 12), ElementType.UINT8, 4, 12);
        }

        @Override
        public InputBatch input() {
            return input;
        }

        @Override
        public void launch(int size) {
            if (failLaunch != null) {
                throw failLaunch;
            }
            int n = launches.getAndIncrement();
            launchedAt = clock.now();
            doneAt = launchedAt + durations.get(n);
            out.put(0, n);
            out.put(1, size);
        }

        @Override
        public void awaitCompletion() {
            clock.awaitUntil(doneAt);
            if (failCompletion != null) {
                throw failCompletion;
            }
        }

        @Override
        public FloatBuffer output() {
            return out;
        }

        @Override
        public OutputBatch.StageTimes times() {
            return new OutputBatch.StageTimes(1, doneAt - launchedAt - 2, 1, doneAt - launchedAt);
        }

        @Override
        public boolean outputOutlivesSlot() {
            return outputIsCopy;
        }
    }

    private final FakeClock clock = new FakeClock();
    private final AtomicInteger launches = new AtomicInteger();
    private final List<Long> durations = new ArrayList<>();
    private final List<FakeSlot> slots = new ArrayList<>();
    private SlotScheduler<FakeSlot> scheduler;

    private SlotScheduler<FakeSlot> start(int n, long... durationsNanos) {
        for (long d : durationsNanos) {
            durations.add(d);
        }
        for (int i = 0; i < n; i++) {
            slots.add(new FakeSlot(i, clock, durations, launches));
        }
        scheduler = new SlotScheduler<>("test-completion", slots, 2, 8, "fake:0", () -> {});
        return scheduler;
    }

    @AfterEach
    void tearDown() {
        if (scheduler != null) {
            clock.advance(1_000_000_000L);
            scheduler.close(1000);
        }
    }

    private CompletableFuture<OutputBatch> submit(int size) throws InterruptedException {
        InputBatch b = scheduler.acquire();
        b.setSize(size);
        return scheduler.submit(b);
    }

    @Test
    void completesInSubmissionOrderEvenWhenALaterBatchFinishesFirst() throws Exception {
        start(3, 100, 20, 50);
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<OutputBatch>> fs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            CompletableFuture<OutputBatch> f = submit(i + 1);
            f.thenAccept(out -> order.add((int) out.data().get(0)));
            fs.add(f);
        }
        assertThat(scheduler.launchedNotCompleted()).isEqualTo(3);
        clock.advance(60); // batches 1 (20) and 2 (50) are done on the device, batch 0 (100) is not
        Thread.sleep(100);
        assertThat(fs).noneMatch(CompletableFuture::isDone);
        clock.advance(40);
        for (CompletableFuture<OutputBatch> f : fs) {
            f.get(WAIT_S, TimeUnit.SECONDS);
        }
        assertThat(order).containsExactly(0, 1, 2);
        assertThat(fs.get(2).get().size()).isEqualTo(3);
        assertThat(fs.get(0).get().times().totalNanos()).isEqualTo(100);
        fs.forEach(f -> f.join().close());
        assertThat(scheduler.freeSlots()).isEqualTo(3);
    }

    @Test
    void acquireBlocksUntilAnOutputIsClosed() throws Exception {
        start(2, 10, 10, 10);
        CompletableFuture<OutputBatch> a = submit(1);
        CompletableFuture<OutputBatch> b = submit(1);
        CompletableFuture<InputBatch> third = CompletableFuture.supplyAsync(() -> {
            try {
                return scheduler.acquire();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        clock.advance(10);
        OutputBatch outA = a.get(WAIT_S, TimeUnit.SECONDS);
        b.get(WAIT_S, TimeUnit.SECONDS);
        Thread.sleep(200);
        assertThat(third).isNotDone(); // completed but unread outputs still hold their slots
        outA.close();
        assertThat(third.get(WAIT_S, TimeUnit.SECONDS).slot()).isEqualTo(0);
        outA.close(); // idempotent: must not free the slot twice
        assertThat(scheduler.freeSlots()).isZero();
    }

    @Test
    void aSlotWhoseOutputIsACopyIsFreeOnceItsBatchCompletes() throws Exception {
        start(1, 10, 10);
        slots.get(0).outputIsCopy = true;
        CompletableFuture<OutputBatch> a = submit(1);
        clock.advance(10);
        OutputBatch outA = a.get(WAIT_S, TimeUnit.SECONDS); // not closed
        assertThat(scheduler.freeSlots()).isEqualTo(1);
        CompletableFuture<OutputBatch> b = submit(2);
        clock.advance(10);
        b.get(WAIT_S, TimeUnit.SECONDS).close();
        outA.close(); // closing after the slot was reused frees nothing twice
        assertThat(scheduler.freeSlots()).isEqualTo(1);
        assertThat(scheduler.close(1000)).isTrue();
    }

    @Test
    void slotsAreHandedBackTyped() {
        start(2, 10);
        FakeSlot first = scheduler.slots().get(0);
        assertThat(first).isSameAs(slots.get(0));
        assertThat(scheduler.slots()).hasSize(2);
    }

    @Test
    void releaseGivesBackAnUnsubmittedSlot() throws Exception {
        start(1, 10);
        InputBatch b = scheduler.acquire();
        assertThat(scheduler.freeSlots()).isZero();
        scheduler.release(b);
        assertThat(scheduler.freeSlots()).isEqualTo(1);
        scheduler.release(b); // twice: ignored
        assertThat(scheduler.freeSlots()).isEqualTo(1);
    }

    @Test
    void submitOfABatchNotAcquiredFails() {
        start(1, 10);
        InputBatch foreign = new InputBatch(0, ByteBuffer.allocateDirect(48), ElementType.UINT8, 4, 12);
        foreign.setSize(1);
        assertThat(scheduler.submit(foreign)).isCompletedExceptionally();
        assertThat(scheduler.freeSlots()).isEqualTo(1);
    }

    @Test
    void launchFailureFailsTheFutureAndFreesTheSlot() throws Exception {
        start(1, 10, 10);
        slots.get(0).failLaunch = new InferenceException("enqueueV3 failed on fake:0");
        CompletableFuture<OutputBatch> f = submit(2);
        assertThat(f).isCompletedExceptionally();
        assertThat(scheduler.freeSlots()).isEqualTo(1);
        slots.get(0).failLaunch = null;
        CompletableFuture<OutputBatch> g = submit(2);
        clock.advance(10);
        assertThat(g.get(WAIT_S, TimeUnit.SECONDS).size()).isEqualTo(2);
    }

    @Test
    void deviceErrorFailsOnlyThatBatch() throws Exception {
        start(2, 10, 10, 10);
        slots.get(0).failCompletion = new InferenceException("cudaEventSynchronize failed on fake:0: an illegal"
                + " memory access was encountered");
        CompletableFuture<OutputBatch> bad = submit(1);
        CompletableFuture<OutputBatch> good = submit(1);
        clock.advance(10);
        try {
            bad.get(WAIT_S, TimeUnit.SECONDS);
            throw new AssertionError("expected failure");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(InferenceException.class).hasMessageContaining("illegal memory");
        }
        good.get(WAIT_S, TimeUnit.SECONDS).close();
        assertThat(scheduler.freeSlots()).isEqualTo(2);
    }

    @Test
    void closeWaitsForInFlightBatchesAndOutputs() throws Exception {
        start(2, 50, 50);
        CompletableFuture<OutputBatch> a = submit(1);
        CompletableFuture<OutputBatch> b = submit(1);
        a.thenAccept(OutputBatch::close);
        b.thenAccept(OutputBatch::close);
        CompletableFuture<Boolean> closed = CompletableFuture.supplyAsync(() -> scheduler.close(TimeUnit.SECONDS.toMillis(WAIT_S)));
        Thread.sleep(100);
        assertThat(closed).isNotDone();
        clock.advance(50);
        assertThat(closed.get(WAIT_S, TimeUnit.SECONDS)).isTrue();
        assertThat(a).isCompleted();
        try {
            scheduler.acquire();
            throw new AssertionError("acquire after close must fail");
        } catch (IllegalStateException expected) {
            assertThat(expected).hasMessageContaining("closed");
        }
    }

    @Test
    void closeReportsSlotsStillHeld() throws Exception {
        start(1, 5);
        CompletableFuture<OutputBatch> a = submit(1);
        clock.advance(5);
        a.get(WAIT_S, TimeUnit.SECONDS); // never closed
        assertThat(scheduler.close(200)).isFalse();
    }

    @Test
    void manySubmissionsKeepAtMostCapacityInFlight() throws Exception {
        long[] d = new long[200];
        java.util.Arrays.fill(d, 3);
        start(3, d);
        AtomicInteger maxInFlight = new AtomicInteger();
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        Thread ticker = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                clock.advance(1);
                try {
                    Thread.sleep(0, 200_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        ticker.start();
        List<CompletableFuture<OutputBatch>> fs = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                CompletableFuture<OutputBatch> f = submit(1 + i % 4);
                maxInFlight.accumulateAndGet(scheduler.launchedNotCompleted(), Math::max);
                fs.add(f.whenComplete((out, err) -> {
                    order.add((int) out.data().get(0));
                    out.close();
                }));
            }
            for (CompletableFuture<OutputBatch> f : fs) {
                f.get(WAIT_S, TimeUnit.SECONDS);
            }
        } finally {
            ticker.interrupt();
            ticker.join();
        }
        assertThat(maxInFlight.get()).isLessThanOrEqualTo(3);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            expected.add(i);
        }
        assertThat(order).isEqualTo(expected);
    }
}

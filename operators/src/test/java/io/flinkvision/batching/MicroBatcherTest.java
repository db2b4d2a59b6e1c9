package io.flinkvision.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {
    /** Bound on every wait for something that must happen (generous: the machine may be loaded), seconds. */
    private static final long WAIT_S = 120;

    /** Handler that records batch sizes and completes when the test says so. */
    static final class ControlledHandler implements BatchHandler<Integer, String> {
        final List<List<Integer>> batches = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<List<String>>> pending = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<List<String>> handle(List<Integer> batch) {
            batches.add(List.copyOf(batch));
            CompletableFuture<List<String>> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }

        void completeBatch(int i) {
            pending.get(i).complete(batches.get(i).stream().map(x -> "r" + x).collect(Collectors.toList()));
        }
    }

    @Test
    void fullBatchLeavesWithoutWaitingForTheDeadline() throws Exception {
        ControlledHandler h = new ControlledHandler();
        try (MicroBatcher<Integer, String> b = new MicroBatcher<>("t", new BatchPolicy(4, 60_000, 2), h)) {
            List<CompletableFuture<String>> fs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                fs.add(b.submit(i));
            }
            awaitBatches(h, 1);
            assertThat(h.batches.get(0)).containsExactly(0, 1, 2, 3);
            h.completeBatch(0);
            assertThat(fs.get(2).get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("r2");
        }
    }

    @Test
    void deadlineDispatchesAPartialBatch() throws Exception {
        ControlledHandler h = new ControlledHandler();
        long[] now = {0};
        try (MicroBatcher<Integer, String> b = new MicroBatcher<>("t", new BatchPolicy(8, 10, 2), h, () -> now[0])) {
            CompletableFuture<String> f1 = b.submit(1);
            b.submit(2);
            Thread.sleep(200); // real time passes, the fake clock does not: no dispatch before the deadline
            assertThat(h.batches).isEmpty();
            now[0] = TimeUnit.MILLISECONDS.toNanos(10); // the first item has now waited 10 ms
            awaitBatches(h, 1);
            assertThat(h.batches.get(0)).containsExactly(1, 2);
            h.completeBatch(0);
            assertThat(f1.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("r1");
        }
    }

    @Test
    void resultsGoToTheirOwnItemsWhateverOrderBatchesComplete() throws Exception {
        ControlledHandler h = new ControlledHandler();
        try (MicroBatcher<Integer, String> b = new MicroBatcher<>("t", new BatchPolicy(2, 60_000, 3), h)) {
            List<CompletableFuture<String>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                fs.add(b.submit(i));
            }
            awaitBatches(h, 3);
            h.completeBatch(2);
            assertThat(fs.get(4).get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("r4");
            assertThat(fs.get(0)).isNotDone();
            h.completeBatch(0);
            h.completeBatch(1);
            for (int i = 0; i < 6; i++) {
                assertThat(fs.get(i).get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("r" + i);
            }
        }
    }

    @Test
    void inFlightLimitHoldsBackTheNextBatchWhichThenLeavesFuller() throws Exception {
        ControlledHandler h = new ControlledHandler();
        try (MicroBatcher<Integer, String> b = new MicroBatcher<>("t", new BatchPolicy(4, 0, 1), h)) {
            b.submit(0);
            awaitBatches(h, 1);
            for (int i = 1; i <= 3; i++) {
                b.submit(i);
            }
            Thread.sleep(100);
            assertThat(h.batches).hasSize(1); // one batch in flight: the rest waits
            assertThat(b.queued()).isEqualTo(3);
            h.completeBatch(0);
            awaitBatches(h, 2);
            assertThat(h.batches.get(1)).containsExactly(1, 2, 3);
            h.completeBatch(1);
        }
    }

    @Test
    void failureOfOneBatchFailsOnlyItsItems() throws Exception {
        ControlledHandler h = new ControlledHandler();
        try (MicroBatcher<Integer, String> b = new MicroBatcher<>("t", new BatchPolicy(2, 60_000, 2), h)) {
            CompletableFuture<String> a0 = b.submit(0);
            CompletableFuture<String> a1 = b.submit(1);
            CompletableFuture<String> b0 = b.submit(2);
            CompletableFuture<String> b1 = b.submit(3);
            awaitBatches(h, 2);
            h.pending.get(0).completeExceptionally(new IllegalStateException("engine exploded"));
            h.completeBatch(1);
            assertThatThrownBy(() -> a0.get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasRootCauseMessage("engine exploded");
            assertThat(a1).isCompletedExceptionally();
            assertThat(b0.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("r2");
            assertThat(b1.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("r3");
        }
    }

    @Test
    void handlerThatThrowsOrMiscountsFailsTheBatch() throws Exception {
        try (MicroBatcher<Integer, String> b = new MicroBatcher<>("t", new BatchPolicy(1, 0, 1), batch -> {
            if (batch.get(0) == 0) {
                throw new IllegalArgumentException("bad input");
            }
            return CompletableFuture.completedFuture(Collections.emptyList());
        })) {
            assertThatThrownBy(() -> b.submit(0).get(WAIT_S, TimeUnit.SECONDS)).hasRootCauseMessage("bad input");
            assertThatThrownBy(() -> b.submit(1).get(WAIT_S, TimeUnit.SECONDS)).hasMessageContaining("0 results for 1");
        }
    }

    @Test
    void closeDispatchesWhatIsQueuedAndRefusesNewItems() throws Exception {
        ControlledHandler h = new ControlledHandler();
        MicroBatcher<Integer, String> b = new MicroBatcher<>("t", new BatchPolicy(8, 60_000, 1), h);
        CompletableFuture<String> f = b.submit(7);
        Thread closer = new Thread(() -> b.close(TimeUnit.SECONDS.toMillis(WAIT_S)));
        closer.start();
        awaitBatches(h, 1);
        h.completeBatch(0);
        closer.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        assertThat(f.get(WAIT_S, TimeUnit.SECONDS)).isEqualTo("r7");
        assertThatThrownBy(() -> b.submit(8)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * The stats read the batcher's clock; here a fake one that only the test and the handler move, so every figure is
     * exact whatever the machine's speed. The test moves it only while the dispatch thread is parked where the
     * figure under test is being timed.
     */
    @Test
    void dispatchStatsSplitTheDispatchThreadsTimeIntoPermitWaitFormWaitAndHandler() throws Exception {
        AtomicLong clock = new AtomicLong();
        ControlledHandler recorder = new ControlledHandler();
        BatchHandler<Integer, String> slowHandler = batch -> {
            CompletableFuture<List<String>> f = recorder.handle(batch);
            clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(20)); // 20 ms of "fill and launch" per batch
            return f;
        };
        try (MicroBatcher<Integer, String> b = new MicroBatcher<>("stats", new BatchPolicy(2, 60_000, 1), slowHandler,
                clock::get)) {
            b.submit(0);
            b.submit(1);
            awaitBatches(recorder, 1); // A = [0, 1], nothing left queued
            for (int i = 2; i <= 6; i++) {
                b.submit(i); // queued while A holds the only permit
            }
            awaitDispatcherParkedIn("stats", Semaphore.class, "acquire");
            clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(100)); // A holds the permit 100 ms after its handler returned
            recorder.completeBatch(0); // B = [2, 3] leaves, 3 left queued
            awaitBatches(recorder, 2);
            awaitDispatcherParkedIn("stats", Semaphore.class, "acquire");
            recorder.completeBatch(1); // C = [4, 5] leaves, [6] left queued (waits for the 60 s deadline)
            awaitBatches(recorder, 3);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (b.stats().batches() < 3 && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            DispatchStats s = b.stats();
            assertThat(s.batches()).isEqualTo(3);
            assertThat(s.items()).isEqualTo(6);
            assertThat(s.backlogItems()).isEqualTo(0 + 3 + 1);
            assertThat(s.meanBacklog()).isCloseTo(4 / 3.0, within(1e-9));
            assertThat(s.handlerNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(3 * 20));
            assertThat(s.permitWaitNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
            assertThat(s.formWaitNanos()).isZero(); // every batch was full when its permit came
            assertThat(s.handlerShare()).isCloseTo(60 / 160.0, within(1e-9));

            DispatchStats later = new DispatchStats(5, 10, s.permitWaitNanos() + 4_000_000, s.formWaitNanos(),
                    s.handlerNanos() + 2_000_000, s.backlogItems() + 6);
            DispatchStats interval = later.minus(s);
            assertThat(interval).isEqualTo(new DispatchStats(2, 4, 4_000_000, 0, 2_000_000, 6));
            assertThat(interval.meanPermitWaitMs()).isEqualTo(2.0);
            assertThat(interval.meanHandlerMs()).isEqualTo(1.0);
            assertThat(interval.meanFormWaitMs()).isZero();
            assertThat(interval.handlerShare()).isCloseTo(1 / 3.0, within(1e-9));
            assertThat(DispatchStats.EMPTY.meanHandlerMs()).isZero();
            recorder.completeBatch(2);
            Thread closer = new Thread(b::close); // dispatches [6] at once
            closer.start();
            awaitBatches(recorder, 4);
            recorder.completeBatch(3);
            closer.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        }
    }

    @Test
    void formWaitCountsTheTimeABatchWaitsForItsFrames() throws Exception {
        AtomicLong clock = new AtomicLong();
        ControlledHandler h = new ControlledHandler();
        try (MicroBatcher<Integer, String> b = new MicroBatcher<>("form-wait", new BatchPolicy(2, 60_000, 1), h,
                clock::get)) {
            b.submit(0);
            awaitDispatcherParkedIn("form-wait", MicroBatcher.class, "nextBatch"); // has its permit, waits for frames
            clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
            b.submit(1);
            awaitBatches(h, 1);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (b.stats().batches() < 1 && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            assertThat(b.stats().batches()).isEqualTo(1);
            assertThat(b.stats().formWaitNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
            assertThat(b.stats().permitWaitNanos()).isZero();
            h.completeBatch(0);
        }
    }

    /**
     * Waits until the dispatch thread of the batcher named {@code name} is parked (waiting) inside
     * {@code owner.method}; fails after {@link #WAIT_S}.
     */
    private static void awaitDispatcherParkedIn(String name, Class<?> owner, String method)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (System.nanoTime() < end) {
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                Thread.State state = e.getKey().getState();
                if (e.getKey().getName().equals("micro-batcher-" + name)
                        && (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING)
                        && Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().equals(owner.getName())
                                && f.getMethodName().equals(method))) {
                    return;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("dispatch thread of " + name + " not parked in " + owner.getSimpleName() + "."
                + method + " within " + WAIT_S + " s");
    }

    private static void awaitBatches(ControlledHandler h, int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (h.batches.size() < n && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(h.batches).hasSizeGreaterThanOrEqualTo(n);
    }
}

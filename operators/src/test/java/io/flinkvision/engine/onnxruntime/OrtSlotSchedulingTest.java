package io.flinkvision.engine.onnxruntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Slot scheduling of the ONNX Runtime engine on the bundled model ({@code [N, 3, 416, 416]} float32 in,
 * {@code [N, 3549, 85]} out): concurrent submissions complete in submission order, a slot is free once its batch
 * completes (the output is a copy), close waits for batches in flight, and batches not acquired from the engine fail.
 */
class OrtSlotSchedulingTest {
    /** Bound on every wait for something that must happen (generous: the machine may be loaded), seconds. */
    private static final long WAIT_S = 120;

    private static OrtInferenceEngine open(int maxBatch, int inFlight) {
        return OrtInferenceEngine.open(EngineSpec.builder().maxBatchSize(maxBatch).maxInFlight(inFlight)
                .intraOpThreads(1).build());
    }

    /** Fills the first {@code size} images with a value per image, so that outputs differ by batch. */
    private static InputBatch fill(InputBatch in, int size, float value) {
        ByteBuffer b = in.data();
        for (int i = 0; i < size * in.elementsPerImage(); i++) {
            b.putFloat(i * 4, value);
        }
        in.setSize(size);
        return in;
    }

    @Test
    void concurrentSubmissionsCompleteInSubmissionOrder() throws Exception {
        try (OrtInferenceEngine engine = open(2, 3)) {
            Object order = new Object();
            int[] next = {0};
            List<Integer> completed = Collections.synchronizedList(new ArrayList<>());
            List<CompletableFuture<OutputBatch>> all = Collections.synchronizedList(new ArrayList<>());
            ExecutorService submitters = Executors.newFixedThreadPool(3);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    int thread = t;
                    done.add(submitters.submit(() -> {
                        for (int i = 0; i < 4; i++) {
                            InputBatch in = fill(engine.acquire(), 1 + (thread + i) % 2, thread * 40 + i);
                            synchronized (order) { // the sequence number is the submission order
                                int seq = next[0]++;
                                CompletableFuture<OutputBatch> f = engine.submit(in);
                                f.thenRun(() -> completed.add(seq));
                                all.add(f);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> d : done) {
                    d.get(WAIT_S, TimeUnit.SECONDS);
                }
            } finally {
                submitters.shutdown();
            }
            assertThat(all).hasSize(12);
            for (CompletableFuture<OutputBatch> f : all) {
                try (OutputBatch out = f.get(WAIT_S, TimeUnit.SECONDS)) {
                    assertThat(out.size()).isBetween(1, 2);
                    assertThat(out.rows()).isEqualTo(engine.info().outputRows());
                    assertThat(out.times().totalNanos()).isPositive();
                }
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                expected.add(i);
            }
            assertThat(completed).isEqualTo(expected);
        }
    }

    @Test
    void aSlotIsFreeOnceItsBatchCompletesAndTheOutputStaysValid() throws Exception {
        try (OrtInferenceEngine engine = open(1, 1)) {
            OutputBatch first = engine.submit(fill(engine.acquire(), 1, 0f)).get(WAIT_S, TimeUnit.SECONDS);
            float[] before = new float[first.rows() * first.columns()];
            first.data().duplicate().position(first.offset(0)).get(before);
            // the only slot is free again although the first output is not closed
            InputBatch again = CompletableFuture.supplyAsync(() -> {
                try {
                    return engine.acquire();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }).get(WAIT_S, TimeUnit.SECONDS);
            engine.submit(fill(again, 1, 200f)).get(WAIT_S, TimeUnit.SECONDS).close();
            float[] after = new float[before.length];
            first.data().duplicate().position(first.offset(0)).get(after);
            assertThat(after).containsExactly(before);
            first.close();
        }
    }

    @Test
    void closeWaitsForBatchesInFlight() throws Exception {
        OrtInferenceEngine engine = open(2, 2);
        CompletableFuture<OutputBatch> a = engine.submit(fill(engine.acquire(), 2, 1f));
        CompletableFuture<OutputBatch> b = engine.submit(fill(engine.acquire(), 2, 2f));
        engine.close();
        assertThat(a).isCompleted();
        assertThat(b).isCompleted();
        a.join().close();
        b.join().close();
        assertThatThrownBy(engine::acquire).isInstanceOf(IllegalStateException.class).hasMessage("engine is closed");
        engine.close(); // idempotent
    }

    @Test
    void aBatchNotAcquiredFromTheEngineFailsAndLeavesTheSlotsAlone() throws Exception {
        try (OrtInferenceEngine engine = open(1, 1)) {
            InputBatch foreign = new InputBatch(0, ByteBuffer.allocateDirect(4 * engine.info().inputElementsPerImage()),
                    ElementType.FLOAT32, 1, engine.info().inputElementsPerImage());
            foreign.setSize(1);
            assertThat(engine.submit(foreign)).failsWithin(WAIT_S, TimeUnit.SECONDS)
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(InferenceException.class);
            engine.release(foreign); // ignored: not the slot's batch
            InputBatch mine = engine.acquire();
            engine.release(mine);
            engine.release(mine); // twice: ignored
            engine.submit(fill(engine.acquire(), 1, 3f)).get(WAIT_S, TimeUnit.SECONDS).close();
        }
    }
}

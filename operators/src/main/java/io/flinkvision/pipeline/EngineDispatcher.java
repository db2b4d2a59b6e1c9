package io.flinkvision.pipeline;

import io.flinkvision.batching.BatchHandler;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntSupplier;

/**
 * The micro-batcher's handler, on its dispatch thread: takes a free execution slot ({@link InferenceEngine#acquire}),
 * fills it ({@link BatchFiller}, in parallel on the common pool, the dispatch thread taking part) and launches it;
 * the engine's output is post-processed ({@link BatchPostprocessor}) on the common pool. Filling batches
 * concurrently off this thread was slower (docs/DESIGN.md#tried-and-rejected). Tells the listener each stage's
 * host time.
 */
final class EngineDispatcher implements BatchHandler<PreparedFrame, InferenceOutcome> {
    private final InferenceEngine engine;
    private final BatchFiller filler;
    private final BatchPostprocessor postprocessor;
    private final PipelineListener listener;
    private final boolean deviceJpeg;
    private final IntSupplier batchesInFlight;

    /**
     * @param deviceJpeg whether the engine decodes JPEG files on its device ({@link JpegDecodeDevice#GPU})
     * @param batchesInFlight the batcher's batches in flight, for the listener
     */
    EngineDispatcher(InferenceEngine engine, BatchFiller filler, BatchPostprocessor postprocessor,
            PipelineListener listener, boolean deviceJpeg, IntSupplier batchesInFlight) {
        this.engine = engine;
        this.filler = filler;
        this.postprocessor = postprocessor;
        this.listener = listener;
        this.deviceJpeg = deviceJpeg;
        this.batchesInFlight = batchesInFlight;
    }

    /**
     * Launches one batch; its prepared frames are released once copied into the slot.
     *
     * @return the outcomes, in the batch's order; fails with the engine's error when the batch fails
     * @throws InterruptedException while waiting for a free execution slot
     */
    @Override
    public CompletableFuture<List<InferenceOutcome>> handle(List<PreparedFrame> batch) throws InterruptedException {
        long waitStart = System.nanoTime();
        InputBatch input = engine.acquire();
        long dispatchNanos = System.nanoTime();
        final int[] outIndex;
        try {
            outIndex = filler.fill(batch, input);
        } catch (RuntimeException e) {
            engine.release(input);
            throw e;
        } finally {
            for (PreparedFrame p : batch) {
                p.release(); // the pixels are in the engine's input now: the canvas serves the next frame
            }
        }
        listener.onBatchDispatched(batch.size(), dispatchNanos - waitStart, System.nanoTime() - dispatchNanos);
        listener.onBatchLetterboxed(input.hostImages(), input.sourceImages());
        if (deviceJpeg) {
            int files = 0;
            for (PreparedFrame p : batch) {
                files += p.isDeviceJpeg() ? 1 : 0;
            }
            listener.onBatchDeviceJpeg(files);
        }
        listener.onBatchStarted(batch.size(), batchesInFlight.getAsInt());
        // Post-processing runs on the common pool, not on the engine's completion thread: that thread completes the
        // slots in submission order, so decode + NMS there would delay every later slot
        // (docs/DESIGN.md#batching-and-dispatch).
        CompletableFuture<OutputBatch> launched = engine.submit(input);
        long launchedNanos = System.nanoTime();
        return launched.handleAsync((out, err) -> {
            if (err != null) {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                listener.onBatchFailed(batch.size(), cause);
                throw new CompletionException(cause);
            }
            long t0 = System.nanoTime();
            listener.onBatchReturned(batch.size(), launchedNanos, out.completedNanos(), t0, out.times());
            try (out) {
                return postprocessor.process(batch, outIndex, out, dispatchNanos);
            } finally {
                listener.onBatchPostprocessed(batch.size(), System.nanoTime() - t0);
            }
        }, ForkJoinPool.commonPool());
    }
}

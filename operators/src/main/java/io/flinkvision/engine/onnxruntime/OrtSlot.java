package io.flinkvision.engine.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.SlotScheduler;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * One ONNX Runtime execution slot: a direct float32 input buffer {@code [maxBatch, 3, H, W]} whose batches run
 * {@link OrtSession#run} on a thread of the engine's runner pool (a session's {@code run} is thread-safe, so slots run
 * side by side). The output, float32 {@code [size, rows, columns]}, is a copy owned by the JVM: the slot is free again
 * as soon as its batch completes ({@link #outputOutlivesSlot()}).
 */
final class OrtSlot implements SlotScheduler.Slot {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final EngineInfo info;
    private final ExecutorService runners;
    private final InputBatch input;
    private Future<?> running;
    private FloatBuffer output;
    private OutputBatch.StageTimes times;

    /**
     * Allocates the slot's input buffer.
     *
     * @param index slot index (0..N-1)
     * @param runners the threads batches run on (at least as many as slots, so that no launch waits for a thread)
     */
    OrtSlot(int index, OrtEnvironment env, OrtSession session, String inputName, EngineInfo info,
            ExecutorService runners) {
        this.env = env;
        this.session = session;
        this.inputName = inputName;
        this.info = info;
        this.runners = runners;
        ByteBuffer buf = ByteBuffer.allocateDirect(info.maxBatchSize() * info.inputElementsPerImage() * 4);
        this.input = new InputBatch(index, buf, ElementType.FLOAT32, info.maxBatchSize(), info.inputElementsPerImage());
    }

    @Override
    public InputBatch input() {
        return input;
    }

    /**
     * Hands the run of the first {@code size} images to a runner thread.
     *
     * @throws java.util.concurrent.RejectedExecutionException if the runner pool is shut down
     */
    @Override
    public void launch(int size) {
        running = runners.submit(() -> run(size));
    }

    /**
     * Waits for the last launch's run.
     *
     * @throws InferenceException if ONNX Runtime failed, or the wait was interrupted
     */
    @Override
    public void awaitCompletion() {
        try {
            running.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof InferenceException ie ? ie
                    : new InferenceException("ONNX Runtime run failed on cpu: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while waiting for an ONNX Runtime run on cpu", e);
        }
    }

    @Override
    public FloatBuffer output() {
        return output;
    }

    @Override
    public OutputBatch.StageTimes times() {
        return times;
    }

    /** True: {@link #output()} is ONNX Runtime's copy, not the slot's memory. */
    @Override
    public boolean outputOutlivesSlot() {
        return true;
    }

    private void run(int n) {
        long t0 = System.nanoTime();
        long[] shape = {n, info.channels(), info.inputHeight(), info.inputWidth()};
        ByteBuffer view = input.data().duplicate().order(input.data().order());
        view.position(0).limit((int) input.filledBytes());
        FloatBuffer floats = view.slice().order(input.data().order()).asFloatBuffer();
        try (OnnxTensor in = OnnxTensor.createTensor(env, floats, shape);
                OrtSession.Result out = session.run(Map.of(inputName, in))) {
            OnnxTensor result = (OnnxTensor) out.get(0);
            output = result.getFloatBuffer(); // a copy owned by the JVM
            times = OutputBatch.StageTimes.cpu(System.nanoTime() - t0);
        } catch (OrtException | RuntimeException e) {
            throw new InferenceException("ONNX Runtime run failed on cpu for a batch of " + n
                    + " (model " + info.modelName() + "): " + e.getMessage(), e);
        }
    }
}

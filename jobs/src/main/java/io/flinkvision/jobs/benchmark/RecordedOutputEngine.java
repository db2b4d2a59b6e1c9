package io.flinkvision.jobs.benchmark;

import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.SlotScheduler;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.tensor.SourceBatch;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.LetterboxedImage;
import io.flinkvision.imaging.TensorLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * An engine that answers every batch at once with a recorded output of the real engine: the operator path
 * (pre-processing, micro-batching, batch fill, post-processing, completion) with the accelerator taken out. The
 * benchmark runs it beside the real engine to measure the <b>host-side ceiling</b> ({@code hostCeilingFps}): when it is
 * below {@code engineOnlyFps}, the CPU side, not the GPU, bounds {@code operatorFps}.
 *
 * <p>With {@code sources}, batches also offer a {@link SourceBatch} (direct memory standing in for pinned staging), so
 * the host side of the device-letterbox path (decode, staging copy) is measured the same way. Same geometry, input type, output layout, batch capacity and number of slots as the recorded engine; inputs are
 * direct buffers {@code [maxBatch, 3, H, W]} that are filled and then ignored; every image of every batch gets the
 * recorded output of one real frame ({@code [rows, columns]} float32, in a direct buffer like pinned memory), so
 * post-processing does the work of a real frame (candidates, NMS). Batches complete in submission order on one
 * completion thread of the same {@link SlotScheduler} the real engines use, and a slot is free once its output is
 * closed, as the TensorRT engine's are.
 */
final class RecordedOutputEngine implements InferenceEngine {
    private final EngineInfo info;
    private final SlotScheduler<RecordedSlot> scheduler;
    private final boolean sources;

    private RecordedOutputEngine(EngineInfo info, float[] oneImage, boolean sources) {
        this.info = info;
        int perImage = info.outputRows() * info.outputColumns();
        if (oneImage.length != perImage) {
            throw new IllegalArgumentException("recorded output has " + oneImage.length + " floats, expected "
                    + perImage);
        }
        FloatBuffer out = ByteBuffer.allocateDirect(perImage * info.maxBatchSize() * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < info.maxBatchSize(); i++) {
            out.put(oneImage);
        }
        FloatBuffer output = out.clear();
        this.sources = sources;
        int bytes = info.maxBatchSize() * info.inputElementsPerImage() * info.inputType().bytes();
        List<RecordedSlot> slots = new ArrayList<>();
        for (int s = 0; s < info.maxInFlight(); s++) {
            slots.add(new RecordedSlot(new InputBatch(s, ByteBuffer.allocateDirect(bytes), info.inputType(),
                    info.maxBatchSize(), info.inputElementsPerImage(), sources
                    ? new SourceBatch(new DirectStaging(), info.maxBatchSize()) : null), output));
        }
        this.scheduler = new SlotScheduler<>("recorded-output-completion", slots, info.outputRows(),
                info.outputColumns(), "recorded output", () -> { });
    }

    /**
     * Runs one real frame through {@code real} (letterbox, batch of 1) and keeps its output.
     *
     * @param real an opened engine, idle (not used by a pipeline at the same time)
     * @param bgr a real frame, BGR {@code CV_8UC3}
     * @param sources whether batches also take source frames (the device-letterbox path: filled, then ignored)
     * @throws Exception if the real engine fails
     */
    static RecordedOutputEngine record(InferenceEngine real, Mat bgr, boolean sources) throws Exception {
        EngineInfo info = real.info();
        InputBatch in = real.acquire();
        try (Letterbox letterbox = new Letterbox(info.inputWidth(), info.inputHeight());
                LetterboxedImage image = letterbox.apply(bgr)) {
            TensorLayout.writeNchw(image, in, 0);
            in.setSize(1);
        } catch (RuntimeException e) {
            real.release(in);
            throw e;
        }
        float[] recorded = new float[info.outputRows() * info.outputColumns()];
        try (OutputBatch out = real.submit(in).get(5, TimeUnit.MINUTES)) {
            out.data().duplicate().position(out.offset(0)).get(recorded);
        }
        return new RecordedOutputEngine(info, recorded, sources);
    }

    @Override
    public boolean letterboxesOnDevice() {
        return sources;
    }

    /** A slot whose every launch is done at once, its output the recorded one. */
    private static final class RecordedSlot implements SlotScheduler.Slot {
        private final InputBatch input;
        private final FloatBuffer output;

        RecordedSlot(InputBatch input, FloatBuffer output) {
            this.input = input;
            this.output = output;
        }

        @Override
        public InputBatch input() {
            return input;
        }

        @Override
        public void launch(int size) {
            // nothing to run: the answer is recorded
        }

        @Override
        public void awaitCompletion() {
            // done at launch
        }

        @Override
        public FloatBuffer output() {
            return output.duplicate();
        }

        @Override
        public OutputBatch.StageTimes times() {
            return OutputBatch.StageTimes.cpu(0);
        }
    }

    /** Source staging in a direct buffer grown like an execution slot's pinned one. */
    private static final class DirectStaging implements SourceBatch.Staging {
        private ByteBuffer buffer;

        @Override
        public ByteBuffer ensureCapacity(long bytes) {
            if (buffer == null || buffer.capacity() < bytes) {
                buffer = ByteBuffer.allocateDirect(Math.toIntExact(bytes));
            }
            return buffer;
        }
    }

    @Override
    public EngineInfo info() {
        return info;
    }

    @Override
    public InputBatch acquire() throws InterruptedException {
        return scheduler.acquire();
    }

    @Override
    public CompletableFuture<OutputBatch> submit(InputBatch batch) {
        return scheduler.submit(batch);
    }

    @Override
    public void release(InputBatch batch) {
        scheduler.release(batch);
    }

    /** Waits (up to 30 s) for every slot to be free, then stops the completion thread. */
    @Override
    public void close() {
        scheduler.close();
    }
}

package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.cuda.CudaEvent;
import io.flinkvision.engine.tensorrt.cuda.CudaStream;
import io.flinkvision.engine.tensorrt.cuda.DeviceBuffer;
import io.flinkvision.engine.tensorrt.cuda.NativeResources;
import io.flinkvision.engine.tensorrt.cuda.PinnedBuffer;
import io.flinkvision.engine.tensorrt.device.DeviceJpegDecoder;
import io.flinkvision.engine.tensorrt.device.DeviceLetterbox;
import io.flinkvision.engine.tensorrt.plan.TrtLog;

import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.SlotScheduler;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.tensor.SourceBatch;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;

/**
 * One execution slot: an execution context (from the {@link SharedEngine}'s pool, with its own activation memory), a
 * non-blocking CUDA stream, pinned host input {@code [maxBatch, 3, H, W]} (uint8 or float32) and output
 * {@code [maxBatch, rows, columns]} float32, the matching device buffers, and four timing events.
 *
 * <p>{@link #launch} queues on the slot's stream: event start, H2D of the host-letterboxed images (and, for source
 * images, their H2D and the letterbox kernel writing after them), {@code setInputShape} +
 * {@code enqueueV3}, event, D2H of {@code size} images' outputs only, event done; slots on different streams overlap.
 * {@link #awaitCompletion} waits on the done event (blocking sync, no spinning).
 */
final class ExecutionSlot implements SlotScheduler.Slot, AutoCloseable {
    private final SharedEngine shared;
    private final int device;
    private final int index;
    private final IExecutionContext context;
    private final DeviceBuffer contextMemory;
    private final CudaStream stream;
    private final PinnedBuffer hostIn;
    private final PinnedBuffer hostOut;
    private final DeviceBuffer devIn;
    private final DeviceBuffer devOut;
    private final DeviceLetterbox letterbox;
    private final CudaEvent start;
    private final CudaEvent afterH2d;
    private final CudaEvent afterCompute;
    private final CudaEvent done;
    private final CudaEvent epoch;
    private final EnqueueGraphs graphs;
    private final InputBatch input;
    private final FloatBuffer output;
    private final long inBytesPerImage;
    private final long outBytesPerImage;
    private final Dims64 shape = new Dims64();
    private int lastShapeBatch = -1;
    private long lastLaunchNanos;
    private boolean closed;

    /**
     * Allocates the slot's buffers and binds them to a pooled context. On failure, whatever was allocated is freed.
     *
     * @param shared the engine
     * @param index slot index (0..N-1)
     * @param maxBatch batch capacity of the buffers
     * @param deviceLetterbox whether the slot also takes source frames and letterboxes them on the GPU (uint8 input)
     * @param deviceJpeg with {@code deviceLetterbox}: whether source frames may also be JPEG files, decoded by the
     *     GPU's hardware JPEG decoder ({@link DeviceJpegDecoder})
     * @param cudaGraphs whether {@code enqueueV3} is captured once per batch size and replayed as a CUDA graph
     *     ({@link EnqueueGraphs})
     * @param epoch the engine's timeline origin, recorded once (start times in {@link #times()} are measured from it)
     * @throws InferenceException if an allocation or a TensorRT call fails
     */
    ExecutionSlot(SharedEngine shared, int index, int maxBatch, boolean deviceLetterbox, boolean deviceJpeg,
            boolean cudaGraphs, CudaEvent epoch) {
        this.shared = shared;
        this.device = shared.device();
        this.index = index;
        int perImage = 3 * shared.height() * shared.width();
        this.inBytesPerImage = (long) perImage * shared.inputType().bytes();
        this.outBytesPerImage = (long) shared.rows() * shared.columns() * 4L;
        this.epoch = epoch;
        AutoCloseable[] made = new AutoCloseable[12];
        IExecutionContext ctx = null;
        try {
            String s = "slot " + index;
            made[0] = stream = new CudaStream(device);
            made[1] = hostIn = new PinnedBuffer(device, inBytesPerImage * maxBatch, s + " input");
            made[2] = hostOut = new PinnedBuffer(device, outBytesPerImage * maxBatch, s + " output");
            made[3] = devIn = new DeviceBuffer(device, inBytesPerImage * maxBatch, s + " device input");
            made[4] = devOut = new DeviceBuffer(device, outBytesPerImage * maxBatch, s + " device output");
            made[5] = contextMemory = new DeviceBuffer(device, Math.max(1, shared.contextMemoryBytes()),
                    s + " execution context activations");
            made[6] = start = new CudaEvent(device, false);
            made[7] = afterH2d = new CudaEvent(device, false);
            made[8] = afterCompute = new CudaEvent(device, false);
            made[9] = done = new CudaEvent(device, true);
            if (deviceLetterbox) {
                DeviceJpegDecoder jpeg = deviceJpeg ? new DeviceJpegDecoder(device, index, maxBatch) : null;
                try {
                    made[10] = letterbox = new DeviceLetterbox(device, index, stream, shared.width(), shared.height(),
                            maxBatch, jpeg);
                } catch (RuntimeException e) {
                    if (jpeg != null) {
                        jpeg.close();
                    }
                    throw e;
                }
            } else {
                letterbox = null;
            }
            made[11] = graphs = cudaGraphs ? new EnqueueGraphs(device, s, maxBatch) : null;
            ctx = shared.borrowContext();
            ctx.setDeviceMemoryV2(contextMemory.pointer(), contextMemory.bytes());
            if (!ctx.setTensorAddress(shared.inputName(), devIn.pointer())
                    || !ctx.setTensorAddress(shared.outputName(), devOut.pointer())) {
                throw new InferenceException("TensorRT setTensorAddress failed on " + Cuda.deviceLabel(device) + ": "
                        + TrtLog.INSTANCE.lastError());
            }
        } catch (RuntimeException e) {
            if (ctx != null) {
                shared.returnContext(ctx);
            }
            for (int i = made.length - 1; i >= 0; i--) {
                if (made[i] != null) {
                    try {
                        made[i].close();
                    } catch (Exception ignored) {
                        // already failing
                    }
                }
            }
            throw e;
        }
        this.context = ctx;
        this.input = new InputBatch(index, hostIn.buffer(), shared.inputType(), maxBatch, perImage,
                letterbox == null ? null : new SourceBatch(letterbox, maxBatch));
        this.output = new FloatPointer(hostOut.pointer()).capacity(hostOut.bytes() / 4).asBuffer();
    }

    @Override
    public InputBatch input() {
        return input;
    }

    @Override
    public void launch(int size) {
        launch(size, true);
    }

    /**
     * As {@link #launch(int)}; {@code useGraphs=false} queues the engine with plain {@code enqueueV3} even when the slot
     * has CUDA graphs (the serialized baseline measures what simple samples do).
     */
    void launch(int size, boolean useGraphs) {
        long t0 = System.nanoTime();
        Cuda.setDevice(device);
        start.record(stream);
        int host = input.hostImages();
        if (host > 0) {
            Cuda.check(cudaMemcpyAsync(devIn.pointer(), hostIn.pointer(), host * inBytesPerImage,
                    cudaMemcpyHostToDevice, stream.handle()), "cudaMemcpyAsync(H2D " + DeviceBuffer.mb(host
                    * inBytesPerImage) + ", slot " + index + ")", device);
        }
        if (input.sourceImages() > 0) {
            letterbox.enqueue(input.sources(), input.sourceImages(), devIn.pointer().address() + host * inBytesPerImage);
        }
        afterH2d.record(stream);
        enqueue(size, useGraphs);
        afterCompute.record(stream);
        Cuda.check(cudaMemcpyAsync(hostOut.pointer(), devOut.pointer(), size * outBytesPerImage,
                cudaMemcpyDeviceToHost, stream.handle()), "cudaMemcpyAsync(D2H " + DeviceBuffer.mb(size
                * outBytesPerImage) + ", slot " + index + ")", device);
        done.record(stream);
        lastLaunchNanos = System.nanoTime() - t0;
    }

    /**
     * Diagnostic (GPU checks): queues only the chosen parts of a {@link #launch} of {@code size} host images, to
     * measure what each costs the device: the engine always, the H2D copy of the input, the four timing events, the
     * D2H copy of the output. {@link #times()} is meaningful only with {@code timingEvents}.
     */
    void launchParts(int size, boolean copyIn, boolean timingEvents, boolean copyOut) {
        Cuda.setDevice(device);
        if (timingEvents) {
            start.record(stream);
        }
        if (copyIn) {
            uploadOnly(size);
        }
        if (timingEvents) {
            afterH2d.record(stream);
        }
        enqueue(size, true);
        if (timingEvents) {
            afterCompute.record(stream);
        }
        if (copyOut) {
            Cuda.check(cudaMemcpyAsync(hostOut.pointer(), devOut.pointer(), size * outBytesPerImage,
                    cudaMemcpyDeviceToHost, stream.handle()), "cudaMemcpyAsync(D2H, slot " + index + ")", device);
        }
        if (timingEvents) {
            done.record(stream);
        }
    }

    /**
     * Queues the engine for {@code size} images on the slot's stream: the batch's CUDA graph when graphs are on, else
     * {@code setInputShape} (when the size changed) and {@code enqueueV3}.
     *
     * @throws InferenceException if TensorRT refuses the shape or the enqueue, or the graph launch fails
     */
    void enqueue(int size) {
        enqueue(size, true);
    }

    private void enqueue(int size, boolean useGraphs) {
        if (graphs != null && useGraphs) {
            graphs.launch(size, stream, this::enqueuePlain);
        } else if (!enqueuePlain(size)) {
            throw new InferenceException("TensorRT enqueueV3 (batch " + size + ", slot " + index + ") failed on "
                    + Cuda.deviceLabel(device) + ": " + TrtLog.INSTANCE.lastError());
        }
    }

    /** {@code setInputShape} when the size changed, then {@code enqueueV3}; false if TensorRT refused the enqueue. */
    private boolean enqueuePlain(int size) {
        if (size != lastShapeBatch) {
            shape.nbDims(4).d(0, size).d(1, 3).d(2, shared.height()).d(3, shared.width());
            if (!context.setInputShape(shared.inputName(), shape)) {
                throw new InferenceException("TensorRT setInputShape([" + size + ",3," + shared.height() + ","
                        + shared.width() + "]) refused on " + Cuda.deviceLabel(device) + " (profile max "
                        + shared.maxBatch() + "): " + TrtLog.INSTANCE.lastError());
            }
            lastShapeBatch = size;
        }
        return context.enqueueV3(stream.handle());
    }

    /** Whether this slot takes JPEG files among its source images and decodes them on the device. */
    boolean decodesJpeg() {
        return letterbox != null && letterbox.decodesJpeg();
    }

    /** CUDA graphs captured by this slot (0 when graphs are off). */
    int graphsCaptured() {
        return graphs == null ? 0 : graphs.captured();
    }

    /** Queues only the H2D copy of {@code size} images (engine-only measurement: input placed on the device once). */
    void uploadOnly(int size) {
        Cuda.setDevice(device);
        Cuda.check(cudaMemcpyAsync(devIn.pointer(), hostIn.pointer(), size * inBytesPerImage, cudaMemcpyHostToDevice,
                stream.handle()), "cudaMemcpyAsync(H2D, slot " + index + ")", device);
    }

    CudaStream stream() {
        return stream;
    }

    @Override
    public void awaitCompletion() {
        done.synchronize();
    }

    @Override
    public FloatBuffer output() {
        return output;
    }

    @Override
    public OutputBatch.StageTimes times() {
        long h2d = afterH2d.nanosSince(start);
        long compute = afterCompute.nanosSince(afterH2d);
        long d2h = done.nanosSince(afterCompute);
        return new OutputBatch.StageTimes(h2d, compute, d2h, done.nanosSince(start), start.nanosSince(epoch),
                lastLaunchNanos);
    }

    /** Device bytes this slot holds: buffers, context activation memory, device letterbox staging and scratch. */
    long deviceBytes() {
        return devIn.bytes() + devOut.bytes() + contextMemory.bytes() + (letterbox == null ? 0 : letterbox.deviceBytes());
    }

    /** Pinned host bytes this slot holds (input, output, source staging). */
    long pinnedBytes() {
        return hostIn.bytes() + hostOut.bytes() + (letterbox == null ? 0 : letterbox.pinnedBytes());
    }

    /**
     * Synchronizes the stream, frees pinned and device memory, destroys the stream and events, and returns the
     * (memory-less) context to the pool.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        try {
            stream.synchronize();
        } catch (RuntimeException e) {
            first = e;
        }
        first = NativeResources.closeAll(first, graphs, letterbox, done, afterCompute, afterH2d, start, devOut, devIn,
                contextMemory, hostOut, hostIn, stream);
        shared.returnContext(context);
        if (first != null) {
            throw first;
        }
    }
}

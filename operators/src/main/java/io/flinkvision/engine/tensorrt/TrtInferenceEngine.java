package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.cuda.CudaEvent;
import io.flinkvision.engine.tensorrt.cuda.NativeResources;
import io.flinkvision.engine.tensorrt.device.DeviceJpegDecoder;
import io.flinkvision.engine.tensorrt.device.DeviceLetterbox;
import io.flinkvision.engine.tensorrt.device.NvJpeg;
import io.flinkvision.tensor.OutputLayout;
import io.flinkvision.tensor.SourceBatch;

import io.flinkvision.engine.Backend;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.SlotScheduler;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TensorRT engine on one CUDA device: {@code maxInFlight} {@link ExecutionSlot}s over a process-wide
 * {@link SharedEngine}, scheduled by a {@link SlotScheduler} whose completion thread waits on CUDA events (no Java code
 * in CUDA host callbacks).
 *
 * <p>Input: {@link io.flinkvision.tensor.ElementType#UINT8} NCHW {@code [N, 3, H, W]} BGR 0..255 in pinned memory,
 * converted to float32 by a cast layer on the GPU (4x fewer bytes over PCIe than float32); or, when
 * {@link #letterboxesOnDevice()}, decoded source frames of any size in the slot's pinned {@link
 * io.flinkvision.tensor.SourceBatch}, letterboxed on the slot's stream by the {@link DeviceLetterbox} kernel; and, when
 * {@link #decodesJpegOnDevice()} (the GPU has a hardware JPEG decoder), baseline JPEG files among them, decoded on the
 * same stream by the slot's {@link DeviceJpegDecoder} first. Output: float32
 * {@code [N, rows, columns]} in pinned memory, in the {@link io.flinkvision.tensor.OutputLayout} the plan was built
 * with (by default the top-3 classes per anchor, reduced on the GPU); only the {@code N} filled images are copied
 * back. The
 * {@link OutputBatch} is a view of the slot's pinned output: read it, then close it to free the slot.
 *
 * <p>Lifecycle: {@link #open} resolves the device ({@link EngineSpec#deviceIndex()}, which the Flink operator sets from
 * the {@code gpu} external resource when present), gets the shared engine (cache hit, or build once), allocates the
 * slots. {@link #close} drains in-flight batches, frees pinned and device memory and returns the execution contexts to
 * the pool. Any CUDA or TensorRT failure is an {@link InferenceException} naming the call, the error and the device.
 */
public final class TrtInferenceEngine implements InferenceEngine {
    private static final Logger LOG = LoggerFactory.getLogger(TrtInferenceEngine.class);
    private static final AtomicInteger OPENED = new AtomicInteger();

    private final SharedEngine shared;
    private final List<ExecutionSlot> slots;
    private final SlotScheduler<ExecutionSlot> scheduler;
    private final EngineInfo info;
    private final int device;
    private final CudaEvent epoch;
    private final long epochHostNanos;
    private volatile boolean closed;

    private TrtInferenceEngine(SharedEngine shared, List<ExecutionSlot> slots, EngineInfo info, CudaEvent epoch,
            long epochHostNanos) {
        this.shared = shared;
        this.epoch = epoch;
        this.epochHostNanos = epochHostNanos;
        this.slots = slots;
        this.info = info;
        this.device = shared.device();
        this.scheduler = new SlotScheduler<>("trt-completion-cuda" + device + "-" + OPENED.incrementAndGet(), slots,
                info.outputRows(), info.outputColumns(), info.device(), () -> Cuda.setDevice(device));
    }

    /**
     * Opens an engine for the spec (backend tensorrt).
     *
     * @throws InferenceException if no CUDA device/TensorRT is available, the model is unusable, the build fails, or
     *     the slots cannot be allocated; the message names the cause and the setting to change
     */
    public static TrtInferenceEngine open(EngineSpec spec) {
        int device = spec.deviceIndex();
        Cuda.unavailableReason(device).ifPresent(why -> {
            throw new InferenceException("TensorRT backend cannot use CUDA device " + device + ": " + why);
        });
        Cuda.DeviceInfo d = Cuda.device(device);
        SharedEngine shared = TrtRuntimeRegistry.engine(spec);
        int maxBatch = Math.min(spec.maxBatchSize(), shared.maxBatch());
        boolean letterbox = deviceLetterboxPossible(shared, device);
        boolean jpeg = letterbox && NvJpeg.unavailableReason(device).isEmpty();
        List<ExecutionSlot> slots = new ArrayList<>();
        CudaEvent epoch = new CudaEvent(device, false);
        long epochHost;
        try {
            for (int i = 0; i < spec.maxInFlight(); i++) {
                slots.add(new ExecutionSlot(shared, i, maxBatch, letterbox, jpeg, spec.cudaGraphs(), epoch));
            }
            epoch.record(slots.get(0).stream());
            epoch.synchronize();
            epochHost = System.nanoTime();
        } catch (RuntimeException e) {
            for (ExecutionSlot s : slots) {
                try {
                    s.close();
                } catch (RuntimeException ignored) {
                    // already failing
                }
            }
            NativeResources.closeAll(null, epoch);
            throw e;
        }
        EngineInfo info = new EngineInfo(shared.key().modelName(), shared.key().modelSha256(), Backend.TENSORRT,
                spec.precision(), d.describe(), shared.inputType(), 3, shared.height(), shared.width(), shared.rows(),
                shared.columns(), maxBatch, slots.size(), shared.layout(), shared.planSha256());
        long dev = 0;
        long pinned = 0;
        for (ExecutionSlot s : slots) {
            dev += s.deviceBytes();
            pinned += s.pinnedBytes();
        }
        LOG.info("TensorRT engine open on {}: {} precision={} input={} [N,3,{},{}] output=[N,{},{}] ({}) maxBatch={}"
                        + " slots={} device letterbox={} device JPEG decode={} CUDA graphs={} device memory={} MB"
                        + " pinned={} MB"
                        + " (contexts created so far: {})",
                d.describe(), shared.key().modelName(), spec.precision().id(),
                shared.inputType().name().toLowerCase(Locale.ROOT), shared.height(), shared.width(), shared.rows(),
                shared.columns(), shared.layout().id(), maxBatch, slots.size(), letterbox ? "yes" : "no",
                jpeg ? "yes (nvJPEG hardware)" : "no", spec.cudaGraphs() ? "yes" : "no", dev >> 20,
                pinned >> 20, shared.contextsCreated());
        return new TrtInferenceEngine(shared, slots, info, epoch, epochHost);
    }

    /** Device letterboxing needs the uint8 input (the kernel writes bytes) and NVRTC to compile the kernel. */
    private static boolean deviceLetterboxPossible(SharedEngine shared, int device) {
        if (shared.inputType() != ElementType.UINT8) {
            LOG.info("device letterbox off: the plan's input is {}, not uint8", shared.inputType());
            return false;
        }
        Optional<String> why = DeviceLetterbox.unavailableReason(device);
        why.ifPresent(w -> LOG.warn("device letterbox off: {}", w));
        return why.isEmpty();
    }

    /**
     * True when the letterbox kernel loaded and the input is uint8: batches then take source frames
     * ({@link InputBatch#sources()}).
     */
    @Override
    public boolean letterboxesOnDevice() {
        return slots.get(0).input().hasSources();
    }

    /**
     * True when batches that take source frames also take baseline JPEG files, decoded by the GPU's hardware JPEG
     * decoder (nvJPEG, {@code NVJPEG_BACKEND_HARDWARE}: A100/A30/H100/H200-class GPUs).
     */
    @Override
    public boolean decodesJpegOnDevice() {
        return slots.get(0).decodesJpeg();
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

    /** The shared engine (cache key, geometry, whether it was a cache hit). */
    public SharedEngine shared() {
        return shared;
    }

    /**
     * {@link System#nanoTime()} at which the timeline epoch event completed (recorded on an idle stream at open and
     * synchronized), so that a batch's device start {@link OutputBatch.StageTimes#startNanos()} falls at host time
     * {@code epochHostNanos() + startNanos} (to within the synchronize's return, microseconds).
     */
    public long epochHostNanos() {
        return epochHostNanos;
    }

    /** CUDA graphs captured so far by this engine's slots (0 when {@link EngineSpec#cudaGraphs()} is off). */
    public int graphsCaptured() {
        int n = 0;
        for (ExecutionSlot s : slots) {
            n += s.graphsCaptured();
        }
        return n;
    }

    /** Device memory held by this engine's slots (buffers and activation memory), in bytes. */
    public long deviceBytes() {
        long b = 0;
        for (ExecutionSlot s : slots) {
            b += s.deviceBytes();
        }
        return b;
    }

    /**
     * Engine-only throughput, the ceiling: inputs already on the device, {@code enqueueV3} called back to back on every
     * slot's context and stream in turn, no copies, no host work. Holds every slot while it runs.
     *
     * @param batch images per call (1..maxBatch)
     * @param iterations timed calls (after {@code iterations/10 + slots} warm-up calls)
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     */
    public double measureEngineOnly(int batch, int iterations) throws InterruptedException {
        List<InputBatch> held = acquireAll();
        try {
            for (int i = 0; i < slots.size(); i++) {
                fillPattern(slots.get(i).input(), batch);
                slots.get(i).uploadOnly(batch);
            }
            return timedRounds(iterations / 10 + slots.size(), iterations, batch,
                    i -> slots.get(i % slots.size()).enqueue(batch));
        } finally {
            held.forEach(this::release);
        }
    }

    /**
     * The engine with its copies, no host work: as {@link #measureEngineOnly}, launches queued back to back on every
     * slot's stream in turn, but each launch is a full batch as the operator queues it (H2D copy of the uint8 NCHW
     * input, the engine, D2H of the output). Compared with engine-only it gives what the copies cost the device.
     *
     * @param batch images per call (1..maxBatch)
     * @param iterations timed calls (after {@code 2 * slots} warm-up calls)
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     */
    public double measureWithCopies(int batch, int iterations) throws InterruptedException {
        return measureDeviceSide(iterations, in -> {
            fillPattern(in, batch);
            in.setSize(batch);
        });
    }

    /**
     * As {@link #measureWithCopies} for inputs that {@code fill} prepares once per slot, e.g. source images staged for
     * the device letterbox ({@link InputBatch#sources()} and {@link InputBatch#setMixedSize}): each launch then copies
     * and letterboxes them on the device as the operator's launches do. The launches of one slot follow each other on
     * its stream (the host never rewrites the inputs, so they need not wait for each other).
     *
     * @param iterations timed calls (after {@code 2 * slots} warm-up calls)
     * @param fill fills a slot's input and sets its size ({@link InputBatch#setSize} or {@link InputBatch#setMixedSize})
     * @return images per second ({@link InputBatch#size()} images per call)
     * @throws InterruptedException if interrupted while acquiring the slots
     * @throws IllegalArgumentException if {@code fill} left a slot's input without images
     */
    public double measureDeviceSide(int iterations, Consumer<InputBatch> fill) throws InterruptedException {
        return relaunchTimed(iterations, s -> fill.accept(s.input()), s -> s.launch(s.input().size()));
    }

    /**
     * Diagnostic (GPU checks): as {@link #measureWithCopies} with only the chosen parts of each launch queued
     * ({@link ExecutionSlot#launchParts}); all off is engine-only, all on is {@link #measureWithCopies}.
     *
     * @return images per second
     */
    double measureLaunchParts(int batch, int iterations, boolean copyIn, boolean timingEvents, boolean copyOut)
            throws InterruptedException {
        return relaunchTimed(iterations, s -> {
            fillPattern(s.input(), batch);
            s.input().setSize(batch);
            s.uploadOnly(batch);
        }, s -> s.launchParts(batch, copyIn, timingEvents, copyOut));
    }

    /**
     * Holds every slot, {@code prepare}s each once, then times {@code launch} on every slot in turn, back to back
     * ({@link #timedRounds}, {@code 2 * slots} warm-up calls).
     *
     * @return images per second, {@link InputBatch#size()} images per call
     * @throws IllegalArgumentException if {@code prepare} left a slot's input without images
     */
    private double relaunchTimed(int iterations, Consumer<ExecutionSlot> prepare, Consumer<ExecutionSlot> launch)
            throws InterruptedException {
        List<InputBatch> held = acquireAll();
        try {
            int batch = 0;
            for (ExecutionSlot s : slots) {
                prepare.accept(s);
                if (s.input().size() < 1) {
                    throw new IllegalArgumentException("fill left slot " + s.input().slot() + " without images");
                }
                batch = s.input().size();
            }
            int k = slots.size();
            return timedRounds(2 * k, iterations, batch, i -> launch.accept(slots.get(i % k)));
        } finally {
            held.forEach(this::release);
        }
    }

    /**
     * Serialized throughput, what simple samples do: one slot, per batch H2D copy, {@code enqueueV3}, D2H copy, then
     * synchronize before the next batch (no overlap). With {@code useGraphs} the engine is queued as the slot's CUDA
     * graph when {@link EngineSpec#cudaGraphs()} is on; without, always with plain {@code enqueueV3}.
     *
     * @param batch images per call
     * @param iterations timed calls (after a few warm-up calls)
     * @param useGraphs whether the slot may use its CUDA graph (false: plain {@code enqueueV3}, as samples do)
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     */
    public double measureSerialized(int batch, int iterations, boolean useGraphs) throws InterruptedException {
        List<InputBatch> held = acquireAll();
        try {
            ExecutionSlot s = slots.get(0);
            fillPattern(s.input(), batch);
            s.input().setSize(batch); // all host images: launch copies them in
            for (int i = 0; i < 5; i++) {
                s.launch(batch, useGraphs);
                s.awaitCompletion();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                s.launch(batch, useGraphs);
                s.awaitCompletion();
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            return iterations * (double) batch / sec;
        } finally {
            held.forEach(this::release);
        }
    }

    /**
     * Host-to-device copy bandwidth from pinned memory: the first slot's whole pinned input copied to its device input
     * back to back on its stream (what bounds a path that uploads more bytes per frame, e.g. source frames for the
     * device letterbox).
     *
     * @param iterations timed copies (after 5 warm-up copies)
     * @return gigabytes (1e9 bytes) per second
     * @throws InterruptedException if interrupted while acquiring the slots
     */
    public double measureH2dGBps(int iterations) throws InterruptedException {
        List<InputBatch> held = acquireAll();
        try {
            ExecutionSlot s = slots.get(0);
            int all = s.input().capacity();
            for (int i = 0; i < 5; i++) {
                s.uploadOnly(all);
            }
            s.stream().synchronize();
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                s.uploadOnly(all);
            }
            s.stream().synchronize();
            double sec = (System.nanoTime() - t0) / 1e9;
            return iterations * (double) all * s.input().elementsPerImage() * s.input().type().bytes() / sec / 1e9;
        } finally {
            held.forEach(this::release);
        }
    }

    /**
     * Runs {@code step(0..warm-1)}, synchronizes every slot, then times {@code step(0..iterations-1)} up to the last
     * slot's synchronization.
     *
     * @return images per second over the timed steps, {@code batch} images per step
     */
    private double timedRounds(int warm, int iterations, int batch, java.util.function.IntConsumer step) {
        for (int i = 0; i < warm; i++) {
            step.accept(i);
        }
        syncAll();
        long t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            step.accept(i);
        }
        syncAll();
        return iterations * (double) batch / ((System.nanoTime() - t0) / 1e9);
    }

    private List<InputBatch> acquireAll() throws InterruptedException {
        List<InputBatch> held = new ArrayList<>();
        for (int i = 0; i < slots.size(); i++) {
            held.add(scheduler.acquire());
        }
        return held;
    }

    private void syncAll() {
        for (ExecutionSlot s : slots) {
            s.stream().synchronize();
        }
    }

    private static void fillPattern(InputBatch in, int batch) {
        ByteBuffer b = in.data();
        int n = (int) ((long) batch * in.elementsPerImage() * in.type().bytes());
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) (i * 31 + 7));
        }
        if (in.type() == io.flinkvision.tensor.ElementType.FLOAT32) {
            for (int i = 0; i < n; i += 4) {
                b.putFloat(i, (i / 4) % 256);
            }
        }
    }

    /**
     * Waits (up to 30 s) for in-flight batches and open outputs, then frees every slot's pinned and device memory and
     * returns the execution contexts to the shared pool. The shared engine stays loaded for the next open. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean allFree = scheduler.close(30_000);
        if (!allFree) {
            LOG.warn("TensorRT engine on {}: not freeing slot memory because outputs are still held (leaked)",
                    info.device());
            return;
        }
        Cuda.setDevice(device);
        for (ExecutionSlot s : slots) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.warn("closing execution slot on {}: {}", info.device(), e.getMessage());
            }
        }
        RuntimeException e = NativeResources.closeAll(null, epoch);
        if (e != null) {
            LOG.warn("closing the timeline event on {}: {}", info.device(), e.getMessage());
        }
        LOG.info("TensorRT engine closed on {}", info.device());
    }
}

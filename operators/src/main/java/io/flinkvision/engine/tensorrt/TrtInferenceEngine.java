package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.cuda.CudaEvent;
import io.flinkvision.engine.tensorrt.cuda.NativeResources;
import io.flinkvision.engine.tensorrt.device.DeviceJpegDecoder;
import io.flinkvision.engine.tensorrt.device.DeviceLetterbox;
import io.flinkvision.engine.tensorrt.device.NvJpeg;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.DeviceProbe;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.SlotScheduler;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>{@link #probe()} offers the benchmark's device-side measurements ({@link TrtDeviceProbe}) over the same slots.
 */
final class TrtInferenceEngine implements InferenceEngine {
    private static final Logger LOG = LoggerFactory.getLogger(TrtInferenceEngine.class);
    private static final AtomicInteger OPENED = new AtomicInteger();

    private final SharedEngine shared;
    private final List<ExecutionSlot> slots;
    private final SlotScheduler<ExecutionSlot> scheduler;
    private final TrtDeviceProbe probe;
    private final EngineInfo info;
    private final int device;
    private final CudaEvent epoch;
    private volatile boolean closed;
    private volatile boolean freed;

    private TrtInferenceEngine(SharedEngine shared, List<ExecutionSlot> slots, EngineInfo info, CudaEvent epoch,
            long epochHostNanos) {
        this.shared = shared;
        this.epoch = epoch;
        this.slots = slots;
        this.info = info;
        this.device = shared.device();
        this.scheduler = new SlotScheduler<>("trt-completion-cuda" + device + "-" + OPENED.incrementAndGet(), slots,
                info.outputRows(), info.outputColumns(), info.device(), () -> Cuda.setDevice(device));
        this.probe = new TrtDeviceProbe(shared, scheduler, epochHostNanos);
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

    /** The benchmark probes of this engine ({@link TrtDeviceProbe}). */
    @Override
    public Optional<DeviceProbe> probe() {
        return Optional.of(probe);
    }

    /** The probes with their diagnostics (GPU checks in this package). */
    TrtDeviceProbe deviceProbe() {
        return probe;
    }

    /**
     * Device memory held by this engine's slots, in bytes: execution context activation memory, device input and
     * output buffers, device letterbox staging. The shared engine's weights are not counted (one copy serves every
     * engine of the process on the device). 0 once closed and freed.
     */
    @Override
    public long deviceMemoryUsedBytes() {
        if (freed) {
            return 0;
        }
        long b = 0;
        for (ExecutionSlot s : slots) {
            b += s.deviceBytes();
        }
        return b;
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
        freed = true;
        RuntimeException e = NativeResources.closeAll(null, epoch);
        if (e != null) {
            LOG.warn("closing the timeline event on {}: {}", info.device(), e.getMessage());
        }
        LOG.info("TensorRT engine closed on {}", info.device());
    }
}

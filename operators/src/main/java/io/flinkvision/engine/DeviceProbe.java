package io.flinkvision.engine;

import io.flinkvision.tensor.InputBatch;
import java.util.function.Consumer;
import org.apache.flink.annotation.Experimental;

/**
 * What a benchmark may ask of an engine that runs on a device, beyond the {@link InferenceEngine} contract: device-side
 * throughput ceilings measured with the engine's own execution slots, the copy bandwidth, the timeline epoch of its
 * stage times and how its plan was obtained. Offered by {@link InferenceEngine#probe()}; the TensorRT engine has one,
 * ONNX Runtime none.
 *
 * <p>Every {@code measure} method holds all of the engine's execution slots while it runs (no batch can be submitted
 * meanwhile), fills their inputs with a fixed pattern or what it is given, and returns images per second (or GB/s).
 * Call them on an engine that no pipeline is using.
 */
@Experimental
public interface DeviceProbe {

    /**
     * Engine-only throughput, the ceiling: inputs already on the device, the engine queued back to back on every slot
     * in turn, no copies, no host work.
     *
     * @param batch images per call (1..{@link EngineInfo#maxBatchSize()})
     * @param iterations timed calls (after warm-up calls)
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     * @throws IllegalStateException if the engine is closed
     */
    double measureEngineOnly(int batch, int iterations) throws InterruptedException;

    /**
     * The engine with its copies, no host work: as {@link #measureEngineOnly}, but each launch is a full batch as the
     * operator queues it (H2D copy of the NCHW input, the engine, D2H of the output).
     *
     * @param batch images per call (1..{@link EngineInfo#maxBatchSize()})
     * @param iterations timed calls (after warm-up calls)
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     * @throws IllegalStateException if the engine is closed
     */
    double measureWithCopies(int batch, int iterations) throws InterruptedException;

    /**
     * As {@link #measureWithCopies} for inputs that {@code fill} prepares once per slot, e.g. source frames staged for
     * the device letterbox ({@link InputBatch#sources()} and {@link InputBatch#setMixedSize}): each launch then copies
     * and letterboxes them on the device as the operator's launches do.
     *
     * @param iterations timed calls (after warm-up calls)
     * @param fill fills a slot's input and sets its size ({@link InputBatch#setSize} or
     *     {@link InputBatch#setMixedSize})
     * @return images per second ({@link InputBatch#size()} images per call)
     * @throws InterruptedException if interrupted while acquiring the slots
     * @throws IllegalArgumentException if {@code fill} left a slot's input without images
     * @throws IllegalStateException if the engine is closed
     */
    double measureDeviceSide(int iterations, Consumer<InputBatch> fill) throws InterruptedException;

    /**
     * Serialized throughput, what simple samples do: one slot, per batch H2D copy, the engine, D2H copy, then wait for
     * it before the next batch (no overlap).
     *
     * @param batch images per call
     * @param iterations timed calls (after a few warm-up calls)
     * @param useGraphs whether the engine may be queued as a captured graph (TensorRT: its CUDA graph when
     *     {@link EngineSpec#cudaGraphs()} is on; false: plain {@code enqueueV3})
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     * @throws IllegalStateException if the engine is closed
     */
    double measureSerialized(int batch, int iterations, boolean useGraphs) throws InterruptedException;

    /**
     * Host-to-device copy bandwidth from pinned memory: one slot's whole input copied to the device back to back.
     *
     * @param iterations timed copies (after warm-up copies)
     * @return gigabytes (1e9 bytes) per second
     * @throws InterruptedException if interrupted while acquiring the slots
     * @throws IllegalStateException if the engine is closed
     */
    double measureH2dGBps(int iterations) throws InterruptedException;

    /**
     * {@link System#nanoTime()} of the engine's timeline epoch: a batch's device start
     * {@link io.flinkvision.tensor.OutputBatch.StageTimes#startNanos()} falls at host time
     * {@code epochHostNanos() + startNanos}.
     */
    long epochHostNanos();

    /** Graphs of the engine captured so far by its slots (0 when it queues no graphs). */
    int graphsCaptured();

    /** Whether the engine's plan came from a cache (no build at open). */
    boolean planCacheHit();

    /** The plan's cache key, as the cache file is named. */
    String planCacheKey();
}

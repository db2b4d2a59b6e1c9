package io.flinkvision.engine;

import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.tensor.SourceBatch;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.annotation.PublicEvolving;

/**
 * A loaded model on a runtime, able to run batches asynchronously: the SPI the operator calls. Knows tensors, not
 * images or detections (pre- and post-processing live in {@code imaging} and {@code postprocess}).
 *
 * <p>Usage, from one or more threads:
 * <pre>{@code
 * InputBatch in = engine.acquire();          // blocks while every execution slot is in flight
 * ... write size images into in.data() (NCHW, in.type()), in.setSize(size)
 * engine.submit(in).whenComplete((out, err) -> { ... read out.data(); out.close(); });
 * }</pre>
 *
 * <p>Input: {@code [N, C, H, W]} of {@link EngineInfo#inputType()}, BGR, values 0..255. Output: float32
 * {@code [N, rows, columns]}. Implementations must be thread-safe.
 */
@PublicEvolving
public interface InferenceEngine extends AutoCloseable {

    /** The model, runtime and geometry of this engine. */
    EngineInfo info();

    /**
     * Takes a free execution slot and returns its input buffer. Blocks while {@link EngineInfo#maxInFlight()} batches
     * are in flight: this is the operator's back-pressure.
     *
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException if the engine is closed
     */
    InputBatch acquire() throws InterruptedException;

    /**
     * Runs inference on a filled batch obtained from {@link #acquire()}. Never throws: failures complete the future
     * exceptionally with an {@link InferenceException} (and the slot is released). On success the caller must
     * {@link OutputBatch#close()} the output to release the slot.
     */
    CompletableFuture<OutputBatch> submit(InputBatch batch);

    /**
     * Device memory this engine holds (engine, execution contexts, device buffers), in bytes; -1 when the engine does
     * not run on a device (CPU). Used for the {@code deviceMemoryUsedBytes} gauge.
     */
    default long deviceMemoryUsedBytes() {
        return -1;
    }

    /**
     * Whether this engine letterboxes on its device: its {@link InputBatch}es then offer {@link InputBatch#sources()}
     * for decoded frames of any size, and the host does no resize. False by default.
     */
    default boolean letterboxesOnDevice() {
        return false;
    }

    /**
     * Whether this engine, which {@link #letterboxesOnDevice()}, also decodes baseline JPEG files on its device
     * ({@link SourceBatch#setJpeg}): the host then only checks a JPEG frame's header and stages the file, a tenth of
     * its pixels' bytes. False by default.
     */
    default boolean decodesJpegOnDevice() {
        return false;
    }

    /**
     * The benchmark probes of an engine that runs on a device ({@link DeviceProbe}: device-side throughput ceilings,
     * copy bandwidth, timeline epoch, plan cache); empty by default (CPU engines).
     */
    default Optional<DeviceProbe> probe() {
        return Optional.empty();
    }

    /** Gives back a slot acquired but not submitted (e.g. when filling it failed). */
    void release(InputBatch batch);

    /** Waits for in-flight batches, then frees the engine's buffers and sessions. Idempotent. */
    @Override
    void close();
}

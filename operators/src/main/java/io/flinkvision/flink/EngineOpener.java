package io.flinkvision.flink;

import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Opens the {@link InferenceEngine} of one {@link GpuInferenceFunction} subtask in {@code open()}. The default is
 * {@link InferenceEngines#open(EngineSpec)} (the ServiceLoader factories: ONNX Runtime, TensorRT). Set another with
 * {@link GpuInferenceFunction.Builder#engineOpener(EngineOpener)} to plug in a runtime that is not a registered
 * factory, or a test engine (one that stalls or fails on purpose).
 *
 * <p>Serializable: it travels with the function to the TaskManagers, so implementations must not capture live
 * resources; they create them in {@link #open(EngineSpec)}.
 */
@PublicEvolving
@FunctionalInterface
public interface EngineOpener extends Serializable {
    /** The default: {@link InferenceEngines#open(EngineSpec)}. */
    EngineOpener DEFAULT = InferenceEngines::open;

    /**
     * Opens an engine for one subtask; the function's pipeline owns it and closes it in {@code close()}.
     *
     * @param spec the engine settings, with the device index already resolved
     * @return an opened engine
     */
    InferenceEngine open(EngineSpec spec);
}

package io.flinkvision.flink;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.postprocess.PostprocessConfig;
import org.apache.flink.annotation.Internal;
import org.apache.flink.configuration.ReadableConfig;

/**
 * Reads a configuration of {@link InferenceOptions} into the settings objects of the layers below Flink: the engine
 * spec, the micro-batch policy, the post-processing thresholds and the decode limits. Unset keys take the options'
 * defaults. Used by {@link GpuInferenceFunction.Builder#configure} and by the commands that run the pipeline without
 * Flink ({@code detect}, {@code benchmark}, {@code verify}), so that all of them read one set of keys.
 */
@Internal
public final class InferenceSettings {
    private InferenceSettings() {}

    /**
     * The engine spec of {@code conf}: model, backend, precision, batch and slot sizes, threads, device, engine caches
     * and every {@code inference.tensorrt.*} build setting.
     *
     * @return a builder, so that a caller can still adjust what is not an option (e.g. the opt batch size)
     * @throws IllegalArgumentException if a value cannot be parsed (Flink names the key)
     */
    public static EngineSpec.Builder engineSpec(ReadableConfig conf) {
        return EngineSpec.builder()
                .modelPath(conf.get(InferenceOptions.MODEL_PATH))
                .backend(conf.get(InferenceOptions.BACKEND))
                .precision(conf.get(InferenceOptions.PRECISION))
                .maxBatchSize(conf.get(InferenceOptions.MAX_BATCH_SIZE))
                .maxInFlight(conf.get(InferenceOptions.IN_FLIGHT))
                .intraOpThreads(conf.get(InferenceOptions.INTRA_OP_THREADS))
                .deviceIndex(conf.get(InferenceOptions.DEVICE_INDEX))
                .engineCacheDir(conf.get(InferenceOptions.ENGINE_CACHE_DIR))
                .sharedEngineCacheDir(conf.getOptional(InferenceOptions.ENGINE_CACHE_SHARED_DIR).orElse(null))
                .outputTopClasses(conf.get(InferenceOptions.OUTPUT_TOP_CLASSES))
                .cudaGraphs(conf.get(InferenceOptions.CUDA_GRAPHS))
                .tf32(conf.get(InferenceOptions.TF32))
                .workspaceBytes(conf.get(InferenceOptions.WORKSPACE_BYTES))
                .calibrationDir(conf.getOptional(InferenceOptions.CALIBRATION_DIR).orElse(null))
                .builderOptimizationLevel(conf.get(InferenceOptions.BUILDER_OPTIMIZATION_LEVEL))
                .inputType(conf.get(InferenceOptions.INPUT_TYPE))
                .int8QuantizeHead(conf.get(InferenceOptions.INT8_QUANTIZE_HEAD))
                .calibrationAlgorithm(conf.get(InferenceOptions.INT8_CALIBRATOR))
                .calibrationInput(conf.get(InferenceOptions.INT8_CALIBRATION_INPUT));
    }

    /**
     * The micro-batch policy of {@code conf}: {@link InferenceOptions#MAX_BATCH_SIZE} frames, at most
     * {@link InferenceOptions#MAX_QUEUE_DELAY_MS} ms of wait, {@link InferenceOptions#IN_FLIGHT} batches in flight.
     *
     * @throws IllegalArgumentException for a value out of range
     */
    public static BatchPolicy batchPolicy(ReadableConfig conf) {
        return new BatchPolicy(conf.get(InferenceOptions.MAX_BATCH_SIZE), conf.get(InferenceOptions.MAX_QUEUE_DELAY_MS),
                conf.get(InferenceOptions.IN_FLIGHT));
    }

    /** The score and NMS IoU thresholds of {@code conf} (at most {@link PostprocessConfig#DEFAULT}'s detections). */
    public static PostprocessConfig postprocess(ReadableConfig conf) {
        return new PostprocessConfig(conf.get(InferenceOptions.SCORE_THRESHOLD),
                conf.get(InferenceOptions.NMS_IOU_THRESHOLD), PostprocessConfig.DEFAULT.maxDetections());
    }

    /** The frame byte and pixel limits of {@code conf}. */
    public static DecodeLimits decodeLimits(ReadableConfig conf) {
        return new DecodeLimits(conf.get(InferenceOptions.MAX_FRAME_BYTES), conf.get(InferenceOptions.MAX_PIXELS));
    }
}

/**
 * The TensorRT backend: {@link io.flinkvision.engine.tensorrt.TrtEngineFactory} (the service),
 * {@link io.flinkvision.engine.tensorrt.TrtInferenceEngine} (one engine per task slot), its execution slots (an
 * execution context, CUDA streams and pinned/device buffers each, pooled by
 * {@link io.flinkvision.engine.SlotScheduler}), its benchmark probes ({@code TrtDeviceProbe}) and the per-process registry of deserialized engines.
 * Subpackages: {@code cuda} (CUDA runtime wrappers), {@code device} (nvJPEG decode and the NPP letterbox on the GPU),
 * {@code plan} (building, calibrating and caching serialized plans). The only package that imports TensorRT and CUDA.
 * Internal: open it through {@link io.flinkvision.engine.InferenceEngines}.
 *
 * Public API: none; its public types are {@code @Internal}, public for other packages of this project only.
 */
package io.flinkvision.engine.tensorrt;

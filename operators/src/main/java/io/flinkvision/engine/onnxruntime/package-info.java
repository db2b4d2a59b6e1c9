/**
 * The ONNX Runtime backend (CPU, or CUDA where ONNX Runtime has it): the reference engine of {@code verify} and
 * the default where no GPU is present. Internal: open it through {@link io.flinkvision.engine.InferenceEngines}.
 *
 * Public API: none; its public types are {@code @Internal}, public for other packages of this project only.
 */
package io.flinkvision.engine.onnxruntime;

/**
 * CUDA runtime wrappers with owned lifetimes: {@link io.flinkvision.engine.tensorrt.cuda.Cuda} (calls and error
 * checks naming the device), streams, events, device and pinned host buffers. The bottom of {@code engine.tensorrt}:
 * imports no other subpackage. Internal.
 *
 * Public API: none; its public types are {@code @Internal}, public for other packages of this project only.
 */
package io.flinkvision.engine.tensorrt.cuda;

/**
 * Pre-processing on the GPU: JPEG decode with nvJPEG ({@link io.flinkvision.engine.tensorrt.device.DeviceJpegDecoder})
 * and the letterbox with NPP and a CUDA kernel ({@link io.flinkvision.engine.tensorrt.device.DeviceLetterbox}), writing
 * the engine's NCHW input in place. Imports {@code cuda} and {@code imaging}'s geometry. Internal.
 *
 * Public API: none; its public types are {@code @Internal}, public for other packages of this project only.
 */
package io.flinkvision.engine.tensorrt.device;

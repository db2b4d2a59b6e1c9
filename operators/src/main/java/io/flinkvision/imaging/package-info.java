/**
 * Host-side image work: header probes and decode limits before any pixel is decoded
 * ({@link io.flinkvision.imaging.ImageHeaderProbe}, {@link io.flinkvision.imaging.DecodeLimits}), decoding with OpenCV
 * ({@link io.flinkvision.imaging.ImageDecoder}), the YOLOX letterbox ({@link io.flinkvision.imaging.Letterbox}) and the
 * NCHW fill ({@link io.flinkvision.imaging.TensorLayout}). Imports {@code frame} and {@code tensor} only.
 */
package io.flinkvision.imaging;

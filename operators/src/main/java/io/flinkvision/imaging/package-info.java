/**
 * Host-side image work: the one magic-byte test of JPEG and PNG ({@link io.flinkvision.imaging.ImageSignature}),
 * header probes and decode limits before any pixel is decoded ({@link io.flinkvision.imaging.ImageHeaderProbe},
 * {@link io.flinkvision.imaging.DecodeLimits}), decoding with OpenCV ({@link io.flinkvision.imaging.ImageDecoder}), the
 * YOLOX letterbox ({@link io.flinkvision.imaging.Letterbox}), the NCHW fill ({@link io.flinkvision.imaging.TensorLayout})
 * and OpenCV's thread pool ({@link io.flinkvision.imaging.OpenCvThreads}). The only layer of the operator path that
 * calls OpenCV ({@code org.bytedeco.opencv}): {@code pipeline}, {@code batching} and {@code flink} go through it.
 * Imports {@code frame} and {@code tensor} only.
 *
 * Public API ({@code @PublicEvolving}): {@code DecodeLimits}; the other public types are {@code @Internal}.
 */
package io.flinkvision.imaging;

/**
 * YOLOX output decoding: anchors and strides to boxes ({@link io.flinkvision.postprocess.YoloxDecoder}),
 * class-aware NMS ({@link io.flinkvision.postprocess.Nms}) and the mapping of boxes back to source pixels
 * ({@link io.flinkvision.postprocess.YoloxPostprocessor}). Imports {@code tensor} and {@code detection} only.
 *
 * Public API ({@code @PublicEvolving}): {@code PostprocessConfig}; the other public types are {@code @Internal}.
 */
package io.flinkvision.postprocess;

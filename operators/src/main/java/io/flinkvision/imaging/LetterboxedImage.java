package io.flinkvision.imaging;

/**
 * A frame after letterboxing: the model-input-sized BGR image and the geometry needed to map boxes back.
 *
 * @param chw {@code 3 * height * width} bytes: planar (CHW) B, G, R planes, each row-major, padded with 114 right of
 *     and below the resized image. Planar already, so that filling an engine's NCHW batch is a bulk copy (uint8) or a
 *     plain widening (float32) and the per-pixel work stays on the pre-processing threads.
 * @param width model input width in pixels (e.g. 416)
 * @param height model input height in pixels (e.g. 416)
 * @param scale the letterbox scale {@code r = min(height/srcH, width/srcW)}; source pixel = input pixel / r
 * @param sourceWidth width of the original image in pixels
 * @param sourceHeight height of the original image in pixels
 */
public record LetterboxedImage(byte[] chw, int width, int height, double scale, int sourceWidth, int sourceHeight) {
}

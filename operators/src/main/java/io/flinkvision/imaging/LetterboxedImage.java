package io.flinkvision.imaging;

/**
 * A frame after letterboxing: the model-input-sized BGR image and the geometry needed to map boxes back.
 *
 * @param hwc {@code height * width * 3} bytes, BGR, row-major (HWC), padded with 114 right and below the resized image
 * @param width model input width in pixels (e.g. 416)
 * @param height model input height in pixels (e.g. 416)
 * @param scale the letterbox scale {@code r = min(height/srcH, width/srcW)}; source pixel = input pixel / r
 * @param sourceWidth width of the original image in pixels
 * @param sourceHeight height of the original image in pixels
 */
public record LetterboxedImage(byte[] hwc, int width, int height, double scale, int sourceWidth, int sourceHeight) {
}

package io.flinkvision.jobs.producer;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;

/** OpenCV JPEG encoder with a reusable parameter block. Not thread-safe: one per encode thread. */
final class JpegEncoder implements AutoCloseable {
    private final IntPointer params;

    /** @param quality OpenCV JPEG quality, 1 to 100 */
    JpegEncoder(int quality) {
        this.params = new IntPointer(IMWRITE_JPEG_QUALITY, quality);
    }

    /**
     * Encodes an 8-bit BGR (or gray) image.
     *
     * @return the JPEG bytes, or null when OpenCV cannot encode this image
     */
    byte[] encode(Mat bgr) {
        try (BytePointer out = new BytePointer()) {
            if (!imencode(".jpg", bgr, out, params) || out.limit() <= 0) {
                return null;
            }
            byte[] bytes = new byte[(int) out.limit()];
            out.get(bytes);
            return bytes;
        }
    }

    @Override
    public void close() {
        params.close();
    }
}

package io.flinkvision.imaging;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

/** Encoded test images for the bad-input cases: a 1x1 image and a JPEG whose header lies about its size. */
public final class TestImages {
    private TestImages() {}

    /** A 1x1 BGR image (40, 80, 120) encoded by OpenCV; {@code ext} is {@code .jpg} or {@code .png}. */
    public static byte[] onePixel(String ext) {
        try (Mat m = new Mat(1, 1, opencv_core.CV_8UC3, new Scalar(40, 80, 120, 0));
                BytePointer out = new BytePointer()) {
            opencv_imgcodecs.imencode(ext, m, out);
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }

    /**
     * A copy of a baseline JPEG whose SOF0 frame header declares {@code w x h} pixels; the scan data is unchanged.
     *
     * @throws AssertionError if the JPEG has no SOF0 marker
     */
    public static byte[] declaring(byte[] jpeg, int w, int h) {
        byte[] forged = jpeg.clone();
        for (int k = 2; k < forged.length - 9; k++) {
            if ((forged[k] & 0xFF) == 0xFF && (forged[k + 1] & 0xFF) == 0xC0) {
                forged[k + 5] = (byte) (h >> 8);
                forged[k + 6] = (byte) h;
                forged[k + 7] = (byte) (w >> 8);
                forged[k + 8] = (byte) w;
                return forged;
            }
        }
        throw new AssertionError("no SOF0 marker in the JPEG");
    }
}

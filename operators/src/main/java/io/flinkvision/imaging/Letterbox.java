package io.flinkvision.imaging;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.util.Arrays;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * YOLOX letterbox: scale the image by {@code r = min(H/h, W/w)} to {@code (int(w*r), int(h*r))} with bilinear
 * interpolation (OpenCV {@code INTER_LINEAR}), paste it at the <b>top-left</b> of an {@code H x W} canvas filled with
 * 114. Source: YOLOX {@code yolox/data/data_augment.py} {@code preproc()}, as specified in {@code models/MODELS.md}.
 * Because the paste is top-left there is no offset on the way back: source coordinate = input coordinate / r.
 */
public final class Letterbox {
    /** Pad value of the YOLOX reference pre-processing. */
    public static final int PAD_VALUE = 114;

    private final int width;
    private final int height;

    /**
     * @param width model input width in pixels
     * @param height model input height in pixels
     */
    public Letterbox(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("letterbox size must be positive, got " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
    }

    /** The scale {@code r = min(H/srcH, W/srcW)} for a source image (double precision, as Python computes it). */
    public double scaleFor(int sourceWidth, int sourceHeight) {
        return Math.min((double) height / sourceHeight, (double) width / sourceWidth);
    }

    /** Size in pixels of the resized image inside the canvas: {@code (int(srcW*r), int(srcH*r))}, at least 1x1. */
    public int[] resizedSize(int sourceWidth, int sourceHeight) {
        double r = scaleFor(sourceWidth, sourceHeight);
        return new int[] {Math.max(1, (int) (sourceWidth * r)), Math.max(1, (int) (sourceHeight * r))};
    }

    /**
     * Letterboxes a BGR {@code CV_8UC3} image.
     *
     * @param bgr source image, {@code h x w x 3}; not modified, not closed
     * @return the letterboxed HWC bytes and geometry
     */
    public LetterboxedImage apply(Mat bgr) {
        int sw = bgr.cols();
        int sh = bgr.rows();
        double r = scaleFor(sw, sh);
        int[] nwh = resizedSize(sw, sh);
        int nw = Math.min(nwh[0], width);
        int nh = Math.min(nwh[1], height);
        byte[] out = new byte[width * height * 3];
        Arrays.fill(out, (byte) PAD_VALUE);
        try (Mat resized = new Mat()) {
            if (nw == sw && nh == sh) {
                copyRows(bgr, out, nw, nh);
            } else {
                resize(bgr, resized, new Size(nw, nh), 0, 0, INTER_LINEAR);
                copyRows(resized, out, nw, nh);
            }
        }
        return new LetterboxedImage(out, width, height, r, sw, sh);
    }

    private void copyRows(Mat src, byte[] out, int nw, int nh) {
        int rowBytes = nw * 3;
        long step = src.step();
        if (src.isContinuous() && step == rowBytes && nw == width) {
            src.data().get(out, 0, rowBytes * nh);
            return;
        }
        for (int y = 0; y < nh; y++) {
            src.data().position(y * step).get(out, y * width * 3, rowBytes);
        }
        src.data().position(0);
    }
}

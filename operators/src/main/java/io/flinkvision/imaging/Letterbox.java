package io.flinkvision.imaging;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
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
     * Letterboxes a BGR {@code CV_8UC3} image into planar CHW bytes.
     *
     * @param bgr source image, {@code h x w x 3}; not modified, not closed
     * @return the letterboxed CHW bytes and geometry
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
        if (nw == sw && nh == sh) {
            scatterRows(bgr, out, nw, nh);
        } else {
            try (Mat resized = new Mat(); Size size = new Size(nw, nh)) {
                resize(bgr, resized, size, 0, 0, INTER_LINEAR);
                scatterRows(resized, out, nw, nh);
            }
        }
        return new LetterboxedImage(out, width, height, r, sw, sh);
    }

    /** Copies the {@code nw x nh} BGR pixels of {@code src} into the top-left of the three planes of {@code out}. */
    private void scatterRows(Mat src, byte[] out, int nw, int nh) {
        int plane = width * height;
        byte[] row = new byte[nw * 3];
        long step = src.step();
        BytePointer data = src.data();
        for (int y = 0; y < nh; y++) {
            data.position(y * step).get(row, 0, row.length);
            int o = y * width;
            for (int x = 0, s = 0; x < nw; x++, s += 3, o++) {
                out[o] = row[s];
                out[plane + o] = row[s + 1];
                out[2 * plane + o] = row[s + 2];
            }
        }
        data.position(0);
    }
}

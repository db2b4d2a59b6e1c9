package io.flinkvision.imaging;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.split;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
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
    /** Per-thread native CHW canvas (3*H*W bytes), reused for every frame the thread letterboxes. */
    private final ThreadLocal<BytePointer> canvas = new ThreadLocal<>();

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
     * Letterboxes a BGR {@code CV_8UC3} image into planar CHW bytes: OpenCV {@code resize} then {@code split} straight
     * into the B, G and R planes of a per-thread native canvas pre-filled with 114, then one bulk copy out.
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
        int plane = width * height;
        BytePointer canvas = canvas();
        canvas.position(0).limit(3L * plane).fill(PAD_VALUE);
        try (MatVector planes = new MatVector(3)) {
            for (int c = 0; c < 3; c++) {
                planes.put(c, new Mat(nh, nw, CV_8UC1, new BytePointer(canvas).position((long) c * plane), width));
            }
            if (nw == sw && nh == sh) {
                split(bgr, planes);
            } else {
                try (Mat resized = new Mat(); Size size = new Size(nw, nh)) {
                    resize(bgr, resized, size, 0, 0, INTER_LINEAR);
                    split(resized, planes);
                }
            }
            for (int c = 0; c < 3; c++) {
                if (planes.get(c).data().address() != canvas.address() + (long) c * plane) {
                    throw new IllegalStateException("OpenCV reallocated a letterbox plane");
                }
            }
        }
        byte[] out = new byte[3 * plane];
        canvas.position(0).get(out);
        return new LetterboxedImage(out, width, height, r, sw, sh);
    }

    private BytePointer canvas() {
        BytePointer c = canvas.get();
        if (c == null) {
            c = new BytePointer(3L * width * height);
            canvas.set(c);
        }
        return c;
    }
}

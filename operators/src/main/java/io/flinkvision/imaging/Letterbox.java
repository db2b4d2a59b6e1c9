package io.flinkvision.imaging;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.split;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import io.flinkvision.tensor.SourceBatch;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.IntConsumer;
import org.apache.flink.annotation.Internal;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * YOLOX letterbox: scale the image by {@code r = min(H/h, W/w)} to {@code (int(w*r), int(h*r))} with bilinear
 * interpolation (OpenCV {@code INTER_LINEAR}), paste it at the <b>top-left</b> of an {@code H x W} canvas filled with
 * 114. Source: YOLOX {@code yolox/data/data_augment.py} {@code preproc()}, as specified in {@code models/MODELS.md}.
 * Because the paste is top-left there is no offset on the way back: source coordinate = input coordinate / r.
 *
 * <p>Memory: each result lives in a native canvas ({@code 3*H*W} bytes) taken from a pool and given back by
 * {@link LetterboxedImage#close()}, so a frame costs no Java allocation of its pixels (a 519 KB {@code byte[]} per
 * 416x416 frame was, with its zeroing and copy, as costly as the resize on 16 busy cores). A canvas is re-padded only
 * when the resized size differs from the last frame it held. The resize output is a per-thread scratch image.
 * Thread-safe.
 */
@Internal
public final class Letterbox implements AutoCloseable {
    /** Pad value of the YOLOX reference pre-processing. */
    public static final int PAD_VALUE = 114;

    private final int width;
    private final int height;
    private final ConcurrentLinkedQueue<Canvas> pool = new ConcurrentLinkedQueue<>();
    /** Per-thread resize output, reused while the source size stays the same. */
    private final ThreadLocal<Mat> resizedScratch = ThreadLocal.withInitial(Mat::new);
    private volatile boolean closed;

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
     * into the B, G and R planes of a pooled native canvas whose padding is 114.
     *
     * @param bgr source image, {@code h x w x 3}; not modified, not closed
     * @return the letterboxed image; close it once its bytes are copied into a batch
     */
    public LetterboxedImage apply(Mat bgr) {
        int sw = bgr.cols();
        int sh = bgr.rows();
        double r = scaleFor(sw, sh);
        int[] nwh = resizedSize(sw, sh);
        int nw = Math.min(nwh[0], width);
        int nh = Math.min(nwh[1], height);
        int plane = width * height;
        Canvas canvas = pool.poll();
        if (canvas == null) {
            canvas = new Canvas(3L * plane);
        }
        if (canvas.paddedW != nw || canvas.paddedH != nh) {
            canvas.bytes.position(0).limit(3L * plane).fill(PAD_VALUE);
            canvas.paddedW = nw;
            canvas.paddedH = nh;
        }
        try (MatVector planes = new MatVector(3)) {
            for (int c = 0; c < 3; c++) {
                planes.put(c, canvas.planes[c].rows() == nh && canvas.planes[c].cols() == nw ? canvas.planes[c]
                        : canvas.plane(c, nw, nh, width, plane));
            }
            if (nw == sw && nh == sh) {
                split(bgr, planes);
            } else {
                Mat resized = resizedScratch.get();
                try (Size size = new Size(nw, nh)) {
                    resize(bgr, resized, size, 0, 0, INTER_LINEAR);
                }
                split(resized, planes);
            }
            for (int c = 0; c < 3; c++) {
                if (planes.get(c).data().address() != canvas.bytes.address() + (long) c * plane) {
                    throw new IllegalStateException("OpenCV reallocated a letterbox plane");
                }
            }
        }
        Canvas lent = canvas;
        return new LetterboxedImage(canvas.view, width, height, r, sw, sh, () -> giveBack(lent));
    }

    /** Runs {@code body} for indices {@code 0..n-1}, sequentially or in parallel (the caller's choice). */
    public interface IndexLoop {
        /** Indices in order on the calling thread. */
        IndexLoop SEQUENTIAL = (n, body) -> {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
        };

        void run(int n, IntConsumer body);
    }

    /**
     * Stages frames for letterboxing on a device: packs their pixels into the batch's staging at
     * {@link SourceBatch#ALIGNMENT}-aligned offsets, and after them the JPEG files of {@link SourceImage#isJpeg()}
     * frames (for an engine that decodes them on its device); the copies run through {@code loop} (they touch disjoint
     * ranges). Records each one's source size and letterboxed size ({@link #resizedSize}, at most the model input).
     * Image {@code i} of the batch is {@code images.get(i)} whatever its place in the staging.
     *
     * @param images the batch's frames, in order
     * @param batch the execution slot's source batch
     * @param loop how to run the copies ({@link IndexLoop#SEQUENTIAL} for one thread)
     * @throws IllegalArgumentException if the frames do not fit in one staging buffer
     */
    public void stage(List<SourceImage> images, SourceBatch batch, IndexLoop loop) {
        int n = images.size();
        long[] offsets = new long[n];
        long total = 0;
        long pixelBytes = 0;
        for (int pass = 0; pass < 2; pass++) { // pixels first, then JPEG files
            for (int i = 0; i < n; i++) {
                if (images.get(i).isJpeg() == (pass == 1)) {
                    offsets[i] = total;
                    total += SourceBatch.align(images.get(i).stagedBytes());
                }
            }
            if (pass == 0) {
                pixelBytes = total;
            }
        }
        batch.reserve(total, pixelBytes);
        ByteBuffer staging = batch.staging();
        loop.run(n, i -> images.get(i).copyTo(staging, (int) offsets[i]));
        for (int i = 0; i < n; i++) {
            SourceImage src = images.get(i);
            int[] resized = resizedSize(src.width(), src.height());
            int rw = Math.min(resized[0], width);
            int rh = Math.min(resized[1], height);
            if (src.isJpeg()) {
                batch.setJpeg(i, offsets[i], Math.toIntExact(src.stagedBytes()), src.width(), src.height(), rw, rh);
            } else {
                batch.set(i, offsets[i], src.width(), src.height(), rw, rh);
            }
        }
    }

    private void giveBack(Canvas c) {
        if (closed) {
            c.free();
        } else {
            pool.add(c);
        }
    }

    /** Canvases waiting in the pool (for tests and metrics). */
    public int pooledCanvases() {
        return pool.size();
    }

    /** Frees the pooled canvases; canvases still lent are freed when given back. */
    @Override
    public void close() {
        closed = true;
        Canvas c;
        while ((c = pool.poll()) != null) {
            c.free();
        }
    }

    /** A native CHW canvas, its direct-buffer view, its three plane headers, and the resized size its padding fits. */
    private static final class Canvas {
        final BytePointer bytes;
        final ByteBuffer view;
        final Mat[] planes = {new Mat(), new Mat(), new Mat()};
        int paddedW = -1;
        int paddedH = -1;

        Canvas(long size) {
            bytes = new BytePointer(size);
            view = bytes.position(0).limit(size).asByteBuffer();
        }

        /** Plane {@code c} as an {@code nh x nw} CV_8UC1 header over the canvas, row stride {@code width}. */
        Mat plane(int c, int nw, int nh, int width, int plane) {
            planes[c].close();
            planes[c] = new Mat(nh, nw, CV_8UC1, new BytePointer(bytes).position((long) c * plane), width);
            return planes[c];
        }

        void free() {
            for (Mat m : planes) {
                m.close();
            }
            bytes.close();
        }
    }
}

package io.flinkvision.imaging;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.nio.ByteBuffer;
import org.apache.flink.annotation.Internal;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A frame before letterboxing, for an engine that letterboxes on its device. Either decoded pixels,
 * {@code height x width x 3} bytes, BGR interleaved (HWC, OpenCV {@code CV_8UC3} order), rows packed, backed by a
 * {@code raw-bgr} payload as it came from Kafka (no copy) or by an OpenCV image decoded from JPEG/PNG (owned, freed by
 * {@link #close()}); or ({@link #isJpeg()}) a baseline JPEG file as it came from Kafka, left for the engine to decode
 * on its device (nvJPEG), whose pixels will have that layout.
 */
@Internal
public final class SourceImage implements AutoCloseable {
    private final byte[] array;
    private final Mat mat;
    private final int width;
    private final int height;
    private final boolean jpeg;

    private SourceImage(byte[] array, Mat mat, int width, int height, boolean jpeg) {
        this.array = array;
        this.mat = mat;
        this.width = width;
        this.height = height;
        this.jpeg = jpeg;
    }

    /**
     * Wraps a JPEG file, not decoded, for an engine that decodes JPEG on its device.
     *
     * @param jpeg the datastream, SOI to EOI and nothing after it ({@link ImageHeaderProbe#jpegLength}), checked by
     *     {@link ImageHeaderProbe#probeJpegFrame}
     * @param width width from its frame header, pixels
     * @param height height from its frame header, pixels
     * @throws IllegalArgumentException if the file is empty or a size is not positive
     */
    public static SourceImage ofJpeg(byte[] jpeg, int width, int height) {
        if (width < 1 || height < 1 || jpeg.length == 0) {
            throw new IllegalArgumentException("a JPEG of " + width + "x" + height + " in " + jpeg.length
                    + " bytes cannot be staged");
        }
        return new SourceImage(jpeg, null, width, height, true);
    }

    /**
     * Wraps packed BGR bytes without copying them.
     *
     * @param bgr exactly {@code width * height * 3} bytes
     * @throws IllegalArgumentException if the length does not match
     */
    public static SourceImage ofBgr(byte[] bgr, int width, int height) {
        if (width < 1 || height < 1 || bgr.length != (long) width * height * 3) {
            throw new IllegalArgumentException(width + "x" + height + " BGR needs " + (long) width * height * 3
                    + " bytes, got " + bgr.length);
        }
        return new SourceImage(bgr, null, width, height, false);
    }

    /**
     * Takes ownership of a continuous {@code CV_8UC3} image.
     *
     * @throws IllegalArgumentException if the image is not continuous 8-bit BGR
     */
    public static SourceImage ofMat(Mat bgr) {
        if (bgr.type() != CV_8UC3 || !bgr.isContinuous() || bgr.empty()) {
            throw new IllegalArgumentException("need a continuous CV_8UC3 image, got type " + bgr.type()
                    + (bgr.isContinuous() ? "" : " (not continuous)"));
        }
        return new SourceImage(null, bgr, bgr.cols(), bgr.rows(), false);
    }

    /** Width in pixels. */
    public int width() {
        return width;
    }

    /** Height in pixels. */
    public int height() {
        return height;
    }

    /** Size of the decoded pixels: {@code width * height * 3} bytes. */
    public long bytes() {
        return (long) width * height * 3;
    }

    /** Whether this is a JPEG file for the device to decode (else decoded pixels). */
    public boolean isJpeg() {
        return jpeg;
    }

    /** Bytes {@link #copyTo} writes: the JPEG file's length, or {@link #bytes()} for pixels. */
    public long stagedBytes() {
        return jpeg ? array.length : bytes();
    }

    /**
     * Copies the pixels (or the JPEG file) into {@code dst} at {@code offset} (absolute: the buffer's position is not
     * used or changed, so several threads may copy into disjoint ranges of one buffer).
     *
     * @throws IndexOutOfBoundsException if they do not fit
     */
    public void copyTo(ByteBuffer dst, int offset) {
        int n = Math.toIntExact(stagedBytes());
        if (array != null) {
            dst.put(offset, array, 0, n);
        } else {
            dst.put(offset, mat.data().capacity(n).asByteBuffer(), 0, n);
        }
    }

    /** Frees the decoded image (nothing for a wrapped payload). Idempotent. */
    @Override
    public void close() {
        if (mat != null) {
            mat.close();
        }
    }
}

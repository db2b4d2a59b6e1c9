package io.flinkvision.pipeline;

import io.flinkvision.frame.Frame;
import io.flinkvision.imaging.LetterboxedImage;
import io.flinkvision.imaging.SourceImage;

/**
 * A frame ready for a micro-batch: letterboxed on the host ({@link #image()}, planar {@code 3 x H x W} at the model
 * input size) or only decoded for the engine's device letterbox ({@link #source()}: BGR pixels or a staged JPEG
 * file), with the letterbox geometry that maps its boxes back to source pixels. Exactly one of the two is set.
 */
final class PreparedFrame {
    private final Frame frame;
    private final long enteredNanos;
    private final LetterboxedImage image;
    private final SourceImage source;
    private final double scale;
    private final int sourceWidth;
    private final int sourceHeight;
    private final boolean retried;

    private PreparedFrame(Frame frame, long enteredNanos, LetterboxedImage image, SourceImage source, double scale,
            int sourceWidth, int sourceHeight, boolean retried) {
        this.frame = frame;
        this.enteredNanos = enteredNanos;
        this.image = image;
        this.source = source;
        this.scale = scale;
        this.sourceWidth = sourceWidth;
        this.sourceHeight = sourceHeight;
        this.retried = retried;
    }

    /**
     * A frame letterboxed on the host.
     *
     * @param retried whether this is the CPU retry of a frame whose batch the device's JPEG decoder refused
     */
    static PreparedFrame letterboxed(Frame frame, long enteredNanos, LetterboxedImage image, boolean retried) {
        return new PreparedFrame(frame, enteredNanos, image, null, image.scale(), image.sourceWidth(),
                image.sourceHeight(), retried);
    }

    /**
     * A frame decoded (or a JPEG staged) for the engine's letterbox.
     *
     * @param scale the letterbox scale {@code r} of its source size ({@code Letterbox#scaleFor})
     */
    static PreparedFrame forDevice(Frame frame, long enteredNanos, SourceImage source, double scale) {
        return new PreparedFrame(frame, enteredNanos, null, source, scale, source.width(), source.height(), false);
    }

    Frame frame() {
        return frame;
    }

    /** When the frame entered the pipeline, {@link System#nanoTime()}. */
    long enteredNanos() {
        return enteredNanos;
    }

    /** The host-letterboxed image, or null when the device letterboxes this frame. */
    LetterboxedImage image() {
        return image;
    }

    /** The decoded image or staged JPEG for the device letterbox, or null when letterboxed on the host. */
    SourceImage source() {
        return source;
    }

    /** Whether the engine's device decodes this frame's JPEG file. */
    boolean isDeviceJpeg() {
        return source != null && source.isJpeg();
    }

    /** The letterbox scale {@code r}: source pixel = input pixel / r. */
    double scale() {
        return scale;
    }

    /** Source image width, pixels. */
    int sourceWidth() {
        return sourceWidth;
    }

    /** Source image height, pixels. */
    int sourceHeight() {
        return sourceHeight;
    }

    /** Whether this is the CPU retry of a frame whose batch the device's JPEG decoder refused. */
    boolean retried() {
        return retried;
    }

    /** Gives back the letterbox canvas or frees the decoded image. Idempotent. */
    void release() {
        if (image != null) {
            image.close();
        }
        if (source != null) {
            source.close();
        }
    }
}

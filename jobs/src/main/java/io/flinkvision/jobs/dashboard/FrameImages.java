package io.flinkvision.jobs.dashboard;

import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Optional;
import javax.imageio.ImageIO;

/** Turns a frame's payload into something a browser can draw (JPEG and PNG as they are, raw BGR re-encoded). */
final class FrameImages {
    private FrameImages() {}

    /**
     * @return the image with its content type, or null when the encoding is unknown or a raw frame's size does not
     *     match its declared width and height
     */
    static DashboardState.FrameImage toBrowserImage(Frame frame) {
        Optional<FrameEncoding> encoding = FrameEncoding.fromWireName(frame.getEncoding());
        if (encoding.isEmpty()) {
            return null;
        }
        switch (encoding.get()) {
            case JPEG:
                return new DashboardState.FrameImage(frame.getCameraId(), frame.getFrameIndex(), "image/jpeg",
                        frame.getPayload());
            case PNG:
                return new DashboardState.FrameImage(frame.getCameraId(), frame.getFrameIndex(), "image/png",
                        frame.getPayload());
            case RAW_BGR:
                byte[] jpeg = rawBgrToJpeg(frame.getPayload(), frame.getWidth(), frame.getHeight());
                return jpeg == null ? null
                        : new DashboardState.FrameImage(frame.getCameraId(), frame.getFrameIndex(), "image/jpeg", jpeg);
            default:
                return null;
        }
    }

    private static byte[] rawBgrToJpeg(byte[] bgr, int width, int height) {
        if (width <= 0 || height <= 0 || (long) width * height * 3 != bgr.length) {
            return null;
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        System.arraycopy(bgr, 0, ((DataBufferByte) image.getRaster().getDataBuffer()).getData(), 0, bgr.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(bgr.length / 8);
        try {
            return ImageIO.write(image, "jpeg", out) ? out.toByteArray() : null;
        } catch (IOException e) {
            return null;
        }
    }
}

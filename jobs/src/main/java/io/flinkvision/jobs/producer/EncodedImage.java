package io.flinkvision.jobs.producer;

import io.flinkvision.frame.FrameEncoding;

/**
 * A frame ready to send, or the reason it cannot be sent.
 *
 * @param bytes encoded image (JPEG or PNG), null when skipped
 * @param encoding encoding of {@code bytes}, null when skipped
 * @param width image width in pixels
 * @param height image height in pixels
 * @param captureTimestampMs wall-clock milliseconds when the frame was read from the source
 * @param skipReason why the frame is not sent, null when it is
 */
record EncodedImage(byte[] bytes, FrameEncoding encoding, int width, int height, long captureTimestampMs,
        String skipReason) {

    static EncodedImage of(byte[] bytes, FrameEncoding encoding, int width, int height, long captureTimestampMs) {
        return new EncodedImage(bytes, encoding, width, height, captureTimestampMs, null);
    }

    static EncodedImage skipped(String reason) {
        return new EncodedImage(null, null, 0, 0, 0, reason);
    }

    boolean isSkipped() {
        return skipReason != null;
    }
}

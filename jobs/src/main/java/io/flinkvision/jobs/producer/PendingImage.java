package io.flinkvision.jobs.producer;

/** A frame read from a source that still needs its (CPU-heavy) encoding or check; runs on an encode thread. */
interface PendingImage {
    /**
     * Encodes or checks the frame.
     *
     * @param encoder the calling thread's JPEG encoder
     * @return the frame to send, or a skipped one with the reason
     */
    EncodedImage encode(JpegEncoder encoder);
}

package io.flinkvision.jobs.producer;

import io.flinkvision.frame.FrameEncoding;

/** Image formats from their magic bytes. */
final class ImageFormats {
    private ImageFormats() {}

    /**
     * JPEG ({@code FF D8 FF}) or PNG ({@code 89 'PNG' 0D 0A 1A 0A}) from the first bytes.
     *
     * @return the encoding, or null for anything else
     */
    static FrameEncoding sniff(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) {
            return FrameEncoding.JPEG;
        }
        if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == 0x0D
                && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A) {
            return FrameEncoding.PNG;
        }
        return null;
    }
}

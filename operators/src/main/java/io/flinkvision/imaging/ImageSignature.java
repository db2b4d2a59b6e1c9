package io.flinkvision.imaging;

import io.flinkvision.frame.FrameEncoding;
import java.util.Optional;
import org.apache.flink.annotation.Internal;

/**
 * The one magic-byte test of the project: whether bytes start as a JPEG or a PNG file. The rules are the signatures
 * by which OpenCV's {@code imdecode} picks its codec, so that a file called JPEG or PNG here is one that decoder takes
 * as such:
 *
 * <ul>
 *   <li>JPEG: {@code FF D8 FF}, the SOI marker (ITU T.81 B.1.1.3) and the {@code FF} of the marker after it;</li>
 *   <li>PNG: the whole 8-byte signature {@code 89 50 4E 47 0D 0A 1A 0A} (RFC 2083 3.1).</li>
 * </ul>
 *
 * Only the first bytes are read; whether the file is complete is {@link ImageHeaderProbe}'s job. Thread-safe
 * (stateless).
 */
@Internal
public final class ImageSignature {
    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private ImageSignature() {}

    /** Whether {@code bytes} start with the JPEG signature {@code FF D8 FF}; false for null or shorter input. */
    public static boolean isJpeg(byte[] bytes) {
        return startsWith(bytes, JPEG);
    }

    /** Whether {@code bytes} start with the 8-byte PNG signature; false for null or shorter input. */
    public static boolean isPng(byte[] bytes) {
        return startsWith(bytes, PNG);
    }

    /**
     * The encoding the first bytes announce.
     *
     * @return {@link FrameEncoding#JPEG}, {@link FrameEncoding#PNG}, or empty for anything else (including
     *     {@code raw-bgr}, which has no signature)
     */
    public static Optional<FrameEncoding> of(byte[] bytes) {
        if (isJpeg(bytes)) {
            return Optional.of(FrameEncoding.JPEG);
        }
        if (isPng(bytes)) {
            return Optional.of(FrameEncoding.PNG);
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] bytes, byte[] signature) {
        if (bytes == null || bytes.length < signature.length) {
            return false;
        }
        for (int i = 0; i < signature.length; i++) {
            if (bytes[i] != signature[i]) {
                return false;
            }
        }
        return true;
    }
}

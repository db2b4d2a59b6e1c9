package io.flinkvision.jobs.detect;

import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.imaging.ImageSignature;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** Guesses a frame encoding for an image file. */
final class ImageFiles {
    private ImageFiles() {}

    /**
     * The encoding by magic bytes ({@link ImageSignature}: JPEG {@code FF D8 FF}, the 8-byte PNG signature), else by
     * file extension; an unrecognised file gets its extension as encoding name, which the pipeline reports as
     * {@code unknown-encoding}.
     */
    static String sniffEncoding(byte[] bytes, Path p) {
        Optional<FrameEncoding> signed = ImageSignature.of(bytes);
        if (signed.isPresent()) {
            return signed.get().wireName();
        }
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        return FrameEncoding.fromWireName(ext).map(FrameEncoding::wireName).orElse(ext.isEmpty() ? "unknown" : ext);
    }
}

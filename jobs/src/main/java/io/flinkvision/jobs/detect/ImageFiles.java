package io.flinkvision.jobs.detect;

import io.flinkvision.frame.FrameEncoding;
import java.nio.file.Path;
import java.util.Locale;

/** Guesses a frame encoding for an image file. */
final class ImageFiles {
    private ImageFiles() {}

    /**
     * The encoding by magic bytes (JPEG {@code FF D8}, PNG signature), else by file extension; an unrecognised file
     * gets its extension as encoding name, which the pipeline reports as {@code unknown-encoding}.
     */
    static String sniffEncoding(byte[] bytes, Path p) {
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8) {
            return FrameEncoding.JPEG.wireName();
        }
        if (bytes.length >= 4 && (bytes[0] & 0xFF) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G') {
            return FrameEncoding.PNG.wireName();
        }
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        return FrameEncoding.fromWireName(ext).map(FrameEncoding::wireName).orElse(ext.isEmpty() ? "unknown" : ext);
    }
}

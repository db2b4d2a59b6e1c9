package io.flinkvision.verification;

import io.flinkvision.frame.InvalidFrameException;
import io.flinkvision.imaging.ImageDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.flink.annotation.Internal;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * One encoded frame a verification runs on (a JPEG/PNG file of a folder or a bundled resource): its name and bytes.
 * The one reader of frame folders for {@code verify} and the serving verification.
 *
 * @param name file name, e.g. {@code vtest_000.jpg}; its extension picks the encoding ({@code .png} PNG, else JPEG)
 * @param bytes the encoded file
 */
@Internal
public record FrameFile(String name, byte[] bytes) {

    /**
     * Reads up to {@code max} images of a folder: its {@code .jpg}, {@code .jpeg} and {@code .png} entries (any case),
     * sorted by name.
     *
     * @return the frames, empty when the folder holds none
     * @throws IOException if the folder cannot be listed, or an image cannot be read (the message names it)
     */
    public static List<FrameFile> readFolder(Path dir, long max) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$"))
                    .sorted().limit(max).toList();
        }
        List<FrameFile> frames = new ArrayList<>(files.size());
        for (Path p : files) {
            try {
                frames.add(new FrameFile(p.getFileName().toString(), Files.readAllBytes(p)));
            } catch (IOException e) {
                throw new IOException("cannot use image " + p + ": " + e.getMessage(), e);
            }
        }
        return frames;
    }

    /**
     * Decodes the frame to BGR pixels as the operator decodes frames; the caller closes the result.
     *
     * @throws InvalidFrameException if the bytes are not a decodable image within the decoder's limits
     */
    public Mat decode(ImageDecoder decoder) throws InvalidFrameException {
        return decoder.decode(name.toLowerCase(Locale.ROOT).endsWith(".png") ? "png" : "jpeg", bytes, 0, 0);
    }
}

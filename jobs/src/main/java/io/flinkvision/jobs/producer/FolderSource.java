package io.flinkvision.jobs.producer;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.imaging.ImageSignature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A folder of JPEG/PNG files, sent in file-name order. The file bytes are sent as they are (encoding from the magic
 * bytes); a file that is neither JPEG nor PNG inside is re-encoded to JPEG. Each file is decoded once (OpenCV
 * {@code IMREAD_COLOR}, as the inference operator does) on an encode thread, to check it and to read its size; the
 * result is kept, so later {@code loop} passes only re-read the bytes.
 */
final class FolderSource implements FrameSource {
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png");

    private final Path folder;
    private final List<Path> files;
    private final ProduceStats stats;
    /** Per file: its checked size and encoding, filled by the first pass. */
    private final AtomicReferenceArray<Checked> checked;
    private int position;

    /** What the first decode found: {@code skipReason != null} for an unusable file. */
    private record Checked(FrameEncoding encoding, int width, int height, String skipReason) {}

    FolderSource(Path folder, ProduceStats stats) throws IOException {
        this.folder = folder;
        this.stats = stats;
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(folder)) {
            s.filter(Files::isRegularFile).filter(FolderSource::isImageName).forEach(found::add);
        }
        found.sort(Comparator.comparing(p -> p.getFileName().toString()));
        if (found.isEmpty()) {
            throw new IOException("folder '" + folder + "' holds no " + String.join("/", IMAGE_EXTENSIONS) + " file");
        }
        this.files = found;
        this.checked = new AtomicReferenceArray<>(found.size());
    }

    private static boolean isImageName(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    @Override
    public PendingImage next() {
        if (position >= files.size()) {
            return null;
        }
        int index = position++;
        Path file = files.get(index);
        long captureTs = System.currentTimeMillis();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return encoder -> EncodedImage.skipped("image '" + file + "': cannot read it: " + e);
        }
        Checked known = checked.get(index);
        if (known != null && known.encoding != null && known.skipReason == null) {
            return encoder -> EncodedImage.of(bytes, known.encoding, known.width, known.height, captureTs);
        }
        return encoder -> check(index, file, bytes, captureTs, encoder);
    }

    private EncodedImage check(int index, Path file, byte[] bytes, long captureTs, JpegEncoder encoder) {
        FrameEncoding encoding = ImageSignature.of(bytes).orElse(null);
        Mat decoded = decode(bytes);
        if (decoded == null) {
            checked.set(index, new Checked(null, 0, 0, "OpenCV cannot decode it"));
            return EncodedImage.skipped("image '" + file + "': OpenCV cannot decode it");
        }
        try (decoded) {
            if (encoding == null) {
                byte[] jpeg = encoder.encode(decoded);
                if (jpeg == null) {
                    return EncodedImage.skipped("image '" + file + "': OpenCV cannot JPEG-encode it");
                }
                return EncodedImage.of(jpeg, FrameEncoding.JPEG, decoded.cols(), decoded.rows(), captureTs);
            }
            // the size is only trusted for these bytes: a file rewritten between passes is checked again below
            checked.set(index, new Checked(encoding, decoded.cols(), decoded.rows(), null));
            return EncodedImage.of(bytes, encoding, decoded.cols(), decoded.rows(), captureTs);
        }
    }

    private static Mat decode(byte[] bytes) {
        if (bytes.length == 0) {
            return null;
        }
        Mat decoded;
        try (BytePointer data = new BytePointer(bytes); Mat buf = new Mat(1, bytes.length, CV_8UC1, data)) {
            decoded = imdecode(buf, IMREAD_COLOR);
        } catch (RuntimeException e) {
            return null;
        }
        if (decoded == null || decoded.empty()) {
            if (decoded != null) {
                decoded.close();
            }
            return null;
        }
        return decoded;
    }

    @Override
    public void restart() {
        position = 0;
    }

    @Override
    public double defaultFps() {
        return 0;
    }

    @Override
    public String describe() {
        return "image folder " + folder + ", " + files.size() + " files";
    }

    @Override
    public void close() {
        // nothing held open
    }
}

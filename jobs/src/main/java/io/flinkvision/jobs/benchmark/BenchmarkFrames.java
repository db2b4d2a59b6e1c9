package io.flinkvision.jobs.benchmark;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.InvalidFrameException;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import io.flinkvision.imaging.SourceImage;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The benchmark's input: real frames, held in memory twice, as the operator receives them from Kafka: JPEG-encoded and
 * already decoded ({@code raw-bgr}, {@code W*H*3} bytes). Read from a folder of JPEG/PNG images or from a video file
 * (decoded with javacv's FFmpegFrameGrabber, encoded to JPEG at the producer's default quality,
 * {@link VideoToKafka#DEFAULT_JPEG_QUALITY}), or, with a JPEG quality given, re-encoded at that quality from the
 * decoded pixels (OpenCV, libjpeg-turbo: baseline, 4:2:0, standard Huffman tables).
 *
 * @param jpeg JPEG-encoded frames
 * @param raw decoded BGR frames, {@code W*H*3} bytes each
 * @param sizes {@code [width, height]} of each frame in pixels
 * @param width width of the first frame in pixels
 * @param height height of the first frame in pixels
 * @param source where they came from
 */
record BenchmarkFrames(List<byte[]> jpeg, List<byte[]> raw, List<int[]> sizes, int width, int height, String source,
        int jpegQuality) {
    /** {@link #jpegQuality} of JPEG files used as read from a folder. */
    static final int AS_READ = -1;

    /** Mean size of the JPEG frames, bytes. */
    long meanJpegBytes() {
        long total = 0;
        for (byte[] b : jpeg) {
            total += b.length;
        }
        return total / jpeg.size();
    }

    /** Frame {@code i % n} as a Kafka-like {@link Frame} with the given encoding. */
    Frame frame(long i, boolean decoded) {
        int k = (int) (i % jpeg.size());
        Frame f;
        if (decoded) {
            f = new Frame("bench", i, System.currentTimeMillis(), FrameEncoding.RAW_BGR, raw.get(k));
            f.setWidth(sizes.get(k)[0]);
            f.setHeight(sizes.get(k)[1]);
        } else {
            f = new Frame("bench", i, System.currentTimeMillis(), FrameEncoding.JPEG, jpeg.get(k));
        }
        return f;
    }

    /** Decoded frame {@code k} as a new BGR {@code CV_8UC3} Mat (the caller closes it). */
    Mat mat(int k) {
        int[] wh = sizes.get(k);
        Mat m = new Mat(wh[1], wh[0], org.bytedeco.opencv.global.opencv_core.CV_8UC3);
        m.data().put(raw.get(k), 0, raw.get(k).length);
        return m;
    }

    /** Decoded frame {@code k % n} wrapping its bytes, as the device letterbox path receives a {@code raw-bgr} frame. */
    SourceImage source(int k) {
        int i = k % raw.size();
        return SourceImage.ofBgr(raw.get(i), sizes.get(i)[0], sizes.get(i)[1]);
    }

    /** JPEG frame {@code k % n}, undecoded, as the device JPEG decoder receives it (its size from the frame list). */
    SourceImage jpegSource(int k) {
        int i = k % jpeg.size();
        return SourceImage.ofJpeg(jpeg.get(i), sizes.get(i)[0], sizes.get(i)[1]);
    }

    int count() {
        return jpeg.size();
    }

    /**
     * Writes the JPEG frames to {@code dir} as {@code frame-00000.jpg, frame-00001.jpg, ...} (name order = frame
     * order), the input of a producer reading a folder.
     *
     * @throws IOException when a file cannot be written
     */
    void writeJpegs(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < jpeg.size(); i++) {
            Files.write(dir.resolve(String.format(Locale.ROOT, "frame-%05d.jpg", i)), jpeg.get(i));
        }
    }

    /** Total size of the JPEG frames, bytes. */
    long totalJpegBytes() {
        long total = 0;
        for (byte[] b : jpeg) {
            total += b.length;
        }
        return total;
    }

    /**
     * Loads up to {@code max} frames.
     *
     * @param images folder of .jpg/.jpeg/.png, or null
     * @param video video file, used when {@code images} is null
     * @param jpegQuality JPEG quality 1-100 to encode every frame at, or null: JPEG files as read, video frames at
     *     {@link VideoToKafka#DEFAULT_JPEG_QUALITY}
     * @throws IOException if nothing can be read
     * @throws IllegalArgumentException for a quality outside 1-100
     */
    static BenchmarkFrames load(Path images, Path video, int max, Integer jpegQuality) throws IOException {
        if (jpegQuality != null && (jpegQuality < 1 || jpegQuality > 100)) {
            throw new IllegalArgumentException("JPEG quality must be 1-100, got " + jpegQuality);
        }
        int quality = jpegQuality != null ? jpegQuality : VideoToKafka.DEFAULT_JPEG_QUALITY;
        boolean keepFiles = jpegQuality == null;
        List<byte[]> jpeg = new ArrayList<>();
        List<byte[]> raw = new ArrayList<>();
        List<int[]> sizes = new ArrayList<>();
        ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
        String source;
        if (images != null) {
            source = images.toString();
            List<Path> files;
            try (Stream<Path> s = Files.list(images)) {
                files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$"))
                        .sorted().limit(max).toList();
            }
            for (Path p : files) {
                byte[] bytes = Files.readAllBytes(p);
                String enc = p.toString().toLowerCase(Locale.ROOT).endsWith(".png") ? "png" : "jpeg";
                try (Mat m = decoder.decode(enc, bytes, 0, 0)) {
                    add(m, jpeg, raw, sizes, keepFiles && enc.equals("jpeg") ? bytes : null, quality);
                } catch (InvalidFrameException e) {
                    throw new IOException("cannot decode " + p + ": " + e.getMessage(), e);
                }
            }
        } else if (video != null) {
            source = video.toString();
            VideoFrames.read(video, max, (m) -> add(m, jpeg, raw, sizes, null, quality), () -> jpeg.size());
        } else {
            throw new IOException("no frames: pass --images DIR or --video FILE");
        }
        if (jpeg.isEmpty()) {
            throw new IOException("no frames could be read from " + source);
        }
        boolean asRead = keepFiles && images != null;
        return new BenchmarkFrames(jpeg, raw, sizes, sizes.get(0)[0], sizes.get(0)[1], source,
                asRead ? AS_READ : quality);
    }

    static void add(Mat bgr, List<byte[]> jpeg, List<byte[]> raw, List<int[]> sizes, byte[] original, int quality) {
        int w = bgr.cols();
        int h = bgr.rows();
        byte[] pixels = new byte[w * h * 3];
        if (bgr.isContinuous()) {
            bgr.data().get(pixels);
        } else {
            try (Mat c = bgr.clone()) {
                c.data().get(pixels);
            }
        }
        byte[] enc = original;
        if (enc == null) {
            try (BytePointer buf = new BytePointer()) {
                imencode(".jpg", bgr, buf, new org.bytedeco.javacpp.IntPointer(IMWRITE_JPEG_QUALITY, quality));
                enc = new byte[(int) buf.limit()];
                buf.get(enc);
            }
        }
        jpeg.add(enc);
        raw.add(pixels);
        sizes.add(new int[] {w, h});
    }
}

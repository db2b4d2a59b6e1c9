package io.flinkvision.jobs.benchmark;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.InvalidFrameException;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
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
 * (decoded with javacv's FFmpegFrameGrabber, re-encoded to JPEG quality 95 like the project's producer).
 *
 * @param jpeg JPEG-encoded frames
 * @param raw decoded BGR frames, {@code W*H*3} bytes each
 * @param sizes {@code [width, height]} of each frame in pixels
 * @param width width of the first frame in pixels
 * @param height height of the first frame in pixels
 * @param source where they came from
 */
record BenchmarkFrames(List<byte[]> jpeg, List<byte[]> raw, List<int[]> sizes, int width, int height, String source) {

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
     * Loads up to {@code max} frames.
     *
     * @param images folder of .jpg/.jpeg/.png, or null
     * @param video video file, used when {@code images} is null
     * @throws IOException if nothing can be read
     */
    static BenchmarkFrames load(Path images, Path video, int max) throws IOException {
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
                    add(m, jpeg, raw, sizes, enc.equals("jpeg") ? bytes : null);
                } catch (InvalidFrameException e) {
                    throw new IOException("cannot decode " + p + ": " + e.getMessage(), e);
                }
            }
        } else if (video != null) {
            source = video.toString();
            VideoFrames.read(video, max, (m) -> add(m, jpeg, raw, sizes, null), () -> jpeg.size());
        } else {
            throw new IOException("no frames: pass --images DIR or --video FILE");
        }
        if (jpeg.isEmpty()) {
            throw new IOException("no frames could be read from " + source);
        }
        return new BenchmarkFrames(jpeg, raw, sizes, sizes.get(0)[0], sizes.get(0)[1], source);
    }

    static void add(Mat bgr, List<byte[]> jpeg, List<byte[]> raw, List<int[]> sizes, byte[] original) {
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
                imencode(".jpg", bgr, buf, new org.bytedeco.javacpp.IntPointer(IMWRITE_JPEG_QUALITY, 95));
                enc = new byte[(int) buf.limit()];
                buf.get(enc);
            }
        }
        jpeg.add(enc);
        raw.add(pixels);
        sizes.add(new int[] {w, h});
    }
}

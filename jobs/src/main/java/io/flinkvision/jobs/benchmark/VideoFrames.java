package io.flinkvision.jobs.benchmark;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Reads video frames with javacv's FFmpegFrameGrabber. In its own class so that the benchmark runs without the
 * javacv/FFmpeg jars when frames come from an image folder ({@code --images}).
 */
final class VideoFrames {
    private VideoFrames() {}

    /**
     * Decodes frames of {@code video} in order and hands each BGR Mat to {@code sink} (valid during the call only)
     * until {@code count} reaches {@code max} or the video ends.
     *
     * @throws IOException if FFmpeg cannot open or decode the file
     */
    static void read(Path video, int max, Consumer<Mat> sink, IntSupplier count) throws IOException {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(video.toFile());
                OpenCVFrameConverter.ToMat conv = new OpenCVFrameConverter.ToMat()) {
            g.start();
            Frame f;
            while (count.getAsInt() < max && (f = g.grabImage()) != null) {
                Mat m = conv.convert(f);
                if (m != null && !m.empty()) {
                    sink.accept(m);
                }
            }
            g.stop();
        } catch (FrameGrabber.Exception e) {
            throw new IOException("cannot read video " + video + ": " + e.getMessage(), e);
        }
    }
}

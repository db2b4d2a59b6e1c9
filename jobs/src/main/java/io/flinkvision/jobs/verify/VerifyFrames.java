package io.flinkvision.jobs.verify;

import io.flinkvision.frame.InvalidFrameException;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.verification.FrameFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The real frames {@code verify} runs on: decoded BGR images ({@code CV_8UC3}) with a description each, read from a
 * folder of JPEG/PNG files (name order, decoded as the operator decodes frames, {@link ImageDecoder}) or from a video
 * (javacv's FFmpegFrameGrabber, every {@code step}-th frame from the first). Close to free the images.
 *
 * @param images the decoded frames
 * @param sources one description per frame: file name, or {@code video#frame}
 * @param origin the folder or video they came from
 */
record VerifyFrames(List<Mat> images, List<String> sources, String origin) implements AutoCloseable {

    /**
     * Reads up to {@code max} images of a folder (.jpg, .jpeg, .png, sorted by name).
     *
     * @throws IOException if the folder cannot be listed, holds no image, or an image cannot be read or decoded
     */
    static VerifyFrames fromImages(Path dir, int max) throws IOException {
        List<FrameFile> files = FrameFile.readFolder(dir, max);
        if (files.isEmpty()) {
            throw new IOException("no .jpg/.jpeg/.png image in " + dir);
        }
        ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
        List<Mat> images = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        try {
            for (FrameFile f : files) {
                images.add(f.decode(decoder));
                sources.add(f.name());
            }
        } catch (InvalidFrameException e) {
            images.forEach(Mat::close);
            throw new IOException("cannot use image " + dir.resolve(files.get(images.size()).name()) + ": "
                    + e.getMessage(), e);
        }
        return new VerifyFrames(images, sources, dir.toString());
    }

    /**
     * Reads up to {@code max} frames of a video: frames {@code 0, step, 2*step, ...} until the video ends.
     *
     * @throws IOException if FFmpeg cannot open or decode the file, or it has no frame
     */
    static VerifyFrames fromVideo(Path video, int max, int step) throws IOException {
        List<Mat> images = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(video.toFile());
                OpenCVFrameConverter.ToMat conv = new OpenCVFrameConverter.ToMat()) {
            g.start();
            Frame f;
            for (int index = 0; images.size() < max && (f = g.grabImage()) != null; index++) {
                if (index % step != 0) {
                    continue;
                }
                Mat m = conv.convert(f);
                if (m != null && !m.empty()) {
                    images.add(m.clone()); // the converter reuses its Mat for the next frame
                    sources.add(video.getFileName() + "#" + index);
                }
            }
            g.stop();
        } catch (FrameGrabber.Exception e) {
            images.forEach(Mat::close);
            throw new IOException("cannot read video " + video + ": " + e.getMessage(), e);
        }
        if (images.isEmpty()) {
            throw new IOException("video " + video + " has no frame");
        }
        return new VerifyFrames(images, sources, video.toString());
    }

    @Override
    public void close() {
        images.forEach(Mat::close);
    }
}

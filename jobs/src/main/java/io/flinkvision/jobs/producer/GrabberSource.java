package io.flinkvision.jobs.producer;

import io.flinkvision.frame.FrameEncoding;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Video files and URLs through javacv's {@link FFmpegFrameGrabber}; frames are converted to 8-bit BGR and copied
 * here, JPEG-encoded later on an encode thread. A live source (a URL other than {@code file:}) that ends or fails is a
 * drop: it is reopened following the {@link ReconnectPolicy}, and {@link StreamLostException} is thrown once the
 * policy gives up. A file that ends is the end of the input.
 */
final class GrabberSource implements FrameSource {
    private static final Logger LOG = LoggerFactory.getLogger(GrabberSource.class);
    /** Consecutive unreadable frames of a file after which it is considered broken. */
    private static final int MAX_CONSECUTIVE_FAILURES = 100;
    private static final String NETWORK_TIMEOUT_MICROS = Long.toString(TimeUnit.SECONDS.toMicros(10));

    private final String location;
    private final boolean live;
    private final ReconnectPolicy reconnect;
    private final ProduceStats stats;
    private final BooleanSupplier stopRequested;
    private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
    private FFmpegFrameGrabber grabber;
    private int consecutiveFailures;
    /** Reopen attempts since the last frame read; a source that opens but yields nothing still runs out. */
    private int attemptsSinceLastFrame;

    GrabberSource(String location, boolean live, ReconnectPolicy reconnect, ProduceStats stats,
            BooleanSupplier stopRequested) throws IOException {
        this.location = location;
        this.live = live;
        this.reconnect = reconnect;
        this.stats = stats;
        this.stopRequested = stopRequested;
        grabber = open();
    }

    private FFmpegFrameGrabber open() throws IOException {
        quietFfmpegBanner();
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(location);
        if (live) {
            if (location.toLowerCase(Locale.ROOT).startsWith("rtsp")) {
                g.setOption("rtsp_transport", "tcp");
                g.setOption("timeout", NETWORK_TIMEOUT_MICROS);
            } else {
                g.setOption("rw_timeout", NETWORK_TIMEOUT_MICROS);
            }
        }
        try {
            g.start();
        } catch (FrameGrabber.Exception | RuntimeException e) {
            try {
                g.release();
            } catch (FrameGrabber.Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IOException("cannot open input '" + location + "' with FFmpeg: " + e.getMessage(), e);
        }
        if (g.getVideoStream() < 0 && g.getImageWidth() <= 0) {
            try {
                g.release();
            } catch (FrameGrabber.Exception ignored) {
                // reported below
            }
            throw new IOException("input '" + location + "' has no video stream");
        }
        return g;
    }

    @Override
    public PendingImage next() throws IOException {
        while (true) {
            org.bytedeco.javacv.Frame grabbed;
            try {
                grabbed = grabber.grabImage();
            } catch (FrameGrabber.Exception e) {
                if (live) {
                    if (!reopen("read failed: " + e.getMessage())) {
                        return null;
                    }
                } else {
                    skip("FFmpeg could not read or decode a frame: " + e.getMessage());
                }
                continue;
            }
            long captureTs = System.currentTimeMillis();
            if (grabbed == null) {
                if (live && reopen("the stream ended")) {
                    continue;
                }
                return null;
            }
            Mat bgr = converter.convert(grabbed);
            if (bgr == null || bgr.empty()) {
                skip("frame " + grabber.getFrameNumber() + " has no convertible image");
                continue;
            }
            consecutiveFailures = 0;
            attemptsSinceLastFrame = 0;
            Mat copy = bgr.clone(); // the grabber reuses its buffer for the next frame
            long frameNumber = grabber.getFrameNumber();
            return encoder -> {
                try (copy) {
                    byte[] jpeg = encoder.encode(copy);
                    if (jpeg == null) {
                        return EncodedImage.skipped("OpenCV could not JPEG-encode frame " + frameNumber + " ("
                                + copy.cols() + "x" + copy.rows() + ", " + copy.channels() + " channels)");
                    }
                    return EncodedImage.of(jpeg, FrameEncoding.JPEG, copy.cols(), copy.rows(), captureTs);
                }
            };
        }
    }

    /** Reopens a dropped live source; false when stop was requested meanwhile. */
    private boolean reopen(String why) throws StreamLostException {
        release();
        IOException last = null;
        while (attemptsSinceLastFrame < reconnect.attempts()) {
            long delay = reconnect.delayMs(attemptsSinceLastFrame);
            attemptsSinceLastFrame++;
            LOG.warn("Input '{}' dropped ({}); reconnect attempt {}/{} in {} ms", location, why,
                    attemptsSinceLastFrame, reconnect.attempts(), delay);
            if (!sleep(delay)) {
                return false;
            }
            try {
                grabber = open();
                stats.reconnects.incrementAndGet();
                LOG.info("Input '{}' reconnected (reconnect {})", location, stats.reconnects.get());
                return true;
            } catch (IOException e) {
                last = e;
                why = e.getMessage();
            }
        }
        throw new StreamLostException("input '" + location + "' dropped (" + why + ") and was given up after "
                + attemptsSinceLastFrame + " reconnect attempt(s) without a frame (" + stats.reconnects.get()
                + " successful reconnect(s) before)", (int) stats.reconnects.get(), last);
    }

    /** Sleeps in short steps so that stop is honoured; false when stopped or interrupted. */
    private boolean sleep(long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!stopRequested.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private void skip(String why) throws IOException {
        stats.framesSkipped.incrementAndGet();
        consecutiveFailures++;
        LOG.warn("Skipping a frame of '{}': {} ({} skipped so far)", location, why, stats.framesSkipped.get());
        if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
            throw new IOException("giving up on input '" + location + "' after " + consecutiveFailures
                    + " consecutive unreadable frames; last: " + why);
        }
    }

    private void release() {
        if (grabber != null) {
            try {
                grabber.release();
            } catch (FrameGrabber.Exception e) {
                LOG.warn("Closing '{}' failed: {}", location, e.toString());
            }
            grabber = null;
        }
    }

    @Override
    public void restart() throws IOException {
        release();
        grabber = open();
    }

    @Override
    public double defaultFps() {
        if (live) {
            return 0;
        }
        double rate = grabber.getVideoFrameRate();
        if (!(rate > 0 && rate <= 1000)) {
            LOG.warn("'{}' reports a frame rate of {}; sending as fast as possible (set --fps to pace)",
                    location, rate);
            return 0;
        }
        return rate;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s, %dx%d, %.2f fps, %s frames%s", grabber.getFormat(),
                grabber.getImageWidth(), grabber.getImageHeight(), grabber.getVideoFrameRate(),
                grabber.getLengthInFrames() > 0 ? Integer.toString(grabber.getLengthInFrames()) : "unknown",
                live ? ", live (reconnects: " + reconnect.attempts() + " attempts)" : "");
    }

    @Override
    public void close() {
        converter.close();
        release();
    }

    /**
     * FFmpeg prints the stream description ({@code av_dump_format}) at INFO level on every open: lower FFmpeg's
     * process-wide log level to WARNING, but only when nobody changed it from FFmpeg's default (INFO). Decoding errors
     * are still printed.
     */
    private static synchronized void quietFfmpegBanner() {
        try {
            FFmpegFrameGrabber.tryLoad();
            if (avutil.av_log_get_level() == avutil.AV_LOG_INFO) {
                avutil.av_log_set_level(avutil.AV_LOG_WARNING);
            }
        } catch (FrameGrabber.Exception | LinkageError e) {
            // Natives missing: opening the grabber reports it.
        }
    }
}

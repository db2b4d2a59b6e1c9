package io.flinkvision.jobs.producer;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.FrameSerde;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a video source into a Kafka frames topic, one record per frame, following the frame contract of
 * {@link FrameSerde}: key = camera id, value = JPEG (or PNG) bytes, headers {@code frame-index} (from 0, increasing
 * across {@code loop} restarts), {@code capture-ts} (wall-clock milliseconds when the frame was grabbed, also the
 * record timestamp), {@code encoding}, {@code width}, {@code height}.
 *
 * <p>Sources:
 * <ul>
 *   <li>a video file (anything FFmpeg reads: avi, mp4, mkv, ...), decoded by javacv's {@link FFmpegFrameGrabber},
 *       converted to an 8-bit BGR {@link Mat} and JPEG-encoded by OpenCV at {@link Builder#jpegQuality};</li>
 *   <li>a URL ({@code rtsp://}, {@code rtmp://}, {@code http(s)://}, {@code udp://}, ...), likewise; RTSP is read
 *       over TCP; network reads time out after 10 s;</li>
 *   <li>a folder of images ({@code .jpg}, {@code .jpeg}, {@code .png}, sorted by file name): the file bytes are sent
 *       as they are (encoding from the file's magic bytes); a file that is neither JPEG nor PNG inside is re-encoded
 *       to JPEG. Each file is decoded once (OpenCV {@code IMREAD_COLOR}, as the inference operator does) to check it
 *       and to fill the width/height headers.</li>
 * </ul>
 *
 * <p>Pacing: {@link Builder#fps} frames per second; by default a video file is paced at its own frame rate, while
 * URLs (live sources pace themselves) and image folders go as fast as possible. A frame that cannot be decoded or
 * encoded is logged and skipped ({@link #framesSkipped()}); frame indexes stay contiguous over sent frames. Note that
 * FFmpeg conceals many bit-stream errors itself: those frames arrive damaged rather than skipped.
 *
 * <p>Producer defaults: {@code acks=all}, {@code enable.idempotence=true}, {@code linger.ms=5},
 * {@code compression.type=none} (JPEG does not compress further), {@code max.request.size} 16 MiB. Frames over
 * 1 MB also need the topic's {@code max.message.bytes} (broker {@code message.max.bytes}) raised.
 *
 * <p>One instance runs once: build, {@link #run()}, read the counters. {@link #stop()} may be called from any thread.
 *
 * <pre>{@code
 * long sent = VideoToKafka.builder()
 *         .bootstrapServers("localhost:9092").topic("frames")
 *         .input("data/vtest.avi").cameraId("cam-0")
 *         .maxFrames(100)
 *         .build()
 *         .run();
 * }</pre>
 */
public final class VideoToKafka {
    private static final Logger LOG = LoggerFactory.getLogger(VideoToKafka.class);

    /** Default JPEG quality (OpenCV scale, 0-100). */
    public static final int DEFAULT_JPEG_QUALITY = 90;
    /** Default {@code max.request.size} of the producer, in bytes (16 MiB). */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024;

    private static final Pattern URL = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    private static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png");
    /** Consecutive grab failures after which the source is considered dead. */
    private static final int MAX_CONSECUTIVE_FAILURES = 100;
    private static final long PROGRESS_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final String NETWORK_TIMEOUT_MICROS = Long.toString(TimeUnit.SECONDS.toMicros(10));

    private final String bootstrapServers;
    private final String topic;
    private final String input;
    private final String cameraId;
    private final Double fps;
    private final boolean loop;
    private final long maxFrames;
    private final int jpegQuality;
    private final Map<String, String> producerProperties;

    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean stopRequested;
    private volatile long framesSent;
    private volatile long framesSkipped;

    private VideoToKafka(Builder b) {
        this.bootstrapServers = b.bootstrapServers;
        this.topic = b.topic;
        this.input = b.input;
        this.cameraId = b.cameraId;
        this.fps = b.fps;
        this.loop = b.loop;
        this.maxFrames = b.maxFrames;
        this.jpegQuality = b.jpegQuality;
        this.producerProperties = Map.copyOf(b.producerProperties);
    }

    /**
     * Starts a builder.
     *
     * @return a new builder; {@code bootstrapServers} and {@code input} are required
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the source and sends its frames until the end of the input (restarting it when {@code loop} is set),
     * {@code maxFrames} frames have been sent, {@link #stop()} is called or the calling thread is interrupted (the
     * interrupt flag is then set again on return). Always flushes and closes the producer before returning.
     *
     * @return the number of frames sent and acknowledged by the broker
     * @throws IOException when the input does not exist, cannot be opened, holds no frames at all, or fails more than
     *     100 times in a row
     * @throws SendFailedException when Kafka does not accept a frame (broker unreachable, record too large,
     *     authorization, ...); the message names the topic and the bootstrap servers
     * @throws IllegalStateException when called a second time
     */
    public long run() throws IOException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("VideoToKafka.run() may be called only once");
        }
        boolean interrupted = false;
        AtomicReference<Exception> asyncFailure = new AtomicReference<>();
        long t0 = System.nanoTime();
        try (FrameSource source = openSource()) {
            double pacingFps = fps != null ? fps : source.defaultFps();
            LOG.info("Producing {} ({}) as camera '{}' to topic '{}' at {}; pacing: {}{}{}", input, source.describe(),
                    cameraId, topic, bootstrapServers,
                    pacingFps > 0 ? String.format(Locale.ROOT, "%.2f fps", pacingFps) : "as fast as possible",
                    loop ? ", looping" : "", maxFrames > 0 ? ", at most " + maxFrames + " frames" : "");
            Producer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig());
            boolean failed = true;
            try {
                interrupted = produce(source, producer, pacingFps, asyncFailure);
                flush(producer, asyncFailure);
                failed = false;
            } finally {
                producer.close(failed ? Duration.ZERO : Duration.ofSeconds(30));
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        LOG.info("Sent {} frames ({} skipped) of camera '{}' to topic '{}' in {} s ({} fps)", framesSent,
                framesSkipped, cameraId, topic, String.format(Locale.ROOT, "%.1f", seconds),
                String.format(Locale.ROOT, "%.1f", seconds > 0 ? framesSent / seconds : 0.0));
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return framesSent;
    }

    /** Asks a running {@link #run()} to finish after the current frame; it then flushes and returns. Thread-safe. */
    public void stop() {
        stopRequested = true;
    }

    /**
     * Frames sent so far (acknowledged once {@link #run()} has returned).
     *
     * @return the count; updated live while running
     */
    public long framesSent() {
        return framesSent;
    }

    /**
     * Frames read from the source but not sent because they could not be decoded or encoded.
     *
     * @return the count; updated live while running
     */
    public long framesSkipped() {
        return framesSkipped;
    }

    /** The main loop; returns true when it ended because the thread was interrupted. */
    private boolean produce(FrameSource source, Producer<byte[], byte[]> producer, double pacingFps,
            AtomicReference<Exception> asyncFailure) throws IOException {
        long periodNanos = pacingFps > 0 ? (long) (1e9 / pacingFps) : 0;
        long nextDue = System.nanoTime();
        long lastLog = System.nanoTime();
        long lastLoggedCount = 0;
        long framesThisPass = 0;
        while (!stopRequested && (maxFrames <= 0 || framesSent < maxFrames)) {
            throwIfFailed(asyncFailure, framesSent - 1);
            if (periodNanos > 0) {
                long now = System.nanoTime();
                if (nextDue > now) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(nextDue - now);
                    } catch (InterruptedException e) {
                        return true;
                    }
                } else if (now - nextDue > periodNanos) {
                    nextDue = now; // fell behind (slow source or broker): do not burst to catch up
                }
                nextDue += periodNanos;
            }
            if (Thread.currentThread().isInterrupted()) {
                Thread.interrupted();
                return true;
            }
            EncodedImage image = source.next();
            if (image == null) {
                if (!loop || stopRequested) {
                    break;
                }
                if (framesThisPass == 0) {
                    throw new IOException("input '" + input + "' produced no usable frame; not looping over it");
                }
                LOG.info("End of '{}' after {} frames in this pass, restarting (--loop)", input, framesThisPass);
                source.restart();
                framesThisPass = 0;
                continue;
            }
            long index = framesSent;
            Frame frame = new Frame(cameraId, index, image.captureTimestampMs, image.encoding, image.bytes);
            frame.setWidth(image.width);
            frame.setHeight(image.height);
            ProducerRecord<byte[], byte[]> record = FrameSerde.toRecord(topic, frame);
            try {
                producer.send(record, (metadata, e) -> {
                    if (e != null) {
                        asyncFailure.compareAndSet(null, new IndexedFailure(index, e));
                    }
                });
            } catch (InterruptException e) {
                Thread.interrupted();
                return true;
            } catch (KafkaException e) {
                throw sendFailed(index, e);
            }
            framesSent++;
            framesThisPass++;
            long now = System.nanoTime();
            if (now - lastLog >= PROGRESS_LOG_INTERVAL_NANOS) {
                LOG.info("{} frames sent ({} skipped), {} fps over the last {} s", framesSent, framesSkipped,
                        String.format(Locale.ROOT, "%.1f", (framesSent - lastLoggedCount) * 1e9 / (now - lastLog)),
                        TimeUnit.NANOSECONDS.toSeconds(now - lastLog));
                lastLog = now;
                lastLoggedCount = framesSent;
            }
        }
        return false;
    }

    private void flush(Producer<byte[], byte[]> producer, AtomicReference<Exception> asyncFailure) {
        try {
            producer.flush();
        } catch (InterruptException e) {
            // flush() was interrupted; the records already sent may or may not be acknowledged.
            Thread.interrupted();
            throw sendFailed(framesSent - 1, e);
        }
        throwIfFailed(asyncFailure, framesSent - 1);
    }

    private void throwIfFailed(AtomicReference<Exception> asyncFailure, long lastIndex) {
        Exception e = asyncFailure.get();
        if (e instanceof IndexedFailure f) {
            throw sendFailed(f.index, f.getCause());
        } else if (e != null) {
            throw sendFailed(lastIndex, e);
        }
    }

    private SendFailedException sendFailed(long frameIndex, Throwable cause) {
        String hint = "";
        if (cause instanceof RecordTooLargeException) {
            hint = " (raise the topic's max.message.bytes / the broker's message.max.bytes and the producer's "
                    + "max.request.size, or lower the JPEG quality)";
        } else if (cause instanceof TimeoutException) {
            hint = " (is the broker reachable from here, does the topic exist, and do the security settings match?)";
        }
        return new SendFailedException("cannot send frame " + frameIndex + " of camera '" + cameraId + "' to topic '"
                + topic + "' at " + bootstrapServers + ": " + cause + hint, topic, bootstrapServers, cause);
    }

    private Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(DEFAULT_MAX_REQUEST_BYTES));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "video-to-kafka-" + cameraId.replaceAll("[^A-Za-z0-9._-]", "_"));
        p.putAll(producerProperties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    private FrameSource openSource() throws IOException {
        if (URL.matcher(input).matches()) {
            boolean localFile = input.regionMatches(true, 0, "file:", 0, 5);
            return new GrabberSource(input, !localFile);
        }
        Path path = Path.of(input);
        if (Files.isDirectory(path)) {
            return new FolderSource(path);
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException("input '" + input + "' is neither a file, a folder nor a URL (resolved to "
                    + path.toAbsolutePath() + ")");
        }
        return new GrabberSource(input, false);
    }

    // ------------------------------------------------------------------------------------------------------------

    /** A frame ready to send. */
    private record EncodedImage(byte[] bytes, FrameEncoding encoding, int width, int height,
            long captureTimestampMs) {}

    /** Where frames come from. {@link #next()} returns null at the end of the input. */
    private interface FrameSource extends AutoCloseable {
        EncodedImage next() throws IOException;

        void restart() throws IOException;

        /** Pacing used when none is configured, in frames per second; 0 = as fast as possible. */
        double defaultFps();

        String describe();

        @Override
        void close() throws IOException;
    }

    /** JPEG encoder with a reusable parameter block. Not thread-safe. */
    private static final class JpegEncoder implements AutoCloseable {
        private final IntPointer params;

        JpegEncoder(int quality) {
            this.params = new IntPointer(IMWRITE_JPEG_QUALITY, quality);
        }

        /** Returns the JPEG bytes, or null when OpenCV cannot encode this image. */
        byte[] encode(Mat bgr) {
            try (BytePointer out = new BytePointer()) {
                if (!imencode(".jpg", bgr, out, params) || out.limit() <= 0) {
                    return null;
                }
                byte[] bytes = new byte[(int) out.limit()];
                out.get(bytes);
                return bytes;
            }
        }

        @Override
        public void close() {
            params.close();
        }
    }

    /** Video files and URLs through FFmpeg. */
    private final class GrabberSource implements FrameSource {
        private final String location;
        private final boolean network;
        private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
        private final JpegEncoder encoder = new JpegEncoder(jpegQuality);
        private FFmpegFrameGrabber grabber;
        private int consecutiveFailures;

        GrabberSource(String location, boolean network) throws IOException {
            this.location = location;
            this.network = network;
            open();
        }

        private void open() throws IOException {
            quietFfmpegBanner();
            FFmpegFrameGrabber g = new FFmpegFrameGrabber(location);
            if (network) {
                String lower = location.toLowerCase(Locale.ROOT);
                if (lower.startsWith("rtsp")) {
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
                g.release();
                throw new IOException("input '" + location + "' has no video stream");
            }
            grabber = g;
        }

        @Override
        public EncodedImage next() throws IOException {
            while (true) {
                org.bytedeco.javacv.Frame grabbed;
                try {
                    grabbed = grabber.grabImage();
                } catch (FrameGrabber.Exception e) {
                    skip("FFmpeg could not read or decode a frame: " + e.getMessage());
                    continue;
                }
                long captureTs = System.currentTimeMillis();
                if (grabbed == null) {
                    return null;
                }
                Mat bgr = converter.convert(grabbed);
                if (bgr == null || bgr.empty()) {
                    skip("frame " + grabber.getFrameNumber() + " has no convertible image");
                    continue;
                }
                byte[] jpeg = encoder.encode(bgr);
                if (jpeg == null) {
                    skip("OpenCV could not JPEG-encode frame " + grabber.getFrameNumber() + " (" + bgr.cols() + "x"
                            + bgr.rows() + ", " + bgr.channels() + " channels)");
                    continue;
                }
                consecutiveFailures = 0;
                return new EncodedImage(jpeg, FrameEncoding.JPEG, bgr.cols(), bgr.rows(), captureTs);
            }
        }

        private void skip(String why) throws IOException {
            framesSkipped++;
            consecutiveFailures++;
            LOG.warn("Skipping a frame of '{}': {} ({} skipped so far)", location, why, framesSkipped);
            if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
                throw new IOException("giving up on input '" + location + "' after " + consecutiveFailures
                        + " consecutive unreadable frames; last: " + why);
            }
        }

        @Override
        public void restart() throws IOException {
            try {
                grabber.release();
            } catch (FrameGrabber.Exception e) {
                LOG.warn("Closing '{}' before restarting it failed: {}", location, e.toString());
            }
            grabber = null;
            open();
        }

        @Override
        public double defaultFps() {
            if (network) {
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
            return String.format(Locale.ROOT, "%s, %dx%d, %.2f fps, %s frames", grabber.getFormat(),
                    grabber.getImageWidth(), grabber.getImageHeight(), grabber.getVideoFrameRate(),
                    grabber.getLengthInFrames() > 0 ? Integer.toString(grabber.getLengthInFrames()) : "unknown");
        }

        @Override
        public void close() throws IOException {
            encoder.close();
            converter.close();
            if (grabber != null) {
                try {
                    grabber.release();
                } catch (FrameGrabber.Exception e) {
                    throw new IOException("cannot close input '" + location + "': " + e.getMessage(), e);
                }
            }
        }
    }

    /** A folder of JPEG/PNG files, sent in file-name order. */
    private final class FolderSource implements FrameSource {
        private final Path folder;
        private final List<Path> files;
        private final JpegEncoder encoder = new JpegEncoder(jpegQuality);
        private int position;

        FolderSource(Path folder) throws IOException {
            this.folder = folder;
            List<Path> found = new ArrayList<>();
            try (Stream<Path> s = Files.list(folder)) {
                s.filter(Files::isRegularFile).filter(FolderSource::isImageName).forEach(found::add);
            }
            found.sort(Comparator.comparing(p -> p.getFileName().toString()));
            if (found.isEmpty()) {
                throw new IOException("folder '" + folder + "' holds no " + String.join("/", IMAGE_EXTENSIONS)
                        + " file");
            }
            this.files = found;
        }

        private static boolean isImageName(Path p) {
            String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
            return IMAGE_EXTENSIONS.stream().anyMatch(name::endsWith);
        }

        @Override
        public EncodedImage next() throws IOException {
            while (position < files.size()) {
                Path file = files.get(position++);
                long captureTs = System.currentTimeMillis();
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(file);
                } catch (IOException e) {
                    skip(file, "cannot read it: " + e);
                    continue;
                }
                FrameEncoding encoding = sniff(bytes);
                Mat decoded = decode(bytes);
                if (decoded == null) {
                    skip(file, "OpenCV cannot decode it");
                    continue;
                }
                try (decoded) {
                    if (encoding == null) {
                        bytes = encoder.encode(decoded);
                        encoding = FrameEncoding.JPEG;
                        if (bytes == null) {
                            skip(file, "OpenCV cannot JPEG-encode it");
                            continue;
                        }
                    }
                    return new EncodedImage(bytes, encoding, decoded.cols(), decoded.rows(), captureTs);
                }
            }
            return null;
        }

        private Mat decode(byte[] bytes) {
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

        private void skip(Path file, String why) {
            framesSkipped++;
            LOG.warn("Skipping image '{}': {} ({} skipped so far)", file, why, framesSkipped);
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
            encoder.close();
        }
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

    /** JPEG or PNG from the magic bytes, else null. */
    private static FrameEncoding sniff(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) {
            return FrameEncoding.JPEG;
        }
        if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == 0x0D
                && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A) {
            return FrameEncoding.PNG;
        }
        return null;
    }

    /** A send failure reported by the producer callback, remembered with the frame index it concerns. */
    private static final class IndexedFailure extends Exception {
        private static final long serialVersionUID = 1L;
        private final long index;

        IndexedFailure(long index, Exception cause) {
            super(cause);
            this.index = index;
        }
    }

    /**
     * Kafka did not accept a frame. The message names the frame, the camera, the topic and the bootstrap servers;
     * the cause is the producer's exception.
     */
    public static final class SendFailedException extends KafkaException {
        private static final long serialVersionUID = 1L;
        /** The frames topic. */
        private final String topic;
        /** The producer's bootstrap servers. */
        private final String bootstrapServers;

        /**
         * Creates the exception.
         *
         * @param message full description, naming topic and broker
         * @param topic the frames topic
         * @param bootstrapServers the bootstrap servers the producer used
         * @param cause the producer's exception
         */
        public SendFailedException(String message, String topic, String bootstrapServers, Throwable cause) {
            super(message, cause);
            this.topic = topic;
            this.bootstrapServers = bootstrapServers;
        }

        /**
         * The topic the frame was sent to.
         *
         * @return the topic name
         */
        public String topic() {
            return topic;
        }

        /**
         * The bootstrap servers the producer used.
         *
         * @return comma-separated {@code host:port} list
         */
        public String bootstrapServers() {
            return bootstrapServers;
        }
    }

    /** Builds a {@link VideoToKafka}; {@link #build()} checks the settings. Not thread-safe. */
    public static final class Builder {
        private String bootstrapServers;
        private String topic = "frames";
        private String input;
        private String cameraId = "cam-0";
        private Double fps;
        private boolean loop;
        private long maxFrames;
        private int jpegQuality = DEFAULT_JPEG_QUALITY;
        private final Map<String, String> producerProperties = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Kafka bootstrap servers. Required.
         *
         * @param bootstrapServers comma-separated {@code host:port} list
         * @return this builder
         */
        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /**
         * The frames topic (must exist unless the broker auto-creates topics).
         *
         * @param topic topic name; default {@code frames}
         * @return this builder
         */
        public Builder topic(String topic) {
            this.topic = topic;
            return this;
        }

        /**
         * What to read. Required.
         *
         * @param input a video file path, a URL ({@code rtsp://...}, {@code http://...}) or a folder of
         *     {@code .jpg/.jpeg/.png} images; relative paths resolve against the working directory
         * @return this builder
         */
        public Builder input(String input) {
            this.input = input;
            return this;
        }

        /**
         * The camera id, sent as the record key.
         *
         * @param cameraId non-empty id; default {@code cam-0}
         * @return this builder
         */
        public Builder cameraId(String cameraId) {
            this.cameraId = cameraId;
            return this;
        }

        /**
         * Pacing in frames per second.
         *
         * @param fps frames per second, 0 = as fast as possible; when not called: the file's own frame rate for video
         *     files, as fast as possible for URLs and image folders
         * @return this builder
         */
        public Builder fps(double fps) {
            this.fps = fps;
            return this;
        }

        /**
         * Restart the input at its end (frame indexes keep increasing).
         *
         * @param loop true to loop; default false
         * @return this builder
         */
        public Builder loop(boolean loop) {
            this.loop = loop;
            return this;
        }

        /**
         * Stop after this many frames have been sent.
         *
         * @param maxFrames frame count, 0 = no limit (the default)
         * @return this builder
         */
        public Builder maxFrames(long maxFrames) {
            this.maxFrames = maxFrames;
            return this;
        }

        /**
         * JPEG quality used when frames are encoded (video sources, and image files that are not JPEG/PNG).
         *
         * @param jpegQuality 1 to 100; default {@value VideoToKafka#DEFAULT_JPEG_QUALITY}
         * @return this builder
         */
        public Builder jpegQuality(int jpegQuality) {
            this.jpegQuality = jpegQuality;
            return this;
        }

        /**
         * Adds one Kafka producer setting, e.g. {@code security.protocol=SASL_SSL}; it overrides the defaults
         * described in the class comment. Serializers and {@code bootstrap.servers} cannot be set this way.
         *
         * @param key producer config name
         * @param value its value
         * @return this builder
         */
        public Builder producerProperty(String key, String value) {
            producerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Adds Kafka producer settings (see {@link #producerProperty}).
         *
         * @param properties producer config names and values
         * @return this builder
         */
        public Builder producerProperties(Map<String, String> properties) {
            properties.forEach(this::producerProperty);
            return this;
        }

        /**
         * Checks the settings and builds the producer job (nothing is opened yet).
         *
         * @return a runnable, single-use {@link VideoToKafka}
         * @throws IllegalArgumentException when a setting is missing or out of range (the message says which)
         */
        public VideoToKafka build() {
            require(bootstrapServers, "bootstrapServers");
            require(topic, "topic");
            require(input, "input");
            require(cameraId, "cameraId");
            if (fps != null && (fps < 0 || fps.isNaN() || fps.isInfinite())) {
                throw new IllegalArgumentException("fps must be >= 0 (0 = as fast as possible), got " + fps);
            }
            if (maxFrames < 0) {
                throw new IllegalArgumentException("maxFrames must be >= 0 (0 = no limit), got " + maxFrames);
            }
            if (jpegQuality < 1 || jpegQuality > 100) {
                throw new IllegalArgumentException("jpegQuality must be in 1..100, got " + jpegQuality);
            }
            for (String owned : List.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
                if (producerProperties.containsKey(owned)) {
                    throw new IllegalArgumentException("producer property '" + owned + "' cannot be overridden"
                            + (owned.equals(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) ? " (use bootstrapServers)" : ""));
                }
            }
            return new VideoToKafka(this);
        }

        private static void require(String value, String name) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(name + " is required");
            }
        }
    }
}

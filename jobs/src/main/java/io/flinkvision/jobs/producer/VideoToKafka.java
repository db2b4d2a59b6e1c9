package io.flinkvision.jobs.producer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a video source into a Kafka frames topic, one record per frame and camera, following the frame contract of
 * {@link io.flinkvision.frame.FrameSerde}: key = camera id, value = JPEG (or PNG) bytes, headers {@code frame-index}
 * (from 0, increasing across {@code loop} restarts and reconnects), {@code capture-ts} (wall-clock milliseconds when
 * the frame was read, also the record timestamp), {@code encoding}, {@code width}, {@code height}.
 *
 * <p>Sources:
 * <ul>
 *   <li>a video file (anything FFmpeg reads: avi, mp4, mkv, ...), decoded by javacv's FFmpegFrameGrabber,
 *       converted to an 8-bit BGR image and JPEG-encoded by OpenCV at {@link Builder#jpegQuality};</li>
 *   <li>a URL ({@code rtsp://}, {@code rtmp://}, {@code http(s)://}, {@code udp://}, ...), likewise; RTSP is read
 *       over TCP; network reads time out after 10 s. A URL is a live source: when it ends or fails it is reopened
 *       with exponential backoff ({@link Builder#reconnect}), and {@link #run()} throws {@link StreamLostException}
 *       when the policy gives up;</li>
 *   <li>a folder of images ({@code .jpg}, {@code .jpeg}, {@code .png}, sorted by file name): the file bytes are sent
 *       as they are (encoding from the file's magic bytes); a file that is neither JPEG nor PNG inside is re-encoded
 *       to JPEG. Each file is decoded once (OpenCV {@code IMREAD_COLOR}, as the inference operator does) to check it
 *       and to fill the width/height headers; later {@code loop} passes reuse that check.</li>
 * </ul>
 *
 * <p>Pipeline: the calling thread reads (and for video decodes) the source and paces it; {@link Builder#threads}
 * encode threads JPEG-encode (video) or check (folder) the frames; one sender thread takes the results in read
 * order and hands them to the asynchronous Kafka producer. Frames therefore leave in source order, for every camera.
 *
 * <p>Cameras: {@link Builder#cameras} {@code K > 1} fans the input out to K simulated cameras
 * {@code <cameraId>-0 .. <cameraId>-(K-1)}: every frame is sent once per camera, with the same frame index, so each
 * camera sees the whole input ({@code K} records per source frame). Partitioning: by default every camera gets an
 * explicit partition from {@link CameraPartitions} over the camera set (the producer's own cameras, or
 * {@link Builder#cameraSet} when several producers share a topic); a single camera without a camera set, or
 * {@link Partitioning#KEY_HASH}, leaves the partition to Kafka's key hash.
 *
 * <p>Pacing: {@link Builder#fps} frames per second (per camera); by default a video file is paced at its own frame
 * rate, while URLs (live sources pace themselves) and image folders go as fast as possible. A frame that cannot be
 * decoded or encoded is logged and skipped ({@link #framesSkipped()}); frame indexes stay contiguous over sent
 * frames. Note that FFmpeg conceals many bit-stream errors itself: those frames arrive damaged rather than skipped.
 *
 * <p>Producer defaults ({@link #producerDefaults()}), chosen for frames of about 150 KB: {@code acks=all},
 * {@code enable.idempotence=true} (order kept across retries), {@code linger.ms=5}, {@code batch.size} 1 MiB (the
 * default 16 KB holds no frame, so each record was its own batch), {@code buffer.memory} 256 MiB,
 * {@code max.in.flight.requests.per.connection=5} (the most idempotence allows), {@code compression.type=none} (JPEG
 * does not compress further), {@code max.request.size} 16 MiB. Frames over 1 MB also need the topic's
 * {@code max.message.bytes} (broker {@code message.max.bytes}) raised.
 *
 * <p>One instance runs once: build, {@link #run()}, read the counters or {@link #summary()}. {@link #stop()} may be
 * called from any thread.
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
    /** Default {@code batch.size} of the producer, in bytes (1 MiB: about 7 frames of 150 KB). */
    public static final int DEFAULT_BATCH_BYTES = 1024 * 1024;
    /** Default {@code buffer.memory} of the producer, in bytes (256 MiB: about 1700 frames of 150 KB). */
    public static final long DEFAULT_BUFFER_BYTES = 256L * 1024 * 1024;
    /**
     * Default Kafka producers (broker connections) of one run: 4, at most one per camera. The broker handles one
     * connection's requests one at a time, so one producer of 111 KB frame records stopped at about 5.5k records/s
     * (600 MB/s) into an embedded broker on an H100 machine (docs/benchmarks/h100-2026-12-08).
     */
    public static final int DEFAULT_PRODUCERS = 4;
    /** Default encode threads: the available processors. */
    public static final int DEFAULT_THREADS = Runtime.getRuntime().availableProcessors();

    private static final Pattern URL = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    private static final long PROGRESS_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** How records are assigned to partitions. */
    public enum Partitioning {
        /** Explicit partition per camera from {@link CameraPartitions} (balanced, stable for a camera set). */
        CAMERA,
        /** Kafka's default: murmur2 hash of the key (camera id). */
        KEY_HASH
    }

    private final String bootstrapServers;
    private final String topic;
    private final String input;
    private final String cameraId;
    private final List<String> cameraIds;
    private final List<String> cameraSet;
    private final Double fps;
    private final boolean loop;
    private final long maxFrames;
    private final int jpegQuality;
    private final int threads;
    private final int producers;
    private final ReconnectPolicy reconnect;
    private final Map<String, String> producerProperties;

    private final AtomicBoolean started = new AtomicBoolean();
    private final ProduceStats stats = new ProduceStats();
    private volatile boolean stopRequested;
    private volatile ProduceSummary summary;
    private volatile int[] partitions = new int[0];

    private VideoToKafka(Builder b) {
        this.bootstrapServers = b.bootstrapServers;
        this.topic = b.topic;
        this.input = b.input;
        this.cameraId = b.cameraId;
        List<String> ids = new ArrayList<>();
        if (b.cameras == 1) {
            ids.add(b.cameraId);
        } else {
            for (int i = 0; i < b.cameras; i++) {
                ids.add(b.cameraId + "-" + i);
            }
        }
        this.cameraIds = List.copyOf(ids);
        if (b.partitioning == Partitioning.KEY_HASH) {
            this.cameraSet = null;
        } else if (b.cameraSet != null) {
            this.cameraSet = List.copyOf(b.cameraSet);
        } else {
            this.cameraSet = ids.size() > 1 ? cameraIds : null;
        }
        this.fps = b.fps;
        this.loop = b.loop;
        this.maxFrames = b.maxFrames;
        this.jpegQuality = b.jpegQuality;
        this.threads = b.threads;
        this.producers = b.producers;
        this.reconnect = b.reconnect;
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
     * The producer settings applied before {@link Builder#producerProperty} overrides (see the class comment).
     *
     * @return config name to value
     */
    public static Map<String, String> producerDefaults() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(DEFAULT_BATCH_BYTES));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(DEFAULT_BUFFER_BYTES));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(DEFAULT_MAX_REQUEST_BYTES));
        return p;
    }

    /**
     * Reads the source and sends its frames until the end of the input (restarting it when {@code loop} is set),
     * {@code maxFrames} frames have been sent, {@link #stop()} is called or the calling thread is interrupted (the
     * interrupt flag is then set again on return). Always flushes what was read and closes the producer before
     * returning or throwing.
     *
     * @return the number of frames sent and acknowledged by the broker (per camera)
     * @throws IOException when the input does not exist, cannot be opened, holds no usable frame at all, or fails
     *     more than 100 times in a row
     * @throws StreamLostException when a live source dropped and could not be reopened (see {@link Builder#reconnect})
     * @throws SendFailedException when Kafka does not accept a frame (broker unreachable, record too large,
     *     authorization, ...); the message names the topic and the bootstrap servers
     * @throws IllegalStateException when called a second time
     */
    public long run() throws IOException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("VideoToKafka.run() may be called only once");
        }
        long t0 = System.nanoTime();
        try {
            return produce(t0);
        } finally {
            if (summary == null) {
                summary = summarize(t0);
            }
        }
    }

    /**
     * Opens the input and closes it again, without Kafka: a start-up check for a caller that starts other things
     * before {@link #run()} (the {@code demo} checks {@code --input} before its broker and cluster start).
     *
     * @return one line describing the input (size, frame rate or number of images)
     * @throws IOException when the input does not exist, cannot be opened or (a folder) holds no image, as
     *     {@link #run()} would
     */
    public String checkInput() throws IOException {
        try (FrameSource source = openSource()) {
            return source.describe();
        }
    }

    private long produce(long t0) throws IOException {
        try (FrameSource source = openSource()) {
            double pacingFps = fps != null ? fps : source.defaultFps();
            FrameSender sender = new FrameSender(producerConfig(), topic, bootstrapServers, cameraIds, cameraSet,
                    stats, producers);
            partitions = sender.partitions();
            LOG.info("Producing {} ({}) as camera(s) {} (partitions {}) to topic '{}' at {}; {} encode threads; "
                    + "{} producer(s); pacing: {}{}{}", input, source.describe(), cameraIds.size() > 4
                    ? cameraIds.get(0) + ".." + cameraIds.get(cameraIds.size() - 1) : cameraIds,
                    Arrays.toString(partitions).replace("-1", "hash"), topic, bootstrapServers, threads,
                    sender.producerCount(),
                    pacingFps > 0 ? String.format(Locale.ROOT, "%.2f fps", pacingFps) : "as fast as possible",
                    loop ? ", looping" : "", maxFrames > 0 ? ", at most " + maxFrames + " frames" : "");
            boolean failed = true;
            try {
                boolean interrupted = pipeline(source, sender, pacingFps);
                failed = false;
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            } finally {
                sender.close(failed ? Duration.ZERO : Duration.ofSeconds(30));
                summary = summarize(t0);
                LOG.info("{}: {}", failed ? "Stopped on a failure" : "Done", summary);
            }
        }
        return stats.framesSent.get();
    }

    /**
     * Runs reader (this thread), encode pool and sender thread; returns true when interrupted. What was read is
     * sent and flushed before a source failure is rethrown.
     */
    private boolean pipeline(FrameSource source, FrameSender sender, double pacingFps) throws IOException {
        AtomicInteger threadNumber = new AtomicInteger();
        List<JpegEncoder> encoders = new ArrayList<>();
        ThreadLocal<JpegEncoder> encoder = ThreadLocal.withInitial(() -> {
            JpegEncoder e = new JpegEncoder(jpegQuality);
            synchronized (encoders) {
                encoders.add(e);
            }
            return e;
        });
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "produce-encode-" + threadNumber.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        BlockingQueue<Future<EncodedImage>> inOrder = new ArrayBlockingQueue<>(Math.max(4, threads * 4));
        SenderLoop senderLoop = new SenderLoop(inOrder, sender);
        Thread senderThread = new Thread(senderLoop, "produce-send");
        senderThread.setDaemon(true);
        senderThread.start();
        boolean interrupted = false;
        IOException sourceFailure = null;
        try {
            interrupted = read(source, pacingFps, pool, encoder, inOrder, senderLoop);
        } catch (IOException e) {
            sourceFailure = e;
        } finally {
            if (!senderLoop.put(inOrder, SenderLoop.END)) {
                interrupted = true;
            }
            try {
                senderThread.join();
            } catch (InterruptedException e) {
                interrupted = true;
                senderLoop.abort();
                senderThread.interrupt();
            }
            pool.shutdownNow();
            try {
                pool.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            synchronized (encoders) {
                encoders.forEach(JpegEncoder::close);
            }
        }
        RuntimeException sendFailure = senderLoop.failure.get();
        if (sendFailure != null) {
            throw sendFailure;
        }
        try {
            sender.flush();
        } catch (InterruptException e) {
            Thread.interrupted();
            throw new SendFailedException("interrupted while flushing the frames sent to topic '" + topic + "' at "
                    + bootstrapServers + "; the last ones may be lost", topic, bootstrapServers, e);
        }
        if (sourceFailure != null) {
            throw sourceFailure;
        }
        return interrupted;
    }

    /** The reader: paces, reads and submits frames in order; returns true when interrupted. */
    private boolean read(FrameSource source, double pacingFps, ExecutorService pool, ThreadLocal<JpegEncoder> encoder,
            BlockingQueue<Future<EncodedImage>> inOrder, SenderLoop senderLoop) throws IOException {
        long periodNanos = pacingFps > 0 ? (long) (1e9 / pacingFps) : 0;
        long nextDue = System.nanoTime();
        while (!stopRequested && !senderLoop.done) {
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
            PendingImage pending = source.next();
            if (pending == null) {
                if (!loop || stopRequested) {
                    return false;
                }
                if (stats.framesSent.get() == 0 && !senderLoop.awaitIdle()) {
                    return true;
                }
                if (stats.framesSent.get() == 0) {
                    throw new IOException("input '" + input + "' produced no usable frame; not looping over it");
                }
                LOG.info("End of '{}', restarting (--loop)", input);
                source.restart();
                continue;
            }
            Future<EncodedImage> result = pool.submit(() -> pending.encode(encoder.get()));
            if (!senderLoop.put(inOrder, result)) {
                return true;
            }
        }
        return false;
    }

    /** Takes encoded frames in read order and sends them; stops at {@link #END}, maxFrames or a failure. */
    private final class SenderLoop implements Runnable {
        static final Future<EncodedImage> END = CompletableFuture.completedFuture(null);
        private final BlockingQueue<Future<EncodedImage>> inOrder;
        private final FrameSender sender;
        final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        private final AtomicInteger pending = new AtomicInteger();
        volatile boolean done;

        SenderLoop(BlockingQueue<Future<EncodedImage>> inOrder, FrameSender sender) {
            this.inOrder = inOrder;
            this.sender = sender;
        }

        /** Queues a frame; false when interrupted. Does not block once the sender is done. */
        boolean put(BlockingQueue<Future<EncodedImage>> queue, Future<EncodedImage> f) {
            if (f != END) {
                pending.incrementAndGet();
            }
            try {
                while (!queue.offer(f, 100, TimeUnit.MILLISECONDS)) {
                    if (done) {
                        if (f != END) {
                            return true;
                        }
                        queue.clear(); // the sender only drains now: make room for the end marker
                    }
                }
                return true;
            } catch (InterruptedException e) {
                return false;
            }
        }

        /** Waits until every queued frame is handled; false when interrupted. */
        boolean awaitIdle() {
            while (pending.get() > 0 && !done) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return false;
                }
            }
            return true;
        }

        void abort() {
            done = true;
        }

        @Override
        public void run() {
            long lastLog = System.nanoTime();
            long lastLoggedRecords = 0;
            try {
                while (true) {
                    Future<EncodedImage> f = inOrder.take();
                    if (f == END) {
                        return;
                    }
                    if (done) {
                        pending.decrementAndGet();
                        continue; // drain: maxFrames reached or a failure
                    }
                    EncodedImage image;
                    try {
                        image = f.get();
                    } catch (ExecutionException e) {
                        image = EncodedImage.skipped("encoding failed: " + e.getCause());
                    }
                    if (image.isSkipped()) {
                        long skipped = stats.framesSkipped.incrementAndGet();
                        LOG.warn("Skipping a frame of '{}': {} ({} skipped so far)", input, image.skipReason(),
                                skipped);
                    } else {
                        sender.send(image, stats.framesSent.get());
                        long sent = stats.framesSent.incrementAndGet();
                        if (maxFrames > 0 && sent >= maxFrames) {
                            done = true;
                        }
                    }
                    pending.decrementAndGet();
                    long now = System.nanoTime();
                    if (now - lastLog >= PROGRESS_LOG_INTERVAL_NANOS) {
                        long records = stats.recordsAcked.get();
                        LOG.info("Progress: {} frames sent ({} skipped), {} records acked; {} records/s over the "
                                + "last {} s", stats.framesSent.get(), stats.framesSkipped.get(), records,
                                String.format(Locale.ROOT, "%.1f", (records - lastLoggedRecords) * 1e9
                                        / (now - lastLog)), TimeUnit.NANOSECONDS.toSeconds(now - lastLog));
                        lastLog = now;
                        lastLoggedRecords = records;
                    }
                }
            } catch (InterruptedException | InterruptException e) {
                failure.compareAndSet(null, new SendFailedException("interrupted while sending to topic '" + topic
                        + "' at " + bootstrapServers, topic, bootstrapServers, e));
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            } finally {
                done = true;
                inOrder.clear(); // unblock the reader; it stops on done
                pending.set(0);
            }
        }
    }

    private ProduceSummary summarize(long t0) {
        return new ProduceSummary(stats.framesSent.get(), stats.framesSkipped.get(), stats.recordsAcked.get(),
                stats.recordsFailed.get(), stats.bytesSent.get(), stats.reconnects.get(),
                (System.nanoTime() - t0) / 1e9);
    }

    /** Asks a running {@link #run()} to finish after the current frame; it then flushes and returns. Thread-safe. */
    public void stop() {
        stopRequested = true;
    }

    /**
     * Frames sent so far, per camera (acknowledged once {@link #run()} has returned).
     *
     * @return the count; updated live while running
     */
    public long framesSent() {
        return stats.framesSent.get();
    }

    /**
     * Frames read from the source but not sent because they could not be decoded or encoded.
     *
     * @return the count; updated live while running
     */
    public long framesSkipped() {
        return stats.framesSkipped.get();
    }

    /**
     * Successful reconnects of a dropped live source so far.
     *
     * @return the count; updated live while running
     */
    public long reconnects() {
        return stats.reconnects.get();
    }

    /**
     * The counters of the finished run, also after a failure.
     *
     * @return the summary, or null before {@link #run()} has returned or thrown
     */
    public ProduceSummary summary() {
        return summary;
    }

    /**
     * The camera ids this producer sends as.
     *
     * @return {@code [cameraId]}, or {@code cameraId-0 .. cameraId-(K-1)} for {@code K} cameras
     */
    public List<String> cameraIds() {
        return cameraIds;
    }

    private Properties producerConfig() {
        Properties p = new Properties();
        p.putAll(producerDefaults());
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
            return new GrabberSource(input, !localFile, reconnect, stats, () -> stopRequested);
        }
        Path path = Path.of(input);
        if (Files.isDirectory(path)) {
            return new FolderSource(path, stats);
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException("input '" + input + "' is neither a file, a folder nor a URL (resolved to "
                    + path.toAbsolutePath() + ")");
        }
        return new GrabberSource(input, false, reconnect, stats, () -> stopRequested);
    }

    // ------------------------------------------------------------------------------------------------------------

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
        private int cameras = 1;
        private List<String> cameraSet;
        private Partitioning partitioning = Partitioning.CAMERA;
        private int threads = DEFAULT_THREADS;
        private int producers = DEFAULT_PRODUCERS;
        private ReconnectPolicy reconnect = ReconnectPolicy.DEFAULT;
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
         * Fans the input out to simulated cameras {@code <cameraId>-0 .. <cameraId>-(cameras-1)}: every frame is
         * sent once per camera with the same frame index.
         *
         * @param cameras camera count, at least 1; default 1 (the camera id as it is)
         * @return this builder
         */
        public Builder cameras(int cameras) {
            this.cameras = cameras;
            return this;
        }

        /**
         * All camera ids that share the topic, for {@link Partitioning#CAMERA}: the partition of each of this
         * producer's cameras is its place in this set's {@link CameraPartitions} deal, so separate producers agree.
         *
         * @param cameraSet camera ids; must hold this producer's ids; default: this producer's own ids
         * @return this builder
         */
        public Builder cameraSet(Collection<String> cameraSet) {
            this.cameraSet = List.copyOf(cameraSet);
            return this;
        }

        /**
         * How records are assigned to partitions.
         *
         * @param partitioning default {@link Partitioning#CAMERA}
         * @return this builder
         */
        public Builder partitioning(Partitioning partitioning) {
            this.partitioning = Objects.requireNonNull(partitioning, "partitioning");
            return this;
        }

        /**
         * Encode threads (JPEG encoding of video frames, the check of folder images).
         *
         * @param threads at least 1; default the available processors
         * @return this builder
         */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /**
         * Kafka producers, one broker connection each; camera {@code i} always sends through producer
         * {@code i mod n}, which keeps every camera's order. More than the cameras opens one per camera.
         *
         * @param producers at least 1; default {@link #DEFAULT_PRODUCERS}
         * @return this builder
         */
        public Builder producers(int producers) {
            this.producers = producers;
            return this;
        }

        /**
         * How a dropped live source (URL) is reopened.
         *
         * @param reconnect the policy; default {@link ReconnectPolicy#DEFAULT}
         * @return this builder
         */
        public Builder reconnect(ReconnectPolicy reconnect) {
            this.reconnect = Objects.requireNonNull(reconnect, "reconnect");
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
            if (cameras < 1) {
                throw new IllegalArgumentException("cameras must be >= 1, got " + cameras);
            }
            if (producers < 1) {
                throw new IllegalArgumentException("producers must be >= 1, got " + producers);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            if (cameraSet != null) {
                List<String> own = new ArrayList<>();
                for (int i = 0; i < cameras; i++) {
                    own.add(cameras == 1 ? cameraId : cameraId + "-" + i);
                }
                if (!cameraSet.containsAll(own)) {
                    throw new IllegalArgumentException("cameraSet " + cameraSet + " must contain this producer's "
                            + "cameras " + own);
                }
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

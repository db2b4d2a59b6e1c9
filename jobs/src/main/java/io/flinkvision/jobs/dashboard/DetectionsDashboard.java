package io.flinkvision.jobs.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live web dashboard of the detections topic: per camera, the latest frame with its boxes and labels, frames/s,
 * end-to-end latency p50/p99 over the last minute and objects per label over time; for a wall of cameras, each camera's
 * state by wall clock (live, stalled, offline, no detection records), live cameras first, pipeline totals and a panel
 * of the dead-letter topic (counts per reason, the newest with their source coordinates). Served by an embedded Jetty
 * 12 server; the browser receives state updates as Server-Sent Events ({@code /api/events}).
 *
 * <p>One Kafka consumer reads the detections topic (JSON {@code FrameDetections}), the dead-letter topic (headers
 * only: {@code DeadLetterRecord}) and the frames topic (JPEG frames,
 * matched to their detection record by camera id and frame index) with {@code isolation.level=read_committed} and
 * without a consumer group (nothing is committed; any number of dashboards can run). Frame images are held in a
 * bounded cache (default {@value #DEFAULT_FRAME_CACHE_MB} MiB) because with {@code EXACTLY_ONCE} a detection record
 * becomes visible only when the job's checkpoint commits its transaction, up to a checkpoint interval after its frame.
 *
 * <p>Given the Flink REST address and the job's consumer group, the page and {@code /metrics} also show the job as seen
 * from outside it ({@link JobHealthMonitor}): its state and restarts, the frames topic's input lag and committed
 * detection records/s, with an outage banner while the job is not RUNNING or its input lag grows with nothing
 * committed ({@link JobVerdict}).
 *
 * <p>The server binds to {@code 127.0.0.1} unless told otherwise: the page shows camera images and has no
 * authentication.
 *
 * <pre>{@code
 * try (DetectionsDashboard dashboard = DetectionsDashboard.builder()
 *         .bootstrapServers("localhost:9092")
 *         .port(0)                                  // 0: any free port
 *         .start()) {
 *     System.out.println("open " + dashboard.uri()); // e.g. http://127.0.0.1:41523/
 *     dashboard.awaitTermination();
 * }
 * }</pre>
 */
public final class DetectionsDashboard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionsDashboard.class);

    /** Default detections topic. */
    public static final String DEFAULT_DETECTIONS_TOPIC = "detections";
    /** Default frames topic. */
    public static final String DEFAULT_FRAMES_TOPIC = "frames";
    /** Default dead-letter topic: the job's default ({@code --dead-letter-topic}, {@code JobSettings}). */
    public static final String DEFAULT_DEAD_LETTER_TOPIC = "frames-dlq";
    /** Default topic of the line/zone counts ({@code job --tracking --analytics-config}). */
    public static final String DEFAULT_ANALYTICS_TOPIC = "analytics";
    /**
     * Default seconds without a detection record (wall clock) after which a camera is shown {@code stalled}: three
     * times the longest usual gap between EXACTLY_ONCE commits (a checkpoint interval of up to 10 s).
     */
    public static final int DEFAULT_STALLED_AFTER_S = (int) (DashboardState.DEFAULT_STALLED_AFTER_MS / 1000);
    /**
     * Default seconds without any record of a camera (detection record, frame or dead letter) after which it is shown
     * {@code offline}: two minutes, as the "no frames" alerts.
     */
    public static final int DEFAULT_OFFLINE_AFTER_S = (int) (DashboardState.DEFAULT_OFFLINE_AFTER_MS / 1000);
    /** Default bind address: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Default HTTP port. */
    public static final int DEFAULT_PORT = 8088;
    /** Default size of the frame image cache, in MiB. */
    public static final int DEFAULT_FRAME_CACHE_MB = 128;
    /** Default period of state updates pushed to browsers. */
    public static final Duration DEFAULT_UPDATE_INTERVAL = Duration.ofMillis(250);
    /**
     * Default input stall window, in seconds: the input lag growing this long with no detection record committed shows an
     * outage. Three times the longest usual checkpoint interval (10 s), as {@link DashboardState.DEFAULT_STALLED_AFTER_MS}:
     * the job commits its consumer offsets and detection records only when a checkpoint completes.
     */
    public static final int DEFAULT_INPUT_STALL_S = DEFAULT_STALLED_AFTER_S;
    /** {@link #DEFAULT_INPUT_STALL_S} as a duration. */
    public static final Duration DEFAULT_INPUT_STALL_WINDOW = Duration.ofSeconds(DEFAULT_INPUT_STALL_S);
    /** A snapshot is pushed at least this often even when nothing changed (ages on the page, keep-alive). */
    private static final long MAX_SILENCE_MS = 1_000;

    private final Server server;
    private final ServerConnector connector;
    private final DashboardHandler handler;
    private final DashboardConsumer consumer;
    private final ScheduledExecutorService broadcaster;
    private final JobHealthMonitor monitor;
    private final String host;
    private final int port;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private boolean closed;

    private DetectionsDashboard(Server server, ServerConnector connector, DashboardHandler handler,
            DashboardConsumer consumer, ScheduledExecutorService broadcaster, JobHealthMonitor monitor, String host) {
        this.server = server;
        this.connector = connector;
        this.handler = handler;
        this.consumer = consumer;
        this.broadcaster = broadcaster;
        this.monitor = monitor;
        this.host = host;
        this.port = connector.getLocalPort();
    }

    /** A builder; only {@link Builder#bootstrapServers(String)} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a dashboard on the default topics ({@value #DEFAULT_DETECTIONS_TOPIC}, {@value #DEFAULT_FRAMES_TOPIC}).
     *
     * @param bootstrapServers Kafka bootstrap servers
     * @param host address to bind, e.g. {@code 127.0.0.1}
     * @param port port to bind, 0 for any free port (see {@link #port()})
     * @return the running dashboard; close it to stop it
     * @throws IOException when the port cannot be bound
     */
    public static DetectionsDashboard start(String bootstrapServers, String host, int port) throws IOException {
        return builder().bootstrapServers(bootstrapServers).host(host).port(port).start();
    }

    /** The port the HTTP server is bound to (the actual one when 0 was asked for). */
    public int port() {
        return port;
    }

    /** The address the HTTP server is bound to. */
    public String host() {
        return host;
    }

    /** The page's address, e.g. {@code http://127.0.0.1:8088/}. */
    public URI uri() {
        try {
            return new URI("http", null, host, port, "/", null, null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Number of browsers currently connected to the event stream. */
    public int connectedClients() {
        return handler.clientCount();
    }

    /** Blocks until {@link #close()} has been called (e.g. by a shutdown hook). */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** Stops the consumer, ends the event streams and stops the HTTP server. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        broadcaster.shutdownNow();
        monitor.close();
        try {
            consumer.close();
        } catch (RuntimeException e) {
            LOG.warn("Error closing the dashboard's Kafka consumer", e);
        }
        handler.closeStreams();
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("Error stopping the dashboard's HTTP server", e);
        }
        terminated.countDown();
        LOG.info("Dashboard at {} stopped", uri());
    }

    /** Configuration of a {@link DetectionsDashboard}; {@link #start()} validates it and starts the dashboard. */
    public static final class Builder {
        private String bootstrapServers;
        private String detectionsTopic = DEFAULT_DETECTIONS_TOPIC;
        private String framesTopic = DEFAULT_FRAMES_TOPIC;
        private String deadLetterTopic = DEFAULT_DEAD_LETTER_TOPIC;
        private String analyticsTopic = DEFAULT_ANALYTICS_TOPIC;
        private io.flinkvision.tracking.analytics.AnalyticsConfig analyticsConfig;
        private Duration stalledAfter = Duration.ofSeconds(DEFAULT_STALLED_AFTER_S);
        private Duration offlineAfter = Duration.ofSeconds(DEFAULT_OFFLINE_AFTER_S);
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private final Map<String, String> consumerProperties = new LinkedHashMap<>();
        private boolean fromBeginning;
        private long frameCacheBytes = DEFAULT_FRAME_CACHE_MB * 1024L * 1024L;
        private Duration updateInterval = DEFAULT_UPDATE_INTERVAL;
        private String flinkRestUrl;
        private String jobName;
        private String consumerGroup;
        private Duration inputStallWindow = DEFAULT_INPUT_STALL_WINDOW;

        private Builder() {}

        /**
         * How long the input lag must grow with no detection record committed before the page shows an outage
         * ("input stalled"). Must exceed the job's checkpoint interval and be at least 4 s (two polls). Default
         * {@link #DEFAULT_INPUT_STALL_WINDOW} (30 s).
         */
        public Builder inputStallWindow(Duration inputStallWindow) {
            this.inputStallWindow = Objects.requireNonNull(inputStallWindow, "inputStallWindow");
            return this;
        }

        /**
         * The Flink JobManager's REST address (e.g. {@code http://jobmanager:8081}): the page and {@code /metrics} then
         * show the job's state (RUNNING, RESTARTING, FAILED, ...) and restarts. Default none (state unknown).
         */
        public Builder flinkRestUrl(String flinkRestUrl) {
            this.flinkRestUrl = flinkRestUrl;
            return this;
        }

        /** The name of the job to watch on the Flink cluster. Default none: the most recently started job. */
        public Builder jobName(String jobName) {
            this.jobName = jobName;
            return this;
        }

        /**
         * The job's Kafka consumer group id (the job's {@code --group-id}): the page and {@code /metrics} then show the
         * input lag of the frames topic (log-end minus committed offsets). Default none (lag unknown).
         */
        public Builder consumerGroup(String consumerGroup) {
            this.consumerGroup = consumerGroup;
            return this;
        }

        /** Kafka bootstrap servers, e.g. {@code kafka:9092}. Required. */
        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = bootstrapServers;
            return this;
        }

        /** Topic of the detection records (JSON {@code FrameDetections}). Default {@value #DEFAULT_DETECTIONS_TOPIC}. */
        public Builder detectionsTopic(String detectionsTopic) {
            this.detectionsTopic = detectionsTopic;
            return this;
        }

        /** Topic of the frames (key = camera id, value = image). Default {@value #DEFAULT_FRAMES_TOPIC}. */
        public Builder framesTopic(String framesTopic) {
            this.framesTopic = framesTopic;
            return this;
        }

        /**
         * Topic of the dead letters (the job's {@code --dead-letter-topic}): the page shows counts per reason and the
         * newest ones. Default {@value #DEFAULT_DEAD_LETTER_TOPIC}; null or blank: none read. A topic that does not
         * exist (yet) is not an error: it is read from its beginning once it appears, and the page says it is absent.
         */
        public Builder deadLetterTopic(String deadLetterTopic) {
            this.deadLetterTopic = deadLetterTopic;
            return this;
        }

        /**
         * Topic of the line/zone counts per window (the job's {@code --analytics-topic}): the page shows the counts per
         * camera, summed and of the newest windows. Default {@value #DEFAULT_ANALYTICS_TOPIC}; null or blank: none
         * read. A topic that does not exist (a job without tracking) is not an error.
         */
        public Builder analyticsTopic(String analyticsTopic) {
            this.analyticsTopic = analyticsTopic;
            return this;
        }

        /**
         * The job's analytics config (its {@code --analytics-config}): the page draws each camera's lines and zones over
         * its frame and counts the tracked boxes in each zone. Null (the default): only the counts of the analytics
         * topic are shown, without geometry.
         *
         * @throws IllegalArgumentException if the config is invalid ({@code AnalyticsConfig#validate})
         */
        public Builder analyticsConfig(io.flinkvision.tracking.analytics.AnalyticsConfig analyticsConfig) {
            if (analyticsConfig != null) {
                analyticsConfig.validate();
            }
            this.analyticsConfig = analyticsConfig;
            return this;
        }

        /**
         * Wall-clock time without a detection record after which a camera is shown {@code stalled} (greyed, no live
         * frames/s, after the live ones). Default {@value #DEFAULT_STALLED_AFTER_S} s; must be positive and shorter
         * than {@link #offlineAfter(Duration)}.
         */
        public Builder stalledAfter(Duration stalledAfter) {
            this.stalledAfter = Objects.requireNonNull(stalledAfter, "stalledAfter");
            return this;
        }

        /**
         * Wall-clock time without any record of a camera (detection record, frame or dead letter) after which it is
         * shown {@code offline}. Default {@value #DEFAULT_OFFLINE_AFTER_S} s.
         */
        public Builder offlineAfter(Duration offlineAfter) {
            this.offlineAfter = Objects.requireNonNull(offlineAfter, "offlineAfter");
            return this;
        }

        /** Address to bind the HTTP server to. Default {@value #DEFAULT_HOST} (loopback only). */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** Port to bind, 0 for any free port. Default {@value #DEFAULT_PORT}. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * Extra Kafka consumer settings (security: {@code security.protocol}, {@code sasl.*}, {@code ssl.*}).
         * {@code bootstrap.servers}, {@code isolation.level} (always {@code read_committed}), {@code group.id}
         * (none), {@code enable.auto.commit} and the deserializers are the dashboard's and cannot be overridden.
         */
        public Builder consumerProperties(Map<String, String> properties) {
            this.consumerProperties.putAll(Objects.requireNonNull(properties, "properties"));
            return this;
        }

        /** One extra Kafka consumer setting, see {@link #consumerProperties(Map)}. */
        public Builder consumerProperty(String key, String value) {
            this.consumerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Read both topics from their beginning instead of their end. Default false (live only). */
        public Builder fromBeginning(boolean fromBeginning) {
            this.fromBeginning = fromBeginning;
            return this;
        }

        /** Bytes of frame images kept to match detection records with. Default {@value #DEFAULT_FRAME_CACHE_MB} MiB. */
        public Builder frameCacheBytes(long frameCacheBytes) {
            this.frameCacheBytes = frameCacheBytes;
            return this;
        }

        /** How often changes are pushed to browsers. Default 250 ms. */
        public Builder updateInterval(Duration updateInterval) {
            this.updateInterval = Objects.requireNonNull(updateInterval, "updateInterval");
            return this;
        }

        /**
         * Binds the HTTP server, assigns the Kafka partitions (their start offsets are resolved before this returns,
         * so records produced afterwards are shown) and starts pushing updates.
         *
         * @return the running dashboard
         * @throws IllegalArgumentException for a missing bootstrap address, a blank topic, topics that are not
         *     distinct, a port outside 0..65535, a non-positive cache size or update interval, a stalled-after not
         *     below offline-after, a Flink REST URL that is not http(s), an input stall window
         *     under 4 s
         * @throws IOException when the address cannot be bound (e.g. the port is in use)
         */
        public DetectionsDashboard start() throws IOException {
            requireText(bootstrapServers, "bootstrapServers");
            requireText(detectionsTopic, "detectionsTopic");
            requireText(framesTopic, "framesTopic");
            requireText(host, "host");
            if (detectionsTopic.equals(framesTopic)) {
                throw new IllegalArgumentException("detections and frames topics must differ: " + framesTopic);
            }
            String dlq = deadLetterTopic == null || deadLetterTopic.isBlank() ? null : deadLetterTopic;
            if (dlq != null && (dlq.equals(framesTopic) || dlq.equals(detectionsTopic))) {
                throw new IllegalArgumentException("the dead-letter topic must differ from the frames and detections "
                        + "topics: " + dlq);
            }
            String analytics = analyticsTopic == null || analyticsTopic.isBlank() ? null : analyticsTopic;
            if (analytics != null && (analytics.equals(framesTopic) || analytics.equals(detectionsTopic)
                    || analytics.equals(dlq))) {
                throw new IllegalArgumentException("the analytics topic must differ from the frames, detections and "
                        + "dead-letter topics: " + analytics);
            }
            if (stalledAfter.toMillis() < 1 || offlineAfter.compareTo(stalledAfter) <= 0) {
                throw new IllegalArgumentException("need 0 < stalledAfter < offlineAfter, got " + stalledAfter + " and "
                        + offlineAfter);
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, got " + port);
            }
            if (frameCacheBytes <= 0) {
                throw new IllegalArgumentException("frameCacheBytes must be positive, got " + frameCacheBytes);
            }
            if (updateInterval.isNegative() || updateInterval.isZero()) {
                throw new IllegalArgumentException("updateInterval must be positive, got " + updateInterval);
            }
            if (inputStallWindow.toMillis() < 2 * JobHealthMonitor.POLL_MS) {
                throw new IllegalArgumentException("inputStallWindow must be at least " + 2 * JobHealthMonitor.POLL_MS
                        + " ms (two polls), got " + inputStallWindow);
            }
            FlinkJobProbe jobProbe = flinkRestUrl == null || flinkRestUrl.isBlank() ? null
                    : new FlinkJobProbe(flinkRestUrl, jobName == null || jobName.isBlank() ? null : jobName);
            DashboardState state = new DashboardState(frameCacheBytes, detectionsTopic, framesTopic, dlq,
                    stalledAfter.toMillis(), offlineAfter.toMillis());
            state.analytics(analyticsConfig, analytics);
            ObjectMapper mapper = new ObjectMapper();
            DashboardHandler handler = new DashboardHandler(state, mapper);

            QueuedThreadPool threads = new QueuedThreadPool(32, 2);
            threads.setName("dashboard-http");
            threads.setDaemon(true);
            Server server = new Server(threads);
            ServerConnector connector = new ServerConnector(server, 1, 1);
            connector.setHost(host);
            connector.setPort(port);
            connector.setIdleTimeout(60_000);
            server.addConnector(connector);
            server.setHandler(handler);
            server.setStopTimeout(2_000);
            try {
                server.start();
            } catch (Exception e) {
                stopQuietly(server);
                if (e instanceof IOException) {
                    throw new IOException("dashboard cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
                }
                throw new IOException("dashboard HTTP server failed to start on " + host + ":" + port, e);
            }

            DashboardConsumer consumer;
            try {
                consumer = new DashboardConsumer(bootstrapServers, detectionsTopic, framesTopic, dlq, analytics,
                        consumerProperties, fromBeginning, state);
                consumer.start();
            } catch (RuntimeException e) {
                stopQuietly(server);
                throw e;
            }

            ScheduledExecutorService broadcaster = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "dashboard-broadcast");
                t.setDaemon(true);
                return t;
            });
            JobHealthMonitor monitor = new JobHealthMonitor(state, jobProbe,
                    consumerGroup == null || consumerGroup.isBlank() ? null
                            : new InputLagProbe(bootstrapServers, consumerProperties, framesTopic, consumerGroup),
                    inputStallWindow.toMillis());
            DetectionsDashboard dashboard =
                    new DetectionsDashboard(server, connector, handler, consumer, broadcaster, monitor, host);
            long[] last = {-1, 0};
            broadcaster.scheduleWithFixedDelay(() -> {
                try {
                    long now = System.currentTimeMillis();
                    long version = state.version();
                    if (handler.clientCount() > 0 && (version != last[0] || now - last[1] >= MAX_SILENCE_MS)) {
                        handler.broadcast(handler.stateJson());
                        last[0] = version;
                        last[1] = now;
                    }
                } catch (RuntimeException e) {
                    LOG.warn("Dashboard update failed", e);
                }
            }, updateInterval.toMillis(), updateInterval.toMillis(), TimeUnit.MILLISECONDS);

            LOG.info("Dashboard at {} (detections: {}, frames: {}, dead letters: {}, Kafka: {}, consumer properties: {})",
                    dashboard.uri(), detectionsTopic, framesTopic, dlq, bootstrapServers, consumerProperties.keySet());
            if (!isLoopback(host)) {
                LOG.warn("Dashboard bound to {}: camera images are served without authentication to anyone who can "
                        + "reach this address", host);
            }
            return dashboard;
        }

        private static void requireText(String value, String name) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(name + " is required");
            }
        }

        private static boolean isLoopback(String host) {
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }

        private static void stopQuietly(Server server) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // already failing
            }
        }
    }
}

package io.flinkvision.jobs.dashboard;

import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.frame.Frame;
import io.flinkvision.tracking.analytics.AnalyticsConfig;
import io.flinkvision.tracking.analytics.AnalyticsWindow;
import io.flinkvision.tracking.analytics.Geometry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything the dashboard shows, fed by the Kafka consumer thread and read by the HTTP side: per camera the latest
 * detection record matched with its frame image, counters, frames/s, end-to-end latency percentiles and counts per
 * label over time.
 *
 * <p>Thread-safe: every method synchronizes on this object. The consumer calls {@link #onFrame} and
 * {@link #onDetections}; the HTTP side calls {@link #snapshot} and {@link #image}.
 *
 * <p>Definitions (also printed on the page):
 * <ul>
 *   <li><b>frames/s</b>: detection records per second over the last {@value #FPS_WINDOW_MS} ms of the operator's
 *       emit clock ({@code emitTimestampMs}), so that the bursts in which {@code read_committed} consumers receive a
 *       transaction's records at each checkpoint do not show as spikes.</li>
 *   <li><b>end-to-end latency</b>: {@code emitTimestampMs - captureTimestampMs} (capture by the producer to the
 *       operator's emit), over the records emitted in the last {@value #LATENCY_WINDOW_MS} ms before the newest one;
 *       p50/p99 are nearest-rank percentiles. The operator-internal {@code latencyMs.total} is reported beside it.
 *       Neither includes the wait for the Kafka transaction to commit.</li>
 *   <li><b>counts per label</b>: for each second of capture time, the number of detections of each label divided by
 *       the number of frames of that second (objects in view per frame), over the last {@value #SERIES_BUCKETS}
 *       seconds.</li>
 *   <li><b>camera state</b> (wall clock, arrival at the dashboard): {@code live} while detection records arrive;
 *       {@code stalled} after {@code stalledAfterMs} (default {@value #DEFAULT_STALLED_AFTER_MS} ms) without one;
 *       {@code offline} after {@code offlineAfterMs} (default {@value #DEFAULT_OFFLINE_AFTER_MS} ms) without any
 *       record of the camera (detection record, frame or dead letter); {@code no-records} for a key that has frames
 *       or dead letters but never had a detection record (e.g. a source whose every frame is dead-lettered).</li>
 *   <li><b>order</b> ({@link #CAMERA_ORDER}): live cameras first, then stalled, offline and no-records ones; live
 *       cameras by camera id (all of them are active, and a wall must not reshuffle on every checkpoint commit),
 *       the others most recently active first.</li>
 *   <li><b>dead letters</b>: the records of the dead-letter topic read since the dashboard started (or since the
 *       topic's beginning with {@code fromBeginning}): counts per reason and the newest
 *       {@value #RECENT_DEAD_LETTERS}.</li>
 *   <li><b>track trails</b> (with {@code job --tracking}): per track id the centres of its boxes in the last
 *       {@value #TRAIL_POINTS} frames that had it, in frame-index order (a record older than the camera's newest
 *       tracked one adds nothing); a track unseen for {@value #TRAIL_MAX_GAP_FRAMES} frames is forgotten. The shown
 *       frame lists the trails of its tracked boxes up to its own frame index.</li>
 *   <li><b>lines and zones</b> (with an analytics config and/or the analytics topic): the camera's configured
 *       geometry (source-image pixels), the counts summed over the analytics windows read since the dashboard
 *       started, the newest window's counts, the last {@value #RECENT_WINDOWS} windows, and per zone
 *       {@code occupancyNow}: tracked boxes of the shown frame whose anchor is inside the polygon.</li>
 * </ul>
 */
final class DashboardState {
    static final long FPS_WINDOW_MS = 10_000;
    static final long LATENCY_WINDOW_MS = 60_000;
    static final long SERIES_BUCKET_MS = 1_000;
    static final int SERIES_BUCKETS = 120;
    /** Labels charted per camera (the most frequent in the window). */
    static final int SERIES_MAX_LABELS = 8;
    /** A matched frame older than this (arrival time) behind the newest record is no longer shown. */
    static final long MATCH_STALE_MS = 5_000;
    private static final int MAX_LATENCY_SAMPLES = 50_000;
    /**
     * Default: a camera with no detection record for this long (wall clock, arrival at the dashboard) is
     * {@code stalled}, its frames/s no longer shown as live. Three times the longest usual gap between EXACTLY_ONCE
     * commits (a checkpoint interval of up to 10 s).
     */
    static final long DEFAULT_STALLED_AFTER_MS = 30_000;
    /**
     * Default: a camera with no record at all (detection record, frame or dead letter) for this long is
     * {@code offline}. Two minutes, the {@code for:} of the "no frames" alerts (docker/prometheus/alerts.yml).
     */
    static final long DEFAULT_OFFLINE_AFTER_MS = 120_000;
    /** Dead letters listed on the page (newest first). */
    static final int RECENT_DEAD_LETTERS = 20;
    /** Centres kept per track id for its trail. */
    static final int TRAIL_POINTS = 20;
    /** A track id not seen for this many frames of its camera loses its trail. */
    static final long TRAIL_MAX_GAP_FRAMES = 60;
    /** Analytics windows kept per camera for the small chart. */
    static final int RECENT_WINDOWS = 12;

    /** Camera states, see the class comment. */
    static final String LIVE = "live";
    static final String STALLED = "stalled";
    static final String OFFLINE = "offline";
    static final String NO_RECORDS = "no-records";
    private static final List<String> STATE_ORDER = List.of(LIVE, STALLED, OFFLINE, NO_RECORDS);

    /**
     * The order of the cameras on the page: by state ({@code live, stalled, offline, no-records}); live cameras by
     * camera id; the others by the age of their last record (most recently active first), then camera id.
     */
    static final Comparator<CameraSnapshot> CAMERA_ORDER = Comparator
            .<CameraSnapshot>comparingInt(c -> STATE_ORDER.indexOf(c.state()))
            .thenComparingLong(c -> LIVE.equals(c.state()) || c.lastActivityAgeMs() == null ? 0
                    : c.lastActivityAgeMs() / 1000)
            .thenComparing(CameraSnapshot::cameraId);

    private final long frameCacheBytes;
    private final String detectionsTopic;
    private final String framesTopic;
    private final String deadLetterTopic;
    private final long stalledAfterMs;
    private final long offlineAfterMs;
    /** Recent frame images of all cameras, oldest first, bounded by {@link #frameCacheBytes}. */
    private final LinkedHashMap<FrameKey, FrameImage> frameCache = new LinkedHashMap<>();
    private long frameCacheUsed;
    private final Map<String, CameraState> cameras = new TreeMap<>();
    private long version;
    private long malformedDetectionRecords;
    private long invalidFrameRecords;
    private String consumerStatus = "starting";
    private String consumerError;
    /** Detection records read (committed ones: the consumer is read_committed), all cameras. */
    private long detectionRecordsTotal;
    private JobHealth jobHealth = JobHealth.UNKNOWN;
    /** Frames-topic records read, valid or not. */
    private long framesRead;
    private long errorRecordsTotal;
    private long deadLettersTotal;
    private boolean deadLetterTopicPresent;
    /** Dead letters by reason code, in order of first appearance. */
    private final Map<String, ReasonTally> deadLettersByReason = new LinkedHashMap<>();
    /** The newest dead letters, newest first, at most {@link #RECENT_DEAD_LETTERS}. */
    private final ArrayDeque<DeadLetterRecord> recentDeadLetters = new ArrayDeque<>();
    /** Lines and zones of the cameras (the dashboard's {@code --analytics-config}), or null. */
    private AnalyticsConfig analyticsConfig;
    private String analyticsTopic;
    private long analyticsWindowsTotal;
    private long malformedAnalyticsRecords;

    /** A state with the default thresholds and no dead-letter topic. */
    DashboardState(long frameCacheBytes, String detectionsTopic, String framesTopic) {
        this(frameCacheBytes, detectionsTopic, framesTopic, null, DEFAULT_STALLED_AFTER_MS, DEFAULT_OFFLINE_AFTER_MS);
    }

    /**
     * @param frameCacheBytes how many bytes of frame images to keep for matching with detection records, which with
     *     {@code EXACTLY_ONCE} arrive up to a checkpoint interval after their frame
     * @param detectionsTopic shown on the page
     * @param framesTopic shown on the page
     * @param deadLetterTopic shown on the page, or null when the dashboard does not read one
     * @param stalledAfterMs wall-clock ms without a detection record after which a camera is {@code stalled}
     * @param offlineAfterMs wall-clock ms without any record after which a camera is {@code offline}
     * @throws IllegalArgumentException for a non-positive cache size or threshold, or {@code offlineAfterMs} not
     *     above {@code stalledAfterMs}
     */
    DashboardState(long frameCacheBytes, String detectionsTopic, String framesTopic, String deadLetterTopic,
            long stalledAfterMs, long offlineAfterMs) {
        if (frameCacheBytes < 1) {
            throw new IllegalArgumentException("frameCacheBytes must be positive, got " + frameCacheBytes);
        }
        if (stalledAfterMs < 1 || offlineAfterMs <= stalledAfterMs) {
            throw new IllegalArgumentException("need 0 < stalledAfterMs < offlineAfterMs, got " + stalledAfterMs
                    + " and " + offlineAfterMs);
        }
        this.frameCacheBytes = frameCacheBytes;
        this.detectionsTopic = detectionsTopic;
        this.framesTopic = framesTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.stalledAfterMs = stalledAfterMs;
        this.offlineAfterMs = offlineAfterMs;
    }

    /**
     * Sets the lines and zones drawn over the frames and the topic of the window counts (both optional).
     *
     * @param config the job's analytics config (validated), or null when only the topic's counts are shown
     * @param topic the analytics topic read, or null when none is
     */
    synchronized void analytics(AnalyticsConfig config, String topic) {
        this.analyticsConfig = config;
        this.analyticsTopic = topic;
        version++;
    }

    /** Records a window of line/zone counts from the analytics topic. */
    synchronized void onAnalytics(AnalyticsWindow w, long arrivalMs) {
        if (w.getCameraId() == null) {
            onMalformedAnalytics();
            return;
        }
        version++;
        analyticsWindowsTotal++;
        camera(w.getCameraId()).addWindow(w);
    }

    /** Records an analytics record that could not be parsed. */
    synchronized void onMalformedAnalytics() {
        malformedAnalyticsRecords++;
        version++;
    }

    /** An encoded image and its HTTP content type. */
    record FrameImage(String cameraId, long frameIndex, String contentType, byte[] bytes) {}

    private record FrameKey(String cameraId, long frameIndex) {}

    /** Records a frame from the frames topic (invalid frames and undisplayable encodings are only counted). */
    synchronized void onFrame(Frame frame, long arrivalMs) {
        framesRead++;
        if (!frame.isValid() || frame.getPayload() == null) {
            invalidFrameRecords++;
            version++;
            return;
        }
        FrameImage image = FrameImages.toBrowserImage(frame);
        CameraState cam = camera(frame.getCameraId());
        cam.framesReceived++;
        cam.lastFrameIndex = frame.getFrameIndex();
        cam.lastFrameArrivalMs = arrivalMs;
        version++;
        if (image == null) {
            cam.undisplayableFrames++;
            return;
        }
        FrameKey key = new FrameKey(frame.getCameraId(), frame.getFrameIndex());
        FrameImage previous = frameCache.remove(key);
        if (previous != null) {
            frameCacheUsed -= previous.bytes().length;
        }
        frameCache.put(key, image);
        frameCacheUsed += image.bytes().length;
        evictFrames();
        // A detection record that arrived before its frame (possible: two topics, one consumer) is matched now.
        if (cam.pending != null && cam.pending.record.getFrameIndex() == frame.getFrameIndex()) {
            cam.shown = new Shown(cam.pending.record, image, cam.pending.arrivalMs);
            cam.pending = null;
        }
    }

    /** Records a detection record from the detections topic. */
    synchronized void onDetections(FrameDetections record, long arrivalMs) {
        String cameraId = record.getCameraId() == null ? "" : record.getCameraId();
        CameraState cam = camera(cameraId);
        version++;
        detectionRecordsTotal++;
        cam.recordsTotal++;
        cam.lastRecordArrivalMs = arrivalMs;
        if (FrameDetections.STATUS_ERROR.equals(record.getStatus())) {
            errorRecordsTotal++;
            cam.errorsTotal++;
            cam.lastError = record.getError() == null ? "error" : record.getError().getReason();
            return;
        }
        List<Detection> detections = record.getDetections() == null ? List.of() : record.getDetections();
        cam.detectionsTotal += detections.size();
        cam.latest = record;
        cam.latestArrivalMs = arrivalMs;
        cam.addTiming(record);
        cam.addToSeries(record, detections);
        cam.addToTrails(record, detections);
        FrameImage image = frameCache.get(new FrameKey(cameraId, record.getFrameIndex()));
        if (image != null) {
            cam.shown = new Shown(record, image, arrivalMs);
            cam.pending = null;
        } else {
            cam.pending = new Shown(record, null, arrivalMs);
        }
    }

    /**
     * Records a dead letter read from the dead-letter topic: counted by reason, listed among the newest, and counted
     * on its camera (when it has a key).
     */
    synchronized void onDeadLetter(DeadLetterRecord dl, long arrivalMs) {
        version++;
        deadLettersTotal++;
        deadLettersByReason.computeIfAbsent(dl.reason(), ReasonTally::new).add(dl);
        recentDeadLetters.addFirst(dl);
        while (recentDeadLetters.size() > RECENT_DEAD_LETTERS) {
            recentDeadLetters.pollLast();
        }
        if (dl.cameraId() != null && !dl.cameraId().isEmpty()) {
            CameraState cam = camera(dl.cameraId());
            cam.deadLettersTotal++;
            cam.lastDeadLetterReason = dl.reason();
            cam.lastDeadLetterArrivalMs = arrivalMs;
        }
    }

    /** Whether the dead-letter topic exists (the consumer reads it); shown on the page when it does not. */
    synchronized void deadLetterTopicPresent(boolean present) {
        if (present != deadLetterTopicPresent) {
            deadLetterTopicPresent = present;
            version++;
        }
    }

    /** Records a detection record that could not be parsed. */
    synchronized void onMalformedDetections() {
        malformedDetectionRecords++;
        version++;
    }

    /** Sets the consumer's status line ({@code "running"}, {@code "waiting for topics"}, ...) and last error. */
    synchronized void consumerStatus(String status, String error) {
        if (!Objects.equals(status, consumerStatus) || !Objects.equals(error, consumerError)) {
            consumerStatus = status;
            consumerError = error;
            version++;
        }
    }

    /** Sets what the job health monitor measured last (job state, restarts, input lag). */
    synchronized void jobHealth(JobHealth health) {
        if (!Objects.equals(health, jobHealth)) {
            jobHealth = Objects.requireNonNull(health, "health");
            version++;
        }
    }

    /** Detection records read so far, all cameras (a counter for {@code /metrics}). */
    synchronized long detectionRecordsTotal() {
        return detectionRecordsTotal;
    }

    /** Changes whenever the state changes; lets the broadcaster skip unchanged snapshots. */
    synchronized long version() {
        return version;
    }

    /**
     * The image of a frame: the one shown for the camera, else one from the cache.
     *
     * @return the image, or null when it is not (or no longer) held
     */
    synchronized FrameImage image(String cameraId, long frameIndex) {
        CameraState cam = cameras.get(cameraId);
        if (cam != null && cam.shown != null && cam.shown.image != null
                && cam.shown.record.getFrameIndex() == frameIndex) {
            return cam.shown.image;
        }
        return frameCache.get(new FrameKey(cameraId, frameIndex));
    }

    /** A consistent copy of everything the page shows, ready to serialize as JSON. */
    synchronized Snapshot snapshot(long nowMs) {
        List<CameraSnapshot> list = new ArrayList<>();
        for (CameraState cam : cameras.values()) {
            list.add(cam.snapshot(nowMs, stalledAfterMs, offlineAfterMs, analyticsConfig));
        }
        list.sort(CAMERA_ORDER);
        return new Snapshot(nowMs, version, detectionsTopic, framesTopic, consumerStatus, consumerError, jobHealth,
                detectionRecordsTotal, malformedDetectionRecords,
                invalidFrameRecords, frameCache.size(), frameCacheUsed, stalledAfterMs, offlineAfterMs,
                totals(list), deadLetters(), analyticsTopic, analyticsWindowsTotal, malformedAnalyticsRecords, list);
    }

    private Totals totals(Collection<CameraSnapshot> list) {
        int[] byState = new int[STATE_ORDER.size()];
        double fps = 0;
        boolean anyFps = false;
        for (CameraSnapshot c : list) {
            byState[STATE_ORDER.indexOf(c.state())]++;
            if (c.fps() != null) {
                fps += c.fps();
                anyFps = true;
            }
        }
        return new Totals(framesRead, invalidFrameRecords, detectionRecordsTotal, errorRecordsTotal, deadLettersTotal,
                anyFps ? round2(fps) : null, byState[0], byState[1], byState[2], byState[3]);
    }

    private DeadLetters deadLetters() {
        List<ReasonCount> reasons = new ArrayList<>();
        for (ReasonTally t : deadLettersByReason.values()) {
            reasons.add(new ReasonCount(t.reason, t.count, t.lastAtMs, t.lastCameraId));
        }
        reasons.sort(Comparator.comparingLong(ReasonCount::count).reversed().thenComparing(ReasonCount::reason));
        return new DeadLetters(deadLetterTopic, deadLetterTopic != null && deadLetterTopicPresent, deadLettersTotal,
                reasons, List.copyOf(recentDeadLetters));
    }

    /** Dead letters of one reason. */
    private static final class ReasonTally {
        final String reason;
        long count;
        long lastAtMs;
        String lastCameraId;

        ReasonTally(String reason) {
            this.reason = reason;
        }

        void add(DeadLetterRecord dl) {
            count++;
            lastAtMs = Math.max(lastAtMs, dl.deadLetteredAtMs());
            lastCameraId = dl.cameraId();
        }
    }

    private CameraState camera(String id) {
        return cameras.computeIfAbsent(id, CameraState::new);
    }

    private void evictFrames() {
        Iterator<Map.Entry<FrameKey, FrameImage>> it = frameCache.entrySet().iterator();
        while (frameCacheUsed > frameCacheBytes && it.hasNext()) {
            frameCacheUsed -= it.next().getValue().bytes().length;
            it.remove();
        }
    }

    /** A detection record together with its image (null while the frame has not arrived). */
    private record Shown(FrameDetections record, FrameImage image, long arrivalMs) {}

    private static final class CameraState {
        final String cameraId;
        long recordsTotal;
        long detectionsTotal;
        long errorsTotal;
        String lastError;
        long framesReceived;
        long undisplayableFrames;
        long lastFrameIndex = -1;
        long lastFrameArrivalMs;
        long lastRecordArrivalMs;
        long deadLettersTotal;
        String lastDeadLetterReason;
        long lastDeadLetterArrivalMs;
        FrameDetections latest;
        long latestArrivalMs;
        Shown shown;
        Shown pending;
        /** Emit timestamps of the recent records, for frames/s. */
        final ArrayDeque<Long> emits = new ArrayDeque<>();
        long firstEmitMs = Long.MIN_VALUE;
        /** (emitMs, end-to-end ms, operator total ms) of the recent records. */
        final ArrayDeque<double[]> latencies = new ArrayDeque<>();
        long newestEmitMs = Long.MIN_VALUE;
        /** Capture-time buckets: bucket start (ms) -> bucket. */
        final TreeMap<Long, Bucket> buckets = new TreeMap<>();
        final Map<String, Integer> classIds = new HashMap<>();
        /** Track id -> its recent centres, oldest first. */
        final Map<Long, ArrayDeque<TrailPoint>> trails = new HashMap<>();
        long trailFrameIndex = Long.MIN_VALUE;
        /** Line / zone id -> counts summed over the windows read, in order of first appearance. */
        final Map<String, long[]> lineTotals = new LinkedHashMap<>();
        final Map<String, long[]> zoneTotals = new LinkedHashMap<>();
        /** The newest windows, oldest first. */
        final ArrayDeque<AnalyticsWindow> windows = new ArrayDeque<>();
        long windowsTotal;

        CameraState(String cameraId) {
            this.cameraId = cameraId;
        }

        void addToTrails(FrameDetections r, List<Detection> detections) {
            long f = r.getFrameIndex();
            if (f <= trailFrameIndex) {
                return; // late or repeated: trails go forward in frame order
            }
            trailFrameIndex = f;
            for (Detection d : detections) {
                if (d.getTrackId() == null || d.getBox() == null) {
                    continue;
                }
                ArrayDeque<TrailPoint> t = trails.computeIfAbsent(d.getTrackId(), k -> new ArrayDeque<>());
                t.addLast(new TrailPoint(f, (d.getBox().getX1() + d.getBox().getX2()) / 2,
                        (d.getBox().getY1() + d.getBox().getY2()) / 2));
                while (t.size() > TRAIL_POINTS) {
                    t.pollFirst();
                }
            }
            trails.values().removeIf(t -> t.peekLast().frameIndex() < f - TRAIL_MAX_GAP_FRAMES);
        }

        void addWindow(AnalyticsWindow w) {
            windowsTotal++;
            if (w.getLines() != null) {
                for (AnalyticsWindow.LineCount l : w.getLines()) {
                    long[] t = lineTotals.computeIfAbsent(l.getId(), k -> new long[2]);
                    t[0] += l.getLeftToRight();
                    t[1] += l.getRightToLeft();
                }
            }
            if (w.getZones() != null) {
                for (AnalyticsWindow.ZoneCount z : w.getZones()) {
                    long[] t = zoneTotals.computeIfAbsent(z.getId(), k -> new long[2]);
                    t[0] += z.getEntered();
                    t[1] += z.getExited();
                }
            }
            windows.addLast(w);
            while (windows.size() > RECENT_WINDOWS) {
                windows.pollFirst();
            }
        }

        /** The lines and zones view, or null when the camera has neither configured regions nor windows. */
        Analytics analytics(AnalyticsConfig config, ShownFrame frame) {
            AnalyticsConfig.CameraRegions regions = config == null ? null : config.regionsFor(cameraId);
            boolean configured = regions != null && !regions.isEmpty();
            if (!configured && windows.isEmpty()) {
                return null;
            }
            AnalyticsWindow last = windows.peekLast();
            Map<String, AnalyticsConfig.LineConfig> lineConfigs = new LinkedHashMap<>();
            Map<String, AnalyticsConfig.ZoneConfig> zoneConfigs = new LinkedHashMap<>();
            if (configured) {
                regions.getLines().forEach(l -> lineConfigs.put(l.getId(), l));
                regions.getZones().forEach(z -> zoneConfigs.put(z.getId(), z));
            }
            Set<String> lineIds = new java.util.LinkedHashSet<>(lineConfigs.keySet());
            lineIds.addAll(lineTotals.keySet());
            Set<String> zoneIds = new java.util.LinkedHashSet<>(zoneConfigs.keySet());
            zoneIds.addAll(zoneTotals.keySet());
            List<LineView> lines = new ArrayList<>();
            for (String id : lineIds) {
                AnalyticsConfig.LineConfig lc = lineConfigs.get(id);
                long[] t = lineTotals.getOrDefault(id, new long[2]);
                List<long[]> recent = new ArrayList<>();
                AnalyticsWindow.LineCount lastCount = null;
                for (AnalyticsWindow w : windows) {
                    AnalyticsWindow.LineCount c = line(w, id);
                    recent.add(new long[] {w.getWindowStartMs(), c == null ? 0 : c.getLeftToRight(),
                            c == null ? 0 : c.getRightToLeft()});
                    if (w == last) {
                        lastCount = c;
                    }
                }
                lines.add(new LineView(id, lc == null ? null : lc.getFrom(), lc == null ? null : lc.getTo(),
                        lc == null ? null : lc.getLabels(), t[0], t[1],
                        lastCount == null ? null : lastCount.getLeftToRight(),
                        lastCount == null ? null : lastCount.getRightToLeft(), recent));
            }
            String anchor = config == null || config.getAnchor() == null ? AnalyticsConfig.BOTTOM_CENTER
                    : config.getAnchor();
            List<ZoneView> zones = new ArrayList<>();
            for (String id : zoneIds) {
                AnalyticsConfig.ZoneConfig zc = zoneConfigs.get(id);
                long[] t = zoneTotals.getOrDefault(id, new long[2]);
                List<double[]> recent = new ArrayList<>();
                AnalyticsWindow.ZoneCount lastCount = null;
                for (AnalyticsWindow w : windows) {
                    AnalyticsWindow.ZoneCount c = zone(w, id);
                    recent.add(new double[] {w.getWindowStartMs(), c == null ? 0 : c.getEntered(),
                            c == null ? 0 : c.getExited(), c == null ? 0 : c.getOccupancyMax()});
                    if (w == last) {
                        lastCount = c;
                    }
                }
                Integer now = zc == null || frame == null ? null : occupancy(zc, anchor, frame);
                zones.add(new ZoneView(id, zc == null ? null : zc.getPolygon(), zc == null ? null : zc.getLabels(),
                        t[0], t[1], now, lastCount == null ? null : (long) lastCount.getOccupancyMax(),
                        lastCount == null ? null : round2(lastCount.getOccupancyMean()), recent));
            }
            return new Analytics(config == null ? null : config.getWindowMs(), anchor, windowsTotal,
                    last == null ? null : last.getWindowStartMs(), last == null ? null : last.getWindowEndMs(),
                    lines, zones);
        }

        private static AnalyticsWindow.LineCount line(AnalyticsWindow w, String id) {
            return w.getLines() == null ? null
                    : w.getLines().stream().filter(l -> id.equals(l.getId())).findFirst().orElse(null);
        }

        private static AnalyticsWindow.ZoneCount zone(AnalyticsWindow w, String id) {
            return w.getZones() == null ? null
                    : w.getZones().stream().filter(z -> id.equals(z.getId())).findFirst().orElse(null);
        }

        /** Tracked boxes of the frame (of the zone's labels) whose anchor is inside the zone. */
        private static int occupancy(AnalyticsConfig.ZoneConfig zone, String anchor, ShownFrame frame) {
            java.awt.geom.Path2D polygon = Geometry.polygon(zone.getPolygon());
            int n = 0;
            for (Box b : frame.boxes()) {
                if (b.trackId() == null || (zone.getLabels() != null && !zone.getLabels().isEmpty()
                        && !zone.getLabels().contains(b.label()))) {
                    continue;
                }
                float[] p = Geometry.anchor(new io.flinkvision.detection.BoundingBox(b.x1(), b.y1(), b.x2(), b.y2()),
                        anchor);
                if (polygon.contains(p[0], p[1])) {
                    n++;
                }
            }
            return n;
        }

        void addTiming(FrameDetections r) {
            long emit = r.getEmitTimestampMs();
            if (firstEmitMs == Long.MIN_VALUE) {
                firstEmitMs = emit;
            }
            newestEmitMs = Math.max(newestEmitMs, emit);
            emits.addLast(emit);
            while (!emits.isEmpty() && emits.peekFirst() <= newestEmitMs - FPS_WINDOW_MS) {
                emits.pollFirst();
            }
            double operatorTotal = r.getLatencyMs() == null ? Double.NaN : r.getLatencyMs().getTotal();
            latencies.addLast(new double[] {emit, emit - r.getCaptureTimestampMs(), operatorTotal});
            while (!latencies.isEmpty()
                    && (latencies.peekFirst()[0] <= newestEmitMs - LATENCY_WINDOW_MS
                            || latencies.size() > MAX_LATENCY_SAMPLES)) {
                latencies.pollFirst();
            }
        }

        void addToSeries(FrameDetections r, List<Detection> detections) {
            long bucketStart = Math.floorDiv(r.getCaptureTimestampMs(), SERIES_BUCKET_MS) * SERIES_BUCKET_MS;
            if (!buckets.isEmpty() && bucketStart <= buckets.lastKey() - SERIES_BUCKETS * SERIES_BUCKET_MS) {
                return; // older than the charted range
            }
            Bucket b = buckets.computeIfAbsent(bucketStart, k -> new Bucket());
            b.frames++;
            for (Detection d : detections) {
                String label = d.getLabel() == null ? "class " + d.getClassId() : d.getLabel();
                b.counts.merge(label, 1, Integer::sum);
                classIds.putIfAbsent(label, d.getClassId());
            }
            while (buckets.firstKey() <= buckets.lastKey() - SERIES_BUCKETS * SERIES_BUCKET_MS) {
                buckets.pollFirstEntry();
            }
        }

        CameraSnapshot snapshot(long nowMs, long stalledAfterMs, long offlineAfterMs, AnalyticsConfig config) {
            // Unknown (null) until two records span some time; while the camera's first record is inside the window,
            // the rate is measured over the span actually covered.
            Double fps = null;
            int n = emits.size();
            if (n >= 2 && firstEmitMs > newestEmitMs - FPS_WINDOW_MS) {
                long span = newestEmitMs - emits.peekFirst();
                fps = span > 0 ? round2((n - 1) * 1000.0 / span) : null;
            } else if (n >= 2) {
                fps = round2(n * 1000.0 / FPS_WINDOW_MS);
            }
            long lastActivity = Math.max(lastRecordArrivalMs, Math.max(lastFrameArrivalMs, lastDeadLetterArrivalMs));
            String state;
            if (lastRecordArrivalMs == 0) {
                state = NO_RECORDS;
            } else if (nowMs - lastActivity > offlineAfterMs) {
                state = OFFLINE;
            } else if (nowMs - lastRecordArrivalMs > stalledAfterMs) {
                state = STALLED;
            } else {
                state = LIVE;
            }
            // The emit-clock rate of the last records is not a live rate once records stop arriving.
            boolean stale = STALLED.equals(state) || OFFLINE.equals(state);
            if (stale) {
                fps = null;
            }
            double[] e2e = new double[latencies.size()];
            double[] op = new double[latencies.size()];
            int i = 0;
            int j = 0;
            for (double[] l : latencies) {
                e2e[i++] = l[1];
                if (!Double.isNaN(l[2])) {
                    op[j++] = l[2];
                }
            }
            op = Arrays.copyOf(op, j);
            Latency latency = new Latency(LATENCY_WINDOW_MS, e2e.length, percentile(e2e, 0.50),
                    percentile(e2e, 0.99), percentile(op, 0.50), percentile(op, 0.99));
            ShownFrame frame = shownFrame();
            return new CameraSnapshot(cameraId, state, frame, recordsTotal, detectionsTotal, errorsTotal,
                    lastError, framesReceived, undisplayableFrames, lastFrameIndex,
                    lastRecordArrivalMs == 0 ? null : nowMs - lastRecordArrivalMs,
                    lastFrameArrivalMs == 0 ? null : nowMs - lastFrameArrivalMs,
                    lastActivity == 0 ? null : nowMs - lastActivity, stale, deadLettersTotal, lastDeadLetterReason,
                    fps, latency, series(), analytics(config, frame));
        }

        /**
         * The newest record that has its image, unless it is older than {@link #MATCH_STALE_MS} behind the newest
         * record (frames missing from the frames topic): then the newest record, without image.
         */
        private ShownFrame shownFrame() {
            if (latest == null) {
                return null;
            }
            Shown s = shown;
            if (s == null || s.image == null || latestArrivalMs - s.arrivalMs > MATCH_STALE_MS) {
                s = new Shown(latest, null, latestArrivalMs);
            }
            FrameDetections r = s.record;
            List<Box> boxes = new ArrayList<>();
            List<Trail> shownTrails = new ArrayList<>();
            if (r.getDetections() != null) {
                for (Detection d : r.getDetections()) {
                    if (d.getBox() == null) {
                        continue;
                    }
                    boxes.add(new Box(d.getClassId(), d.getLabel() == null ? "class " + d.getClassId() : d.getLabel(),
                            round3(d.getScore()), d.getBox().getX1(), d.getBox().getY1(), d.getBox().getX2(),
                            d.getBox().getY2(), d.getTrackId()));
                    ArrayDeque<TrailPoint> t = d.getTrackId() == null ? null : trails.get(d.getTrackId());
                    if (t != null) {
                        List<float[]> points = new ArrayList<>();
                        for (TrailPoint p : t) {
                            if (p.frameIndex() <= r.getFrameIndex()) {
                                points.add(new float[] {round1(p.x()), round1(p.y())});
                            }
                        }
                        if (!points.isEmpty()) {
                            shownTrails.add(new Trail(d.getTrackId(), d.getClassId(), points));
                        }
                    }
                }
            }
            String url = s.image == null ? null
                    : "api/frame?camera=" + urlEncode(cameraId) + "&index=" + r.getFrameIndex();
            return new ShownFrame(r.getFrameIndex(), r.getCaptureTimestampMs(), r.getEmitTimestampMs(),
                    r.getImageWidth(), r.getImageHeight(), url, r.getModel(), r.getBackend(), r.getPrecision(),
                    r.getBatchSize(), r.getLatencyMs() == null ? null : round2(r.getLatencyMs().getTotal()),
                    r.getEmitTimestampMs() - r.getCaptureTimestampMs(), boxes, shownTrails);
        }

        private Series series() {
            if (buckets.isEmpty()) {
                return new Series(SERIES_BUCKET_MS, 0, List.of(), List.of());
            }
            long last = buckets.lastKey();
            long first = Math.max(buckets.firstKey(), last - (SERIES_BUCKETS - 1) * SERIES_BUCKET_MS);
            int len = (int) ((last - first) / SERIES_BUCKET_MS) + 1;
            int[] frames = new int[len];
            Map<String, Integer> totals = new HashMap<>();
            for (Map.Entry<Long, Bucket> e : buckets.tailMap(first, true).entrySet()) {
                frames[(int) ((e.getKey() - first) / SERIES_BUCKET_MS)] = e.getValue().frames;
                e.getValue().counts.forEach((label, c) -> totals.merge(label, c, Integer::sum));
            }
            List<String> labels = new ArrayList<>(totals.keySet());
            labels.sort(Comparator.<String>comparingInt(totals::get).reversed().thenComparing(Comparator.naturalOrder()));
            if (labels.size() > SERIES_MAX_LABELS) {
                labels = labels.subList(0, SERIES_MAX_LABELS);
            }
            List<LabelSeries> out = new ArrayList<>();
            for (String label : labels) {
                Double[] values = new Double[len];
                for (Map.Entry<Long, Bucket> e : buckets.tailMap(first, true).entrySet()) {
                    int k = (int) ((e.getKey() - first) / SERIES_BUCKET_MS);
                    Bucket b = e.getValue();
                    values[k] = round2(b.counts.getOrDefault(label, 0) / (double) b.frames);
                }
                out.add(new LabelSeries(label, classIds.getOrDefault(label, -1), Arrays.asList(values)));
            }
            List<Integer> frameList = new ArrayList<>(len);
            for (int f : frames) {
                frameList.add(f);
            }
            return new Series(SERIES_BUCKET_MS, first, frameList, out);
        }
    }

    private static final class Bucket {
        int frames;
        final Map<String, Integer> counts = new HashMap<>();
    }

    /** Nearest-rank percentile, null for no samples. */
    static Double percentile(double[] values, double p) {
        if (values.length == 0) {
            return null;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p * sorted.length);
        return round2(sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))]);
    }

    private static double round2(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    private static float round1(float v) {
        return Math.round(v * 10f) / 10f;
    }

    private static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    private static String urlEncode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    // ---- the JSON the page receives (serialized by Jackson from these records' accessors) ----

    /**
     * The whole page's state; {@code cameras} in {@link #CAMERA_ORDER}; thresholds in ms of wall clock.
     */
    record Snapshot(long serverTimeMs, long version, String detectionsTopic, String framesTopic,
            String consumerStatus, String consumerError, JobHealth job, long detectionRecordsTotal,
            long malformedDetectionRecords, long invalidFrameRecords, int cachedFrames, long cachedFrameBytes,
            long stalledAfterMs, long offlineAfterMs, Totals totals, DeadLetters deadLetters,
            String analyticsTopic, long analyticsWindows, long malformedAnalyticsRecords,
            List<CameraSnapshot> cameras) {}

    /**
     * Pipeline totals since the dashboard started reading (from the end of the topics unless {@code fromBeginning}).
     *
     * @param framesRead frames-topic records read, valid or not
     * @param invalidFrames frames-topic records that break the frame contract (no key, missing headers...)
     * @param detectionRecords committed detection records read, error records included
     * @param errorRecords detection records with {@code status=error}
     * @param deadLetters dead-letter records read
     * @param framesPerSecond the sum of the live cameras' frames/s, or null when none has one
     * @param live cameras in state {@code live}; {@code stalled}, {@code offline}, {@code noRecords} likewise
     */
    record Totals(long framesRead, long invalidFrames, long detectionRecords, long errorRecords, long deadLetters,
            Double framesPerSecond, int live, int stalled, int offline, int noRecords) {}

    /**
     * The dead-letter panel.
     *
     * @param topic the dead-letter topic, or null when none is read
     * @param topicPresent whether it exists
     * @param total dead letters read
     * @param byReason count per reason, most frequent first
     * @param recent the newest {@value #RECENT_DEAD_LETTERS}, newest first
     */
    record DeadLetters(String topic, boolean topicPresent, long total, List<ReasonCount> byReason,
            List<DeadLetterRecord> recent) {}

    /** Dead letters of one reason: how many, the newest's time (ms since the epoch) and camera (null: no key). */
    record ReasonCount(String reason, long count, long lastAtMs, String lastCameraId) {}

    /**
     * What the dashboard knows of the job, independently of the job's own metrics (which vanish while its tasks
     * restart). Null fields: not known (no Flink REST URL or consumer group given, or the last poll failed).
     *
     * @param jobState Flink's job status from the REST API (RUNNING, RESTARTING, FAILING, FAILED, ...), or null
     * @param jobName the job's name, or null
     * @param jobId the job's id, or null
     * @param restarts the job's {@code numRestarts}, or null
     * @param jobError why the job state is unknown (REST API unreachable, no job), or null
     * @param consumerGroup the job's Kafka consumer group whose lag is measured, or null
     * @param inputLagRecords frames-topic records not yet committed by the group (log-end minus committed offsets)
     * @param lagError why the lag is unknown, or null
     * @param committedRecordsPerSecond detection records read (committed) per second of wall clock over the last
     *     {@value JobHealthMonitor#RATE_WINDOW_MS} ms, or null before a second measurement
     * @param stallWindowMs the window of {@code inputLagGrowthRecords} and of the input-stalled rule, ms
     * @param inputLagGrowthRecords how much the input lag grew over the last {@code stallWindowMs} (negative: it
     *     shrank), or null before the window is covered or while the lag is unknown
     * @param verdict {@link JobVerdict}'s level: {@code ok}, {@code outage}, {@code unknown} or {@code unwatched}
     * @param verdictReason the sentence the page's banner shows
     */
    record JobHealth(String jobState, String jobName, String jobId, Long restarts, String jobError,
            String consumerGroup, Long inputLagRecords, String lagError, Double committedRecordsPerSecond,
            long stallWindowMs, Long inputLagGrowthRecords, String verdict, String verdictReason) {
        static final JobHealth UNKNOWN = new JobHealth(null, null, null, null, null, null, null, null, null, 0, null,
                JobVerdict.UNKNOWN, "Starting: the job's state has not been read yet.");
    }

    /**
     * One camera's card. {@code state} is {@code live}, {@code stalled}, {@code offline} or {@code no-records} (see
     * the class comment); {@code stale} is true while stalled or offline. {@code lastRecordAgeMs},
     * {@code lastFrameAgeMs} and {@code lastActivityAgeMs} (the newest of detection record, frame and dead letter) are
     * null before the first one; {@code fps} is null before two records and while {@code stale}.
     */
    record CameraSnapshot(String cameraId, String state, ShownFrame frame, long framesTotal, long detectionsTotal,
            long errorsTotal, String lastError, long framesReceived, long undisplayableFrames, long lastFrameIndex,
            Long lastRecordAgeMs, Long lastFrameAgeMs, Long lastActivityAgeMs, boolean stale, long deadLettersTotal,
            String lastDeadLetterReason, Double fps, Latency latency, Series labelSeries, Analytics analytics) {}

    /** The frame shown: its record's fields and boxes; {@code imageUrl} null when the image is not available. */
    record ShownFrame(long frameIndex, long captureTimestampMs, long emitTimestampMs, int imageWidth,
            int imageHeight, String imageUrl, String model, String backend, String precision, int batchSize,
            Double operatorLatencyMs, long endToEndMs, List<Box> boxes, List<Trail> trails) {}

    /** A box in source-image pixels; {@code trackId} null when the detection has none (no tracking, tentative). */
    record Box(int classId, String label, double score, float x1, float y1, float x2, float y2, Long trackId) {}

    /** Centres {@code [x, y]} (source-image pixels) of a track's boxes in its recent frames, oldest first. */
    record Trail(long trackId, int classId, List<float[]> points) {}

    private record TrailPoint(long frameIndex, float x, float y) {}

    /**
     * A camera's lines and zones.
     *
     * @param windowMs the config's window length (ms), or null without a config
     * @param anchor the point of a box that crosses lines and is in zones ({@code bottom-center} or {@code center})
     * @param windows analytics windows read for this camera
     * @param lastWindowStartMs start (capture time, ms since the epoch) of the newest window, or null before one
     * @param lastWindowEndMs its end, or null
     */
    record Analytics(Long windowMs, String anchor, long windows, Long lastWindowStartMs, Long lastWindowEndMs,
            List<LineView> lines, List<ZoneView> zones) {}

    /**
     * A counting line: its segment in source-image pixels ({@code from}/{@code to} null when it is not in the
     * dashboard's config), crossings summed over the windows read, those of the newest window (null before one) and
     * the recent windows as {@code [windowStartMs, leftToRight, rightToLeft]}.
     */
    record LineView(String id, float[] from, float[] to, List<String> labels, long leftToRight, long rightToLeft,
            Long lastLeftToRight, Long lastRightToLeft, List<long[]> recent) {}

    /**
     * A zone: its polygon in source-image pixels (null when not in the dashboard's config), entries/exits summed over
     * the windows read, {@code occupancyNow} (tracked boxes of the shown frame inside it; null without polygon or
     * frame), the newest window's occupancy max/mean, and the recent windows as
     * {@code [windowStartMs, entered, exited, occupancyMax]}.
     */
    record ZoneView(String id, float[][] polygon, List<String> labels, long entered, long exited,
            Integer occupancyNow, Long lastOccupancyMax, Double lastOccupancyMean, List<double[]> recent) {}

    /** Latency percentiles in ms over {@code windowMs}; null values when there are no samples. */
    record Latency(long windowMs, int samples, Double endToEndP50, Double endToEndP99, Double operatorP50,
            Double operatorP99) {}

    /** Objects per frame by label in capture-time buckets starting at {@code startMs}. */
    record Series(long bucketMs, long startMs, List<Integer> frames, List<LabelSeries> labels) {}

    /** One label's values per bucket (null: no frame in that bucket). */
    record LabelSeries(String label, int classId, List<Double> values) {}
}

package io.flinkvision.tracking;

import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The ByteTrack association of one camera (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every
 * Detection Box", ECCV 2022), on state held by the caller ({@link ObjectTracker} keeps it in Flink keyed state). Per
 * frame, {@link #update}:
 * <ol>
 *   <li>predicts every track's box with its {@link BoxKalmanFilter} (once per frame index step, so a gap of dropped
 *       frames is bridged by several predictions; a lost track's height velocity is zeroed first, as ByteTrack);</li>
 *   <li>splits detections into high ({@code score >= tracking.high-score}) and low ({@code [low-score, high-score)});
 *       lower ones are ignored;</li>
 *   <li>first association: confirmed tracks (tracked and lost) vs high detections, cost {@code 1 - IoU*score};</li>
 *   <li>second association: confirmed tracks still unmatched that were tracked in the previous frame vs low
 *       detections, cost {@code 1 - IoU}; tracks still unmatched become lost;</li>
 *   <li>tentative tracks vs the high detections left; a match adds a hit ({@code min-hits} hits confirm the track: it
 *       gets the camera's next id and a {@code started} event); an unmatched tentative track is dropped;</li>
 *   <li>high detections left with {@code score >= new-track-score} start tentative tracks;</li>
 *   <li>lost tracks older than {@code max-lost-frames} (or {@code max-lost-ms}) end ({@code ended} event).</li>
 * </ol>
 * Each stage is a minimum-cost assignment ({@link LinearAssignment}) limited to the stage's max cost; with
 * {@code per-class} pairs of different classes are forbidden. Detections matched to a confirmed track get its
 * {@link Detection#setTrackId track id}. Differences from ByteTrack: confirmation after {@code min-hits} (ByteTrack: 2,
 * and at once on a stream's first frame), ids given at confirmation (ByteTrack numbers tentative tracks too, so its ids
 * skip), no removal of duplicate tracked/lost pairs. Not thread-safe; one instance may serve many cameras.
 */
final class ByteTracker {
    private final TrackerConfig config;

    /** @param config thresholds ({@link TrackerConfig#DEFAULTS}: ByteTrack's) */
    public ByteTracker(TrackerConfig config) {
        this.config = config;
    }

    /** The thresholds in use. */
    public TrackerConfig config() {
        return config;
    }

    /**
     * Tracks one frame: updates {@code tracks} and {@code camera} in place, sets the detections' track ids and returns
     * the lifecycle events of this frame, in the order they happened.
     *
     * @param frame a frame of the camera with a frame index after {@code camera.lastFrameIndex} (the caller orders
     *     frames); an error record ({@code status != ok}) or detections with boxes of height 0 are not associated
     * @param tracks the camera's tracks (modified)
     * @param camera the camera's counters (modified)
     * @return events to publish, possibly empty
     */
    public List<TrackEvent> update(FrameDetections frame, List<TrackState> tracks, CameraTrackerState camera) {
        List<TrackEvent> events = new ArrayList<>();
        long index = frame.getFrameIndex();
        long ts = frame.getCaptureTimestampMs();
        camera.lastFrameIndex = index;
        camera.lastTimestampMs = ts;
        if (!FrameDetections.STATUS_OK.equals(frame.getStatus())) {
            endStale(frame, tracks, events);
            return events; // nothing was detected: no evidence that objects left, only age the lost tracks
        }
        long steps = camera.lastAssociatedFrameIndex < 0 ? 1 : Math.max(1, index - camera.lastAssociatedFrameIndex);
        camera.lastAssociatedFrameIndex = index;
        List<BoxKalmanFilter> filters = new ArrayList<>(tracks.size());
        List<BoundingBox> predicted = new ArrayList<>(tracks.size());
        for (TrackState t : tracks) {
            BoxKalmanFilter kf = BoxKalmanFilter.of(t.mean, t.covariance);
            for (long s = 0; s < Math.min(steps, config.maxLostFrames() + 1L); s++) {
                if (!TrackState.TRACKED.equals(t.status)) {
                    kf.zeroHeightVelocity();
                }
                kf.predict();
            }
            filters.add(kf);
            predicted.add(kf.box());
            t.mean = kf.mean(); // unmatched tracks keep the prediction (ByteTrack keeps lost tracks' predicted mean)
            t.covariance = kf.covariance();
        }

        List<Detection> high = new ArrayList<>();
        List<Detection> low = new ArrayList<>();
        for (Detection d : frame.getDetections()) {
            d.setTrackId(null);
            if (d.getBox() == null || !(d.getBox().height() > 0) || !(d.getBox().width() > 0)) {
                continue;
            }
            if (d.getScore() >= config.highScore()) {
                high.add(d);
            } else if (d.getScore() >= config.lowScore()) {
                low.add(d);
            }
        }
        boolean[] trackMatched = new boolean[tracks.size()];
        boolean[] highUsed = new boolean[high.size()];
        boolean[] lowUsed = new boolean[low.size()];

        // 1. confirmed tracks (tracked + lost) vs high-score detections
        List<Integer> pool = new ArrayList<>();
        for (int i = 0; i < tracks.size(); i++) {
            if (tracks.get(i).confirmed()) {
                pool.add(i);
            }
        }
        associate(pool, high, highUsed, config.firstMaxCost(), config.fuseScore(), tracks, predicted, filters,
                trackMatched, frame, camera, events);
        // 2. confirmed tracks tracked in the previous frame, still unmatched, vs low-score detections
        List<Integer> recent = new ArrayList<>();
        for (int i : pool) {
            if (!trackMatched[i] && TrackState.TRACKED.equals(tracks.get(i).status)) {
                recent.add(i);
            }
        }
        associate(recent, low, lowUsed, config.secondMaxCost(), false, tracks, predicted, filters, trackMatched,
                frame, camera, events);
        for (int i : pool) {
            if (!trackMatched[i]) {
                tracks.get(i).status = TrackState.LOST;
            }
        }
        // 3. tentative tracks vs the high-score detections left
        List<Integer> tentative = new ArrayList<>();
        for (int i = 0; i < tracks.size(); i++) {
            if (!tracks.get(i).confirmed()) {
                tentative.add(i);
            }
        }
        associate(tentative, high, highUsed, config.tentativeMaxCost(), config.fuseScore(), tracks, predicted, filters,
                trackMatched, frame, camera, events);

        // drop unmatched tentative tracks, end stale lost ones (keeping list order: older tracks first)
        List<TrackState> kept = new ArrayList<>(tracks.size());
        for (int i = 0; i < tracks.size(); i++) {
            TrackState t = tracks.get(i);
            if (!t.confirmed() && !trackMatched[i]) {
                continue;
            }
            kept.add(t);
        }
        tracks.clear();
        tracks.addAll(kept);
        endStale(frame, tracks, events);

        // 4. new tentative tracks from the high-score detections left
        for (int j = 0; j < high.size(); j++) {
            Detection d = high.get(j);
            if (!highUsed[j] && d.getScore() >= config.newTrackScore()) {
                TrackState t = start(d, frame);
                tracks.add(t);
                if (t.hits >= config.minHits()) {
                    confirm(t, d, frame, camera, events);
                }
            }
        }
        for (TrackState t : tracks) {
            if (t.confirmed() && t.lastFrameIndex == index && config.updateIntervalFrames() > 0
                    && index - t.lastEventFrameIndex >= config.updateIntervalFrames()) {
                t.lastEventFrameIndex = index;
                events.add(event(TrackEvent.UPDATED, t, frame));
            }
        }
        return events;
    }

    /**
     * Ends every open track (the input ended): an {@code ended} event with reason {@code end-of-stream} for each
     * confirmed track, tentative ones dropped.
     *
     * @param cameraId the camera's id
     * @param tracks the camera's tracks (cleared)
     * @param camera the camera's counters (its last frame index and time are the events' frame and time)
     */
    public List<TrackEvent> endAll(String cameraId, List<TrackState> tracks, CameraTrackerState camera) {
        List<TrackEvent> events = new ArrayList<>();
        FrameDetections at = new FrameDetections();
        at.setCameraId(cameraId);
        at.setFrameIndex(camera.lastFrameIndex);
        at.setCaptureTimestampMs(camera.lastTimestampMs);
        for (TrackState t : tracks) {
            if (t.confirmed()) {
                events.add(ended(t, at, TrackEvent.END_OF_STREAM));
            }
        }
        tracks.clear();
        return events;
    }

    private void associate(List<Integer> trackIdx, List<Detection> dets, boolean[] detUsed, float maxCost,
            boolean fuse, List<TrackState> tracks, List<BoundingBox> predicted, List<BoxKalmanFilter> filters,
            boolean[] trackMatched, FrameDetections frame, CameraTrackerState camera, List<TrackEvent> events) {
        List<Integer> detIdx = new ArrayList<>();
        for (int j = 0; j < dets.size(); j++) {
            if (!detUsed[j]) {
                detIdx.add(j);
            }
        }
        if (trackIdx.isEmpty() || detIdx.isEmpty()) {
            return;
        }
        double[][] cost = new double[trackIdx.size()][detIdx.size()];
        for (int r = 0; r < trackIdx.size(); r++) {
            int i = trackIdx.get(r);
            for (int c = 0; c < detIdx.size(); c++) {
                Detection d = dets.get(detIdx.get(c));
                if (config.perClass() && tracks.get(i).classId != d.getClassId()) {
                    cost[r][c] = Double.POSITIVE_INFINITY;
                    continue;
                }
                double iou = predicted.get(i).iou(d.getBox());
                cost[r][c] = iou <= 0 ? Double.POSITIVE_INFINITY : 1 - (fuse ? iou * d.getScore() : iou);
            }
        }
        int[] match = LinearAssignment.solve(cost, maxCost);
        for (int r = 0; r < match.length; r++) {
            if (match[r] < 0) {
                continue;
            }
            int i = trackIdx.get(r);
            int j = detIdx.get(match[r]);
            detUsed[j] = true;
            trackMatched[i] = true;
            Detection d = dets.get(j);
            TrackState t = tracks.get(i);
            BoxKalmanFilter kf = filters.get(i);
            kf.update(d.getBox());
            t.mean = kf.mean();
            t.covariance = kf.covariance();
            matched(t, d, frame);
            if (t.confirmed()) {
                d.setTrackId(t.trackId);
            } else if (t.hits >= config.minHits()) {
                confirm(t, d, frame, camera, events);
            }
        }
    }

    private void matched(TrackState t, Detection d, FrameDetections frame) {
        BoundingBox b = d.getBox();
        float cx = (b.getX1() + b.getX2()) / 2;
        float cy = (b.getY1() + b.getY2()) / 2;
        float pcx = (t.lastBox[0] + t.lastBox[2]) / 2;
        float pcy = (t.lastBox[1] + t.lastBox[3]) / 2;
        t.distancePx += Math.hypot(cx - pcx, cy - pcy);
        t.hits++;
        t.score = d.getScore();
        t.status = TrackState.TRACKED;
        t.lastFrameIndex = frame.getFrameIndex();
        t.lastTimestampMs = frame.getCaptureTimestampMs();
        t.lastBox = array(b);
        if (++t.sincePathPoint >= t.pathStride) {
            addPathPoint(t, cx, cy);
        }
    }

    private void addPathPoint(TrackState t, float x, float y) {
        t.sincePathPoint = 0;
        if (t.path.length / 2 >= config.pathMaxPoints()) { // thin: keep every other point, sample half as often
            int n = t.path.length / 2;
            float[] thinned = new float[((n + 1) / 2) * 2];
            for (int k = 0, o = 0; k < n; k += 2, o += 2) {
                thinned[o] = t.path[2 * k];
                thinned[o + 1] = t.path[2 * k + 1];
            }
            t.path = thinned;
            t.pathStride *= 2;
        }
        t.path = Arrays.copyOf(t.path, t.path.length + 2);
        t.path[t.path.length - 2] = x;
        t.path[t.path.length - 1] = y;
    }

    private TrackState start(Detection d, FrameDetections frame) {
        BoxKalmanFilter kf = BoxKalmanFilter.initiate(d.getBox());
        TrackState t = new TrackState();
        t.classId = d.getClassId();
        t.label = d.getLabel();
        t.mean = kf.mean();
        t.covariance = kf.covariance();
        t.hits = 1;
        t.score = d.getScore();
        t.status = TrackState.TRACKED;
        t.firstFrameIndex = frame.getFrameIndex();
        t.firstTimestampMs = frame.getCaptureTimestampMs();
        t.firstBox = array(d.getBox());
        t.lastFrameIndex = t.firstFrameIndex;
        t.lastTimestampMs = t.firstTimestampMs;
        t.lastBox = t.firstBox.clone();
        t.pathStride = 1;
        addPathPoint(t, (t.firstBox[0] + t.firstBox[2]) / 2, (t.firstBox[1] + t.firstBox[3]) / 2);
        return t;
    }

    private void confirm(TrackState t, Detection d, FrameDetections frame, CameraTrackerState camera,
            List<TrackEvent> events) {
        t.trackId = camera.nextTrackId++;
        t.lastEventFrameIndex = frame.getFrameIndex();
        d.setTrackId(t.trackId);
        events.add(event(TrackEvent.STARTED, t, frame));
    }

    private void endStale(FrameDetections frame, List<TrackState> tracks, List<TrackEvent> events) {
        long index = frame.getFrameIndex();
        long ts = frame.getCaptureTimestampMs();
        tracks.removeIf(t -> {
            boolean tooOld = index - t.lastFrameIndex > config.maxLostFrames()
                    || (config.maxLostMs() > 0 && ts - t.lastTimestampMs > config.maxLostMs());
            if (!tooOld) {
                return false;
            }
            if (t.confirmed()) {
                events.add(ended(t, frame, TrackEvent.END_LOST));
            }
            return true;
        });
    }

    private TrackEvent ended(TrackState t, FrameDetections frame, String reason) {
        TrackEvent e = event(TrackEvent.ENDED, t, frame);
        e.setEndReason(reason);
        float[][] path = new float[t.path.length / 2 + 1][];
        for (int k = 0; k < t.path.length / 2; k++) {
            path[k] = new float[] {t.path[2 * k], t.path[2 * k + 1]};
        }
        float lx = (t.lastBox[0] + t.lastBox[2]) / 2;
        float ly = (t.lastBox[1] + t.lastBox[3]) / 2;
        int n = t.path.length / 2;
        if (n > 0 && t.sincePathPoint == 0) {
            path = Arrays.copyOf(path, n); // the last match is already the last point
        } else {
            path[n] = new float[] {lx, ly};
        }
        e.setPath(path);
        return e;
    }

    private static TrackEvent event(String type, TrackState t, FrameDetections frame) {
        TrackEvent e = new TrackEvent();
        e.setType(type);
        e.setCameraId(frame.getCameraId());
        e.setTrackId(t.trackId);
        e.setClassId(t.classId);
        e.setLabel(t.label);
        e.setFrameIndex(frame.getFrameIndex());
        e.setTimestampMs(frame.getCaptureTimestampMs());
        e.setBox(box(t.lastBox));
        e.setScore(t.score);
        e.setFirstFrameIndex(t.firstFrameIndex);
        e.setFirstTimestampMs(t.firstTimestampMs);
        e.setFirstBox(box(t.firstBox));
        e.setLastFrameIndex(t.lastFrameIndex);
        e.setLastTimestampMs(t.lastTimestampMs);
        e.setDurationMs(t.lastTimestampMs - t.firstTimestampMs);
        e.setDurationFrames(t.lastFrameIndex - t.firstFrameIndex + 1);
        e.setHits(t.hits);
        e.setDistancePx(t.distancePx);
        return e;
    }

    private static float[] array(BoundingBox b) {
        return new float[] {b.getX1(), b.getY1(), b.getX2(), b.getY2()};
    }

    private static BoundingBox box(float[] a) {
        return new BoundingBox(a[0], a[1], a[2], a[3]);
    }
}

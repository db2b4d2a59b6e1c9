package io.flinkvision.tracking;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Multi-object tracking per camera as keyed Flink state: a {@code KeyedProcessFunction} keyed by camera id, after the
 * inference operator ({@code detections.keyBy(FrameDetections::getCameraId).process(new ObjectTracker(config))}).
 * Each detection record goes out once, in frame-index order per camera, with {@code trackId} set on the detections
 * that belong to a confirmed track ({@link ByteTracker}); track lifecycle events go to the side output
 * {@link #TRACK_EVENTS}.
 *
 * <p><b>State</b> (per camera, all checkpointed, so a restored job continues the same track ids and tracks):
 * {@code ListState<TrackState>} (the tracks with their Kalman state), {@code ValueState<CameraTrackerState>} (next
 * id, last frame) and {@code MapState<Long, PendingFrame>} (the reorder buffer).
 *
 * <p><b>Order</b>: a frame whose index is the previous one + 1 (or 0 for a camera's first frame) is tracked at once.
 * Any other frame (a gap: an earlier frame is still on its way, or was dead-lettered) is held in the reorder buffer
 * until the earliest of: the frames before it arrive; the watermark passes its capture time (the source allows 5 s
 * out of order); it waited {@code tracking.reorder.max-wait-ms} (2000) of processing time; or the buffer holds more
 * than {@code tracking.reorder.max-frames} (100) frames. Then the buffered frames up to it are tracked in index order
 * and the gap is skipped (the Kalman filter predicts across it). A frame that arrives after a later frame was tracked
 * is <em>late</em>: it goes out unchanged (no track ids) and counts in the {@code trackerLateFrames} metric, never
 * dropped. At the end of a bounded input (watermark +inf) the buffer is flushed and every open track ends with reason
 * {@code end-of-stream}.
 *
 * <p>Metrics (operator scope): counters {@code trackerFrames} (frames tracked), {@code trackerLateFrames},
 * {@code trackerHeldFrames} (frames that went through the reorder buffer), {@code trackerSkippedGaps},
 * {@code tracksStarted}, {@code tracksEnded}.
 */
@PublicEvolving
public class ObjectTracker extends KeyedProcessFunction<String, FrameDetections, FrameDetections> {
    private static final long serialVersionUID = 1L;

    /** Side output of the track lifecycle events. */
    public static final OutputTag<TrackEvent> TRACK_EVENTS = new OutputTag<>("track-events",
            TypeInformation.of(TrackEvent.class));

    private final TrackerConfig config;
    private transient ByteTracker tracker;
    private transient ListState<TrackState> tracksState;
    private transient ValueState<CameraTrackerState> cameraState;
    private transient MapState<Long, PendingFrame> pending;
    private transient Counter framesTracked;
    private transient Counter lateFrames;
    private transient Counter heldFrames;
    private transient Counter skippedGaps;
    private transient Counter started;
    private transient Counter ended;

    /** @param config thresholds and buffer bounds ({@link TrackerConfig#DEFAULTS}, or {@link TrackerConfig#from}) */
    public ObjectTracker(TrackerConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        tracker = new ByteTracker(config);
        tracksState = getRuntimeContext().getListState(new ListStateDescriptor<>("tracks",
                TypeInformation.of(TrackState.class)));
        cameraState = getRuntimeContext().getState(new ValueStateDescriptor<>("camera",
                TypeInformation.of(CameraTrackerState.class)));
        pending = getRuntimeContext().getMapState(new MapStateDescriptor<>("reorder-buffer", Types.LONG,
                TypeInformation.of(PendingFrame.class)));
        var metrics = getRuntimeContext().getMetricGroup();
        framesTracked = metrics.counter("trackerFrames");
        lateFrames = metrics.counter("trackerLateFrames");
        heldFrames = metrics.counter("trackerHeldFrames");
        skippedGaps = metrics.counter("trackerSkippedGaps");
        started = metrics.counter("tracksStarted");
        ended = metrics.counter("tracksEnded");
    }

    @Override
    public void processElement(FrameDetections frame, Context ctx, Collector<FrameDetections> out) throws Exception {
        CameraTrackerState camera = camera();
        ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE); // end of input: flush and end tracks
        long index = frame.getFrameIndex();
        if (camera.lastFrameIndex >= 0 && index <= camera.lastFrameIndex) {
            lateFrames.inc(); // a later frame was already tracked: pass it on untracked
            out.collect(frame);
            return;
        }
        if (index == camera.lastFrameIndex + 1 && camera.pendingFrames == 0) {
            track(frame, camera, ctx, out);
            cameraState.update(camera);
            return;
        }
        if (pending.contains(index)) { // the same frame again (a replayed duplicate): late
            lateFrames.inc();
            out.collect(frame);
            return;
        }
        PendingFrame p = new PendingFrame();
        p.json = DetectionJson.toBytes(frame);
        p.captureTimestampMs = frame.getCaptureTimestampMs();
        p.arrivalMs = ctx.timerService().currentProcessingTime();
        pending.put(index, p);
        camera.pendingFrames++;
        heldFrames.inc();
        ctx.timerService().registerEventTimeTimer(p.captureTimestampMs);
        ctx.timerService().registerProcessingTimeTimer(p.arrivalMs + config.reorderMaxWaitMs());
        drainContiguous(camera, ctx, out);
        if (camera.pendingFrames > config.reorderMaxFrames()) {
            releaseUpTo(lowestPending(), camera, ctx, out);
        }
        cameraState.update(camera);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FrameDetections> out) throws Exception {
        CameraTrackerState camera = camera();
        if (timestamp == Long.MAX_VALUE && ctx.timeDomain() == org.apache.flink.streaming.api.TimeDomain.EVENT_TIME) {
            releaseUpTo(Long.MAX_VALUE, camera, ctx, out);
            List<TrackState> tracks = tracks();
            for (TrackEvent e : tracker.endAll(ctx.getCurrentKey(), tracks, camera)) {
                emit(e, ctx);
            }
            tracksState.update(tracks);
            cameraState.update(camera);
            return;
        }
        if (camera.pendingFrames == 0) {
            return;
        }
        long bound = Long.MIN_VALUE; // highest buffered index whose wait is over
        long watermark = ctx.timerService().currentWatermark();
        long now = ctx.timerService().currentProcessingTime();
        for (Map.Entry<Long, PendingFrame> e : pending.entries()) {
            PendingFrame p = e.getValue();
            if (p.captureTimestampMs <= watermark || now - p.arrivalMs >= config.reorderMaxWaitMs()) {
                bound = Math.max(bound, e.getKey());
            }
        }
        if (bound != Long.MIN_VALUE) {
            releaseUpTo(bound, camera, ctx, out);
            cameraState.update(camera);
        }
    }

    /** Tracks the buffered frames with index <= bound in index order (skipping gaps), then any contiguous ones. */
    private void releaseUpTo(long bound, CameraTrackerState camera, Context ctx, Collector<FrameDetections> out)
            throws Exception {
        List<Long> indexes = new ArrayList<>();
        for (Long k : pending.keys()) {
            if (k <= bound) {
                indexes.add(k);
            }
        }
        indexes.sort(null);
        for (long k : indexes) {
            FrameDetections f = parse(pending.get(k));
            pending.remove(k);
            camera.pendingFrames--;
            if (k != camera.lastFrameIndex + 1) {
                skippedGaps.inc();
            }
            track(f, camera, ctx, out);
        }
        drainContiguous(camera, ctx, out);
    }

    private void drainContiguous(CameraTrackerState camera, Context ctx, Collector<FrameDetections> out)
            throws Exception {
        while (camera.pendingFrames > 0 && pending.contains(camera.lastFrameIndex + 1)) {
            long k = camera.lastFrameIndex + 1;
            FrameDetections f = parse(pending.get(k));
            pending.remove(k);
            camera.pendingFrames--;
            track(f, camera, ctx, out);
        }
    }

    private long lowestPending() throws Exception {
        long low = Long.MAX_VALUE;
        for (Long k : pending.keys()) {
            low = Math.min(low, k);
        }
        return low;
    }

    private void track(FrameDetections frame, CameraTrackerState camera, Context ctx, Collector<FrameDetections> out)
            throws Exception {
        List<TrackState> tracks = tracks();
        List<TrackEvent> events = tracker.update(frame, tracks, camera);
        tracksState.update(tracks);
        framesTracked.inc();
        out.collect(frame);
        for (TrackEvent e : events) {
            emit(e, ctx);
        }
    }

    private void emit(TrackEvent e, Context ctx) {
        if (TrackEvent.STARTED.equals(e.getType())) {
            started.inc();
        } else if (TrackEvent.ENDED.equals(e.getType())) {
            ended.inc();
        }
        ctx.output(TRACK_EVENTS, e);
    }

    private List<TrackState> tracks() throws Exception {
        List<TrackState> list = new ArrayList<>();
        Iterable<TrackState> stored = tracksState.get();
        if (stored != null) {
            stored.forEach(list::add);
        }
        return list;
    }

    private CameraTrackerState camera() throws IOException {
        CameraTrackerState c = cameraState.value();
        return c == null ? new CameraTrackerState() : c;
    }

    private static FrameDetections parse(PendingFrame p) {
        try {
            return DetectionJson.parse(p.json);
        } catch (IOException e) {
            throw new UncheckedIOException("reorder buffer holds a record this version cannot read", e);
        }
    }
}

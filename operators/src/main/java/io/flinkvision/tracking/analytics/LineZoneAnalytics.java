package io.flinkvision.tracking.analytics;

import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import java.awt.geom.Path2D;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Line crossings and zone occupancy/dwell per camera from tracked detection records (after
 * {@link io.flinkvision.tracking.ObjectTracker}; only detections with a {@code trackId} count), emitted as one
 * {@link AnalyticsWindow} per camera per tumbling event-time window of {@code windowMs}, when the watermark passes the
 * window's end (and for every open window at the end of a bounded input). Keyed by camera id.
 *
 * <p>Each track's anchor point ({@link Geometry#anchor}) is followed from frame to frame: a <b>crossing</b> of a line is
 * counted when the anchor's side of the line changes and its move touches the segment (a move that passes beyond the
 * segment's ends does not count); a track <b>enters</b> a zone at the first frame its anchor is inside and
 * <b>exits</b> at the first frame it is seen outside, or {@code trackTimeoutMs} after its last sighting (dwell ends at
 * that sighting). A window is counted by the frames' capture times; a frame for a window already emitted (it came
 * later than the watermark) is not counted: it counts in the {@code analyticsLateFrames} metric (its detections are
 * still in the detections topic). Frames of cameras without lines or zones pass without state.
 *
 * <p>Metrics (operator scope, group {@code camera} / {@code line} or {@code zone}): counters {@code leftToRight},
 * {@code rightToLeft}, {@code entered}, {@code exited}; {@code analyticsLateFrames}.
 */
@PublicEvolving
public class LineZoneAnalytics extends KeyedProcessFunction<String, FrameDetections, AnalyticsWindow> {
    private static final long serialVersionUID = 1L;

    private final AnalyticsConfig config;
    private transient MapState<Long, TrackPresence> presence;
    private transient MapState<Long, WindowTally> windows;
    private transient Map<String, Path2D[]> zoneShapes;
    private transient Map<String, Counter> counters;
    private transient Counter lateFrames;

    /** @param config lines and zones per camera (validated) */
    public LineZoneAnalytics(AnalyticsConfig config) {
        config.validate();
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) {
        presence = getRuntimeContext().getMapState(new MapStateDescriptor<>("track-presence", Types.LONG,
                TypeInformation.of(TrackPresence.class)));
        windows = getRuntimeContext().getMapState(new MapStateDescriptor<>("window-tallies", Types.LONG,
                TypeInformation.of(WindowTally.class)));
        zoneShapes = new HashMap<>();
        counters = new HashMap<>();
        lateFrames = getRuntimeContext().getMetricGroup().counter("analyticsLateFrames");
    }

    @Override
    public void processElement(FrameDetections frame, Context ctx, Collector<AnalyticsWindow> out) throws Exception {
        String camera = ctx.getCurrentKey();
        AnalyticsConfig.CameraRegions regions = config.regionsFor(camera);
        if (regions.isEmpty() || !FrameDetections.STATUS_OK.equals(frame.getStatus())) {
            return;
        }
        ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE); // end of input: emit every open window
        long ts = frame.getCaptureTimestampMs();
        long start = ts - Math.floorMod(ts, config.getWindowMs());
        long end = start + config.getWindowMs();
        if (end - 1 <= ctx.timerService().currentWatermark()) {
            lateFrames.inc(); // its window is out; the frame is older than the tracks' positions: ignored here
            return;
        }
        WindowTally tally = windows.get(start);
        if (tally == null) {
            tally = WindowTally.of(regions.getLines().size(), regions.getZones().size());
            ctx.timerService().registerEventTimeTimer(end - 1);
        }
        tally.frames++;
        Path2D[] shapes = zoneShapes.computeIfAbsent(camera, c -> regions.getZones().stream()
                .map(z -> Geometry.polygon(z.getPolygon())).toArray(Path2D[]::new));
        int[] occupancy = new int[regions.getZones().size()];
        Set<Long> seen = new HashSet<>();
        for (Detection d : frame.getDetections()) {
            if (d.getTrackId() == null || d.getBox() == null || !seen.add(d.getTrackId())) {
                continue;
            }
            float[] p = Geometry.anchor(d.getBox(), config.getAnchor());
            TrackPresence t = presence.get(d.getTrackId());
            boolean fresh = t == null;
            if (fresh) {
                t = new TrackPresence();
                t.sides = new int[regions.getLines().size()];
                t.enteredMs = new long[regions.getZones().size()];
                java.util.Arrays.fill(t.enteredMs, -1);
            }
            for (int i = 0; i < regions.getLines().size(); i++) {
                AnalyticsConfig.LineConfig line = regions.getLines().get(i);
                if (!applies(line.getLabels(), d.getLabel())) {
                    continue;
                }
                int s = Geometry.side(line.getFrom(), line.getTo(), p[0], p[1]);
                if (s == 0) {
                    continue;
                }
                if (!fresh && t.sides[i] != 0 && s != t.sides[i]
                        && Geometry.intersects(line.getFrom(), line.getTo(), t.x, t.y, p[0], p[1])) {
                    if (s > 0) {
                        tally.leftToRight[i]++;
                        counter(camera, "line", line.getId(), "leftToRight").inc();
                    } else {
                        tally.rightToLeft[i]++;
                        counter(camera, "line", line.getId(), "rightToLeft").inc();
                    }
                }
                t.sides[i] = s;
            }
            for (int z = 0; z < shapes.length; z++) {
                AnalyticsConfig.ZoneConfig zone = regions.getZones().get(z);
                boolean inside = applies(zone.getLabels(), d.getLabel()) && shapes[z].contains(p[0], p[1]);
                if (inside) {
                    occupancy[z]++;
                    if (t.enteredMs[z] < 0) {
                        t.enteredMs[z] = ts;
                        tally.entered[z]++;
                        counter(camera, "zone", zone.getId(), "entered").inc();
                    }
                } else if (t.enteredMs[z] >= 0) {
                    exit(tally, z, ts - t.enteredMs[z], camera, zone.getId());
                    t.enteredMs[z] = -1;
                }
            }
            t.x = p[0];
            t.y = p[1];
            t.lastSeenMs = ts;
            presence.put(d.getTrackId(), t);
        }
        for (int z = 0; z < occupancy.length; z++) {
            tally.occupancySum[z] += occupancy[z];
            tally.occupancyMax[z] = Math.max(tally.occupancyMax[z], occupancy[z]);
        }
        // tracks unseen for trackTimeoutMs have left: their zones' dwell ends at their last sighting
        List<Long> gone = new ArrayList<>();
        for (Map.Entry<Long, TrackPresence> e : presence.entries()) {
            if (!seen.contains(e.getKey()) && ts - e.getValue().lastSeenMs > config.getTrackTimeoutMs()) {
                leaveZones(e.getValue(), tally, camera, regions);
                gone.add(e.getKey());
            }
        }
        for (Long id : gone) {
            presence.remove(id);
        }
        windows.put(start, tally);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AnalyticsWindow> out) throws Exception {
        String camera = ctx.getCurrentKey();
        AnalyticsConfig.CameraRegions regions = config.regionsFor(camera);
        // the watermark is +inf when the input ended (it is set before the timers below it fire)
        boolean endOfInput = ctx.timerService().currentWatermark() == Long.MAX_VALUE;
        List<Long> starts = new ArrayList<>();
        for (Long s : windows.keys()) {
            if (endOfInput || s + config.getWindowMs() - 1 <= timestamp) {
                starts.add(s);
            }
        }
        starts.sort(null);
        if (endOfInput && !starts.isEmpty()) { // open presences leave, in the last window
            WindowTally last = windows.get(starts.get(starts.size() - 1));
            for (TrackPresence t : presence.values()) {
                leaveZones(t, last, camera, regions);
            }
            presence.clear();
            windows.put(starts.get(starts.size() - 1), last);
        }
        for (long s : starts) {
            out.collect(toRecord(camera, s, windows.get(s), regions));
            windows.remove(s);
        }
    }

    private void leaveZones(TrackPresence t, WindowTally tally, String camera, AnalyticsConfig.CameraRegions regions) {
        for (int z = 0; z < t.enteredMs.length; z++) {
            if (t.enteredMs[z] >= 0) {
                exit(tally, z, t.lastSeenMs - t.enteredMs[z], camera, regions.getZones().get(z).getId());
                t.enteredMs[z] = -1;
            }
        }
    }

    private void exit(WindowTally tally, int z, long dwellMs, String camera, String zone) {
        tally.exited[z]++;
        tally.dwellCount[z]++;
        tally.dwellSumMs[z] += dwellMs;
        tally.dwellMaxMs[z] = Math.max(tally.dwellMaxMs[z], dwellMs);
        counter(camera, "zone", zone, "exited").inc();
    }

    private AnalyticsWindow toRecord(String camera, long start, WindowTally t, AnalyticsConfig.CameraRegions regions) {
        AnalyticsWindow w = new AnalyticsWindow();
        w.setCameraId(camera);
        w.setWindowStartMs(start);
        w.setWindowEndMs(start + config.getWindowMs());
        w.setFrames(t.frames);
        for (int i = 0; i < regions.getLines().size(); i++) {
            w.getLines().add(new AnalyticsWindow.LineCount(regions.getLines().get(i).getId(), t.leftToRight[i],
                    t.rightToLeft[i]));
        }
        for (int z = 0; z < regions.getZones().size(); z++) {
            AnalyticsWindow.ZoneCount c = new AnalyticsWindow.ZoneCount();
            c.setId(regions.getZones().get(z).getId());
            c.setEntered(t.entered[z]);
            c.setExited(t.exited[z]);
            c.setOccupancyMax(t.occupancyMax[z]);
            c.setOccupancyMean(t.frames == 0 ? 0 : (double) t.occupancySum[z] / t.frames);
            c.setDwellCount(t.dwellCount[z]);
            c.setDwellMeanMs(t.dwellCount[z] == 0 ? 0 : (double) t.dwellSumMs[z] / t.dwellCount[z]);
            c.setDwellMaxMs(t.dwellMaxMs[z]);
            w.getZones().add(c);
        }
        return w;
    }

    private static boolean applies(List<String> labels, String label) {
        return labels == null || labels.isEmpty() || labels.contains(label);
    }

    private Counter counter(String camera, String kind, String id, String name) {
        return counters.computeIfAbsent(camera + '\u0000' + kind + '\u0000' + id + '\u0000' + name, k -> {
            MetricGroup g = getRuntimeContext().getMetricGroup().addGroup("camera", camera).addGroup(kind, id);
            return g.counter(name);
        });
    }
}

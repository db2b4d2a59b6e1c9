package io.flinkvision.tracking.analytics;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The counts of one camera in one tumbling event-time window: a record of the {@code analytics} topic (JSON, README,
 * "Analytics records"). Window bounds are capture times, ms since the epoch, {@code [windowStartMs, windowEndMs)}.
 */
@PublicEvolving
public class AnalyticsWindow {
    private String cameraId;
    private long windowStartMs;
    private long windowEndMs;
    private long frames;
    private List<LineCount> lines = new ArrayList<>();
    private List<ZoneCount> zones = new ArrayList<>();

    public AnalyticsWindow() {}

    public String getCameraId() { return cameraId; }
    public void setCameraId(String cameraId) { this.cameraId = cameraId; }
    public long getWindowStartMs() { return windowStartMs; }
    public void setWindowStartMs(long v) { this.windowStartMs = v; }
    public long getWindowEndMs() { return windowEndMs; }
    public void setWindowEndMs(long v) { this.windowEndMs = v; }
    /** Frames of the camera in the window (tracked ones with status ok). */
    public long getFrames() { return frames; }
    public void setFrames(long frames) { this.frames = frames; }
    public List<LineCount> getLines() { return lines; }
    public void setLines(List<LineCount> lines) { this.lines = lines; }
    public List<ZoneCount> getZones() { return zones; }
    public void setZones(List<ZoneCount> zones) { this.zones = zones; }

    /** Crossings of one line in the window, by direction (see {@link AnalyticsConfig.LineConfig}). */
    public static class LineCount {
        private String id;
        private long leftToRight;
        private long rightToLeft;

        public LineCount() {}

        public LineCount(String id, long leftToRight, long rightToLeft) {
            this.id = id;
            this.leftToRight = leftToRight;
            this.rightToLeft = rightToLeft;
        }

        public String getId() { return id; }
        public void setId(String id) { this.id = id; }
        public long getLeftToRight() { return leftToRight; }
        public void setLeftToRight(long v) { this.leftToRight = v; }
        public long getRightToLeft() { return rightToLeft; }
        public void setRightToLeft(long v) { this.rightToLeft = v; }
    }

    /**
     * One zone in the window: tracks that entered and exited; occupancy (tracks inside per frame) max and mean over the
     * window's frames; dwell (exit - entry, ms) of the tracks that exited in the window: count, mean, max.
     */
    public static class ZoneCount {
        private String id;
        private long entered;
        private long exited;
        private int occupancyMax;
        private double occupancyMean;
        private long dwellCount;
        private double dwellMeanMs;
        private long dwellMaxMs;

        public ZoneCount() {}

        public String getId() { return id; }
        public void setId(String id) { this.id = id; }
        public long getEntered() { return entered; }
        public void setEntered(long v) { this.entered = v; }
        public long getExited() { return exited; }
        public void setExited(long v) { this.exited = v; }
        public int getOccupancyMax() { return occupancyMax; }
        public void setOccupancyMax(int v) { this.occupancyMax = v; }
        public double getOccupancyMean() { return occupancyMean; }
        public void setOccupancyMean(double v) { this.occupancyMean = v; }
        public long getDwellCount() { return dwellCount; }
        public void setDwellCount(long v) { this.dwellCount = v; }
        public double getDwellMeanMs() { return dwellMeanMs; }
        public void setDwellMeanMs(double v) { this.dwellMeanMs = v; }
        public long getDwellMaxMs() { return dwellMaxMs; }
        public void setDwellMaxMs(long v) { this.dwellMaxMs = v; }
    }

    @Override
    public String toString() {
        return "AnalyticsWindow{" + cameraId + " [" + windowStartMs + ", " + windowEndMs + ") frames " + frames + "}";
    }
}

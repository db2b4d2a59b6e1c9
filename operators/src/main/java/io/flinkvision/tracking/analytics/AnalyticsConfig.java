package io.flinkvision.tracking.analytics;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Lines and zones per camera for {@link LineZoneAnalytics}, read from a JSON or YAML file (Jackson; README, "Analytics
 * config"). Coordinates are source-image pixels ({@code x} right, {@code y} down). The camera key {@code "*"} applies
 * to every camera without an entry of its own. Example (YAML):
 * <pre>
 * windowMs: 10000          # tumbling event-time window of the counts (default 10000)
 * anchor: bottom-center    # point of a box that crosses lines / is in zones: bottom-center (default) or center
 * trackTimeoutMs: 2000     # a track unseen this long (capture time) has left its zones (default 2000)
 * cameras:
 *   cam-0:
 *     lines:
 *       - {id: path, from: [0, 330], to: [768, 330], labels: [person]}
 *     zones:
 *       - {id: plaza, polygon: [[200, 250], [560, 250], [560, 450], [200, 450]]}
 * </pre>
 */
@PublicEvolving
public class AnalyticsConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Default {@link #getWindowMs()}. */
    public static final long DEFAULT_WINDOW_MS = 10_000;
    /** Default {@link #getTrackTimeoutMs()}. */
    public static final long DEFAULT_TRACK_TIMEOUT_MS = 2_000;
    /** {@link #getAnchor()} values. */
    public static final String BOTTOM_CENTER = "bottom-center";
    public static final String CENTER = "center";
    /** The camera key that applies to cameras without their own entry. */
    public static final String ANY_CAMERA = "*";

    private long windowMs = DEFAULT_WINDOW_MS;
    private String anchor = BOTTOM_CENTER;
    private long trackTimeoutMs = DEFAULT_TRACK_TIMEOUT_MS;
    private Map<String, CameraRegions> cameras = new LinkedHashMap<>();

    public AnalyticsConfig() {}

    /** Length of the tumbling count windows, ms of capture time. */
    public long getWindowMs() { return windowMs; }
    public void setWindowMs(long windowMs) { this.windowMs = windowMs; }
    /** Which point of a box counts: {@code bottom-center} (the feet, DeepStream nvdsanalytics' default) or center. */
    public String getAnchor() { return anchor; }
    public void setAnchor(String anchor) { this.anchor = anchor; }
    /** A track not seen for this long (ms of capture time) has left its zones; its dwell ends at its last sighting. */
    public long getTrackTimeoutMs() { return trackTimeoutMs; }
    public void setTrackTimeoutMs(long trackTimeoutMs) { this.trackTimeoutMs = trackTimeoutMs; }
    public Map<String, CameraRegions> getCameras() { return cameras; }
    public void setCameras(Map<String, CameraRegions> cameras) { this.cameras = cameras; }

    /** The regions of a camera: its own entry, else the {@code "*"} entry, else none (an empty entry). */
    public CameraRegions regionsFor(String cameraId) {
        CameraRegions r = cameras.get(cameraId);
        if (r == null) {
            r = cameras.get(ANY_CAMERA);
        }
        return r == null ? new CameraRegions() : r;
    }

    /**
     * Reads a config file: YAML when the name ends in {@code .yaml} or {@code .yml}, else JSON.
     *
     * @throws IOException if the file cannot be read or parsed
     * @throws IllegalArgumentException if a value is invalid (message names it)
     */
    public static AnalyticsConfig load(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, name.endsWith(".yaml") || name.endsWith(".yml"));
        }
    }

    /**
     * Parses a config from a stream.
     *
     * @param yaml YAML if true, else JSON
     * @throws IOException on malformed input or an unknown field
     * @throws IllegalArgumentException if a value is invalid
     */
    public static AnalyticsConfig parse(InputStream in, boolean yaml) throws IOException {
        ObjectMapper mapper = (yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper())
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        AnalyticsConfig c = mapper.readValue(in, AnalyticsConfig.class);
        c.validate();
        return c;
    }

    /** @throws IllegalArgumentException naming the first invalid value */
    public void validate() {
        require(windowMs > 0, "windowMs must be > 0, got " + windowMs);
        require(trackTimeoutMs > 0, "trackTimeoutMs must be > 0, got " + trackTimeoutMs);
        require(BOTTOM_CENTER.equals(anchor) || CENTER.equals(anchor), "anchor must be bottom-center or center, got "
                + anchor);
        require(cameras != null, "cameras must be given");
        for (Map.Entry<String, CameraRegions> e : cameras.entrySet()) {
            String cam = e.getKey();
            CameraRegions r = e.getValue();
            require(r != null, "camera " + cam + " has no lines or zones");
            Set<String> ids = new HashSet<>();
            for (LineConfig l : r.getLines()) {
                require(l.getId() != null && ids.add(l.getId()), "camera " + cam + ": line ids must be given and"
                        + " unique among its lines and zones: " + l.getId());
                require(point(l.getFrom()) && point(l.getTo()), "camera " + cam + " line " + l.getId()
                        + ": from and to must be [x, y]");
                require(l.getFrom()[0] != l.getTo()[0] || l.getFrom()[1] != l.getTo()[1], "camera " + cam + " line "
                        + l.getId() + ": from and to must differ");
            }
            for (ZoneConfig z : r.getZones()) {
                require(z.getId() != null && ids.add(z.getId()), "camera " + cam + ": zone ids must be given and"
                        + " unique among its lines and zones: " + z.getId());
                require(z.getPolygon() != null && z.getPolygon().length >= 3, "camera " + cam + " zone " + z.getId()
                        + ": polygon needs at least 3 points");
                for (float[] p : z.getPolygon()) {
                    require(point(p), "camera " + cam + " zone " + z.getId() + ": polygon points must be [x, y]");
                }
            }
        }
    }

    private static boolean point(float[] p) {
        return p != null && p.length == 2 && Float.isFinite(p[0]) && Float.isFinite(p[1]);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("analytics config: " + message);
        }
    }

    /** Lines and zones of one camera. */
    public static class CameraRegions implements Serializable {
        private static final long serialVersionUID = 1L;
        private List<LineConfig> lines = new ArrayList<>();
        private List<ZoneConfig> zones = new ArrayList<>();

        public CameraRegions() {}

        public List<LineConfig> getLines() { return lines; }
        public void setLines(List<LineConfig> lines) { this.lines = lines == null ? new ArrayList<>() : lines; }
        public List<ZoneConfig> getZones() { return zones; }
        public void setZones(List<ZoneConfig> zones) { this.zones = zones == null ? new ArrayList<>() : zones; }

        /** Whether there is nothing to count. */
        public boolean isEmpty() {
            return lines.isEmpty() && zones.isEmpty();
        }
    }

    /**
     * A counting line segment from {@code from} to {@code to} (pixels). Crossings are counted by direction:
     * {@code leftToRight} when the anchor passes from the left-hand to the right-hand side of the directed segment as
     * seen on the image (walking from {@code from} to {@code to}), {@code rightToLeft} the other way. For a line from
     * {@code [0, y]} to {@code [width, y]}, left is above: {@code leftToRight} counts downward crossings.
     */
    public static class LineConfig implements Serializable {
        private static final long serialVersionUID = 1L;
        private String id;
        private float[] from;
        private float[] to;
        private List<String> labels;

        public LineConfig() {}

        public String getId() { return id; }
        public void setId(String id) { this.id = id; }
        public float[] getFrom() { return from; }
        public void setFrom(float[] from) { this.from = from; }
        public float[] getTo() { return to; }
        public void setTo(float[] to) { this.to = to; }
        /** Labels counted (e.g. {@code [person]}); null or empty = all. */
        public List<String> getLabels() { return labels; }
        public void setLabels(List<String> labels) { this.labels = labels; }
    }

    /** A zone: a simple polygon (pixels, at least 3 points, either orientation); occupancy and dwell are counted. */
    public static class ZoneConfig implements Serializable {
        private static final long serialVersionUID = 1L;
        private String id;
        private float[][] polygon;
        private List<String> labels;

        public ZoneConfig() {}

        public String getId() { return id; }
        public void setId(String id) { this.id = id; }
        public float[][] getPolygon() { return polygon; }
        public void setPolygon(float[][] polygon) { this.polygon = polygon; }
        /** Labels counted; null or empty = all. */
        public List<String> getLabels() { return labels; }
        public void setLabels(List<String> labels) { this.labels = labels; }
    }
}

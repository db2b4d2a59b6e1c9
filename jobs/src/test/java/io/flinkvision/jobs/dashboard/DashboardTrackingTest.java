package io.flinkvision.jobs.dashboard;

import static io.flinkvision.jobs.dashboard.DashboardTestData.detectionRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.detections;
import static io.flinkvision.jobs.dashboard.DashboardTestData.frameRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.golden;
import static io.flinkvision.jobs.dashboard.DashboardTestData.jpeg;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.tracking.analytics.AnalyticsConfig;
import io.flinkvision.tracking.analytics.AnalyticsWindow;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Tracking on the dashboard against a real (in-process) Kafka broker: {@value #FRAMES} frames of one camera whose
 * first three detections carry track ids 7, 8, 9 and move right by {@value #STEP_PX} px per frame, and one committed
 * analytics window; the dashboard is given the demo's analytics config (two lines, one zone). The JSON the page gets
 * must hold the track ids, the trails (frame order, last centre = the shown box's centre) and the lines/zones with their
 * geometry and counts; in headless Chromium (skipped without it, like {@link DetectionsDashboardBrowserTest}) the
 * canvas must show the trails, the {@code #id} labels and the line/zone overlay, and the counts panel the totals.
 */
@Timeout(180)
class DashboardTrackingTest {
    static final String CAMERA = "trk-cam";
    static final int FRAMES = 6;
    static final float STEP_PX = 6;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static EmbeddedKafka kafka;
    private static DetectionsDashboard dashboard;
    private static AnalyticsConfig config;

    @BeforeAll
    static void start() throws Exception {
        try (InputStream in = DashboardTrackingTest.class.getResourceAsStream("/demo/analytics-vtest.yaml")) {
            config = AnalyticsConfig.parse(in, true);
        }
        kafka = EmbeddedKafka.start();
        kafka.createTopic(DashboardTestData.FRAMES, 1);
        kafka.createTopic(DashboardTestData.DETECTIONS, 1);
        kafka.createTopic("analytics", 1);
        dashboard = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers()).port(0)
                .analyticsTopic("analytics").analyticsConfig(config).start();
        long now = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> frames = DashboardTestData.producer(kafka.bootstrapServers());
                KafkaProducer<byte[], byte[]> sink =
                        DashboardTestData.transactionalProducer(kafka.bootstrapServers(), "tracking-test")) {
            for (int i = 0; i < FRAMES; i++) {
                frames.send(frameRecord(CAMERA, i, now - 2_000 + i * 40, jpeg("vtest_000.jpg"))).get();
            }
            sink.beginTransaction();
            for (int i = 0; i < FRAMES; i++) {
                sink.send(detectionRecord(detections(CAMERA, i, now - 2_000 + i * 40, now - 1_900 + i * 40,
                        moved(i))));
            }
            sink.send(new ProducerRecord<>("analytics", CAMERA.getBytes(StandardCharsets.UTF_8),
                    MAPPER.writeValueAsBytes(window(now - 12_000))));
            sink.commitTransaction();
        }
    }

    @AfterAll
    static void stop() {
        if (dashboard != null) {
            dashboard.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** The golden detections of vtest_000.jpg moved right by {@code i * STEP_PX}; the first three tracked. */
    static List<Detection> moved(int i) {
        List<Detection> out = new ArrayList<>();
        List<Detection> g = golden("vtest_000.jpg");
        for (int k = 0; k < g.size(); k++) {
            Detection d = g.get(k);
            BoundingBox b = d.getBox();
            Detection m = new Detection(d.getClassId(), d.getLabel(), d.getScore(), new BoundingBox(b.getX1() + i * STEP_PX,
                    b.getY1(), b.getX2() + i * STEP_PX, b.getY2()));
            m.setTrackId(k < 3 ? 7L + k : null);
            out.add(m);
        }
        return out;
    }

    static AnalyticsWindow window(long startMs) throws Exception {
        return MAPPER.readValue("{\"cameraId\":\"" + CAMERA + "\",\"windowStartMs\":" + startMs + ",\"windowEndMs\":"
                + (startMs + 10_000) + ",\"frames\":250,\"lines\":[{\"id\":\"across-path\",\"leftToRight\":3,"
                + "\"rightToLeft\":1},{\"id\":\"mid-vertical\",\"leftToRight\":0,\"rightToLeft\":2}],\"zones\":[{\"id\":"
                + "\"centre\",\"entered\":4,\"exited\":2,\"occupancyMax\":3,\"occupancyMean\":1.5,\"dwellCount\":2,"
                + "\"dwellMeanMs\":3000.0,\"dwellMaxMs\":4000}]}", AnalyticsWindow.class);
    }

    /** Tracked boxes of frame {@code i} whose bottom-centre is inside the demo's zone (what occupancyNow counts). */
    static int inZone(int i) {
        int n = 0;
        for (Detection d : moved(i)) {
            float x = (d.getBox().getX1() + d.getBox().getX2()) / 2;
            float y = d.getBox().getY2();
            if (d.getTrackId() != null && x > 234 && x < 534 && y > 200 && y < 460) {
                n++;
            }
        }
        return n;
    }

    private static JsonNode awaitCamera() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            JsonNode state = MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(dashboard.uri().resolve("/api/state"))
                    .GET().build(), HttpResponse.BodyHandlers.ofByteArray()).body());
            for (JsonNode cam : state.get("cameras")) {
                if (cam.get("cameraId").asText().equals(CAMERA)) {
                    last = cam;
                    JsonNode f = cam.get("frame");
                    if (f != null && !f.isNull() && f.get("frameIndex").asLong() == FRAMES - 1
                            && !f.get("imageUrl").isNull() && cam.get("analytics").get("windows").asLong() == 1) {
                        assertThat(state.get("analyticsTopic").asText()).isEqualTo("analytics");
                        return cam;
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("camera " + CAMERA + " frame " + (FRAMES - 1) + " with one analytics window not"
                + " shown within 60 s; last state: " + last);
    }

    @Test
    void stateJsonHasTrackIdsTrailsAndLinesAndZones() throws Exception {
        JsonNode cam = awaitCamera();
        JsonNode frame = cam.get("frame");
        List<Detection> last = moved(FRAMES - 1);
        assertThat(frame.get("boxes")).hasSize(last.size());
        for (int k = 0; k < last.size(); k++) {
            JsonNode id = frame.get("boxes").get(k).get("trackId");
            assertThat(id.isNull() ? null : id.asLong()).as("box %d", k).isEqualTo(last.get(k).getTrackId());
        }
        assertThat(frame.get("trails")).hasSize(3);
        for (int k = 0; k < 3; k++) {
            JsonNode trail = frame.get("trails").get(k);
            assertThat(trail.get("trackId").asLong()).isEqualTo(7 + k);
            JsonNode points = trail.get("points");
            assertThat(points).hasSize(FRAMES);
            for (int i = 0; i < FRAMES; i++) {
                BoundingBox b = moved(i).get(k).getBox();
                assertThat(points.get(i).get(0).asDouble()).isCloseTo((b.getX1() + b.getX2()) / 2, within());
                assertThat(points.get(i).get(1).asDouble()).isCloseTo((b.getY1() + b.getY2()) / 2, within());
            }
        }
        JsonNode a = cam.get("analytics");
        assertThat(a.get("windowMs").asLong()).isEqualTo(10_000);
        assertThat(a.get("anchor").asText()).isEqualTo("bottom-center");
        assertThat(a.get("lines")).hasSize(2);
        JsonNode across = a.get("lines").get(0);
        assertThat(across.get("id").asText()).isEqualTo("across-path");
        assertThat(MAPPER.convertValue(across.get("from"), float[].class)).containsExactly(0, 330);
        assertThat(MAPPER.convertValue(across.get("to"), float[].class)).containsExactly(768, 330);
        assertThat(across.get("leftToRight").asLong()).isEqualTo(3);
        assertThat(across.get("rightToLeft").asLong()).isEqualTo(1);
        assertThat(across.get("lastLeftToRight").asLong()).isEqualTo(3);
        assertThat(across.get("recent")).hasSize(1);
        assertThat(a.get("lines").get(1).get("rightToLeft").asLong()).isEqualTo(2);
        JsonNode zone = a.get("zones").get(0);
        assertThat(zone.get("id").asText()).isEqualTo("centre");
        assertThat(zone.get("polygon")).hasSize(4);
        assertThat(zone.get("entered").asLong()).isEqualTo(4);
        assertThat(zone.get("exited").asLong()).isEqualTo(2);
        assertThat(zone.get("lastOccupancyMax").asLong()).isEqualTo(3);
        assertThat(zone.get("occupancyNow").asInt()).isEqualTo(inZone(FRAMES - 1));
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(0.06);
    }

    @Test
    @SuppressWarnings("unchecked")
    void browserDrawsTrailsTrackIdsLinesAndZonesAndShowsCounts() throws Exception {
        Path chrome = DetectionsDashboardBrowserTest.firstExecutable("FLINKVISION_CHROME",
                "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome");
        Path chromedriver = DetectionsDashboardBrowserTest.firstExecutable("FLINKVISION_CHROMEDRIVER",
                "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        Assumptions.assumeTrue(chrome != null && chromedriver != null,
                "headless browser test skipped: Chromium or chromedriver not found (install: .ci/install-chromium.sh;"
                        + " or set FLINKVISION_CHROME / FLINKVISION_CHROMEDRIVER)");
        awaitCamera();
        Path profile = Files.createTempDirectory("flinkvision-chromium-");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chrome.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=1400,1100");
        WebDriver driver = new ChromeDriver(service, options);
        try {
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(45), Duration.ofMillis(100));
            driver.get(dashboard.uri().toString());
            By card = By.cssSelector("section.camera[data-camera='" + CAMERA + "']");
            wait.until(d -> !d.findElements(card).isEmpty()
                    && String.valueOf(FRAMES - 1).equals(d.findElement(card).getDomAttribute("data-frame-index"))
                    && "true".equals(d.findElement(card).getDomAttribute("data-image-drawn"))
                    && "3".equals(d.findElement(card).getDomAttribute("data-trails-drawn")));
            WebElement c = driver.findElement(card);
            assertThat(c.getDomAttribute("data-track-labels")).isEqualTo("3");
            assertThat(c.getDomAttribute("data-lines-drawn")).isEqualTo("2");
            assertThat(c.getDomAttribute("data-zones-drawn")).isEqualTo("1");
            Map<String, Object> drawn = (Map<String, Object>) ((JavascriptExecutor) driver).executeScript(
                    "const cam = arguments[0];"
                            + "const d = window.flinkvision.lastDrawn[cam];"
                            + "const canvas = document.querySelector('section.camera[data-camera=\"' + cam + '\"]"
                            + " canvas.frame');"
                            + "const ctx = canvas.getContext('2d');"
                            + "const px = (x, y) => Array.from(ctx.getImageData(x, y, 1, 1).data);"
                            + "const line = d.lines[0];"
                            + "return {labels: d.labels.map(l => l.text), trails: d.trails.map(t => t.points.length),"
                            + "  lines: d.lines.map(l => l.id), zones: d.zones.map(z => z.id),"
                            + "  linePixels: [20, 60, 100, 700, 740].map(x => px(x, line.y1)),"
                            + "  trailEnds: d.trails.map(t => ({got: px(t.points[t.points.length - 1][0],"
                            + "    t.points[t.points.length - 1][1]), expected: window.flinkvision.colorFor(t.classId)}))"
                            + "};",
                    CAMERA);
            assertThat((List<String>) drawn.get("labels")).filteredOn(t -> t.startsWith("#"))
                    .containsExactly(label(0), label(1), label(2));
            assertThat((List<Long>) drawn.get("trails")).containsExactly((long) FRAMES, (long) FRAMES, (long) FRAMES);
            assertThat((List<String>) drawn.get("lines")).containsExactly("across-path", "mid-vertical");
            assertThat((List<String>) drawn.get("zones")).containsExactly("centre");
            // the counting line is drawn in yellow where no box covers it; each trail ends in a dot of its class colour
            List<List<Long>> linePixels = (List<List<Long>>) drawn.get("linePixels");
            assertThat(linePixels).as("pixels on the line y=330").filteredOn(p -> p.get(0) > 230 && p.get(1) > 180
                    && p.get(2) < 60).hasSizeGreaterThanOrEqualTo(3);
            // (the third, a car at the right edge, moves off the canvas: getImageData gives transparent black there)
            assertThat((List<Map<String, List<Long>>>) drawn.get("trailEnds")).hasSize(3)
                    .filteredOn(p -> p.get("got").get(3) != 0).hasSizeGreaterThanOrEqualTo(2).allSatisfy(p -> {
                for (int k = 0; k < 3; k++) {
                    assertThat(p.get("got").get(k)).as("trail end %s", p)
                            .isCloseTo(p.get("expected").get(k), org.assertj.core.data.Offset.offset(8L));
                }
            });
            // the counts panel, read in one script call: the page redraws it on every state push, so an element
            // found by one WebDriver call can be stale by the next
            Map<String, Object> counts = (Map<String, Object>) ((JavascriptExecutor) driver).executeScript(
                    "const c = document.querySelector('section.camera[data-camera=\"' + arguments[0] + '\"]');"
                            + "const a = c.querySelector(\".analytics .count-row.line[data-line='across-path']\");"
                            + "const z = c.querySelector(\".analytics .count-row.zone[data-zone='centre']\");"
                            + "return {ltr: a.dataset.leftToRight, rtl: a.dataset.rightToLeft, entered: z.dataset.entered,"
                            + "  now: z.dataset.occupancyNow, text: z.textContent};",
                    CAMERA);
            assertThat(counts.get("ltr")).isEqualTo("3");
            assertThat(counts.get("rtl")).isEqualTo("1");
            assertThat(counts.get("entered")).isEqualTo("4");
            assertThat(counts.get("now")).isEqualTo(String.valueOf(inZone(FRAMES - 1)));
            assertThat((String) counts.get("text")).contains("in 4 / out 2");
        } finally {
            driver.quit();
            service.stop();
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The label the card draws on tracked box k: {@code #id label score%}. */
    private static String label(int k) {
        Detection d = golden("vtest_000.jpg").get(k);
        double shown = Math.round(d.getScore() * 1000.0) / 1000.0; // the JSON's 3 digits
        return "#" + (7 + k) + " " + d.getLabel() + " " + Math.round(shown * 100) + "%";
    }

    /** The record type the page reads must keep parsing the job's own detection records. */
    @Test
    void trackIdSurvivesTheDetectionRecordRoundTrip() throws Exception {
        FrameDetections r = detections(CAMERA, 0, 1, 2, moved(0));
        FrameDetections back = MAPPER.readValue(MAPPER.writeValueAsBytes(r), FrameDetections.class);
        assertThat(back.getDetections().get(0).getTrackId()).isEqualTo(7L);
        assertThat(back.getDetections().get(3).getTrackId()).isNull();
    }
}

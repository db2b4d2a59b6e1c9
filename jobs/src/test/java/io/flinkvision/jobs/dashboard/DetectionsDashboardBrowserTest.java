package io.flinkvision.jobs.dashboard;

import static io.flinkvision.jobs.dashboard.DashboardTestData.detectionRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.detections;
import static io.flinkvision.jobs.dashboard.DashboardTestData.frameRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.golden;
import static io.flinkvision.jobs.dashboard.DashboardTestData.jpeg;
import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, see
 * {@code .ci/install-chromium.sh}) driven by Selenium, against a real in-process Kafka broker.
 *
 * <p>Publishes real frames (JPEG frames 0, 100 and 200 of vtest.avi) and their detection records (golden YOLOX-Nano
 * detections) in committed Kafka transactions, plus one aborted transaction, and checks that the page draws each
 * camera's frame with its boxes (DOM attributes, canvas pixels at the box edges and the image content away from the
 * boxes), that the counters move when more records arrive, and that the aborted record never shows.
 *
 * <p>Skipped (with the reason) when Chromium or chromedriver cannot be found; the environment variables
 * {@code FLINKVISION_CHROME} and {@code FLINKVISION_CHROMEDRIVER}, when set, name the only paths tried.
 */
@Timeout(240)
class DetectionsDashboardBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(45);
    private static Path chrome;
    private static Path chromedriver;
    private static EmbeddedKafka kafka;
    private static DetectionsDashboard dashboard;

    @BeforeAll
    static void findBrowser() {
        chrome = firstExecutable("FLINKVISION_CHROME", "/usr/lib/chromium/chromium", "/usr/bin/chromium",
                "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        chromedriver = firstExecutable("FLINKVISION_CHROMEDRIVER", "/usr/bin/chromedriver",
                "/usr/lib/chromium/chromedriver");
    }

    /** Skips (reported as a skipped test with the reason) without a browser; else starts Kafka and the dashboard. */
    private static void requireBrowserAndStart() throws Exception {
        Assumptions.assumeTrue(chrome != null && chromedriver != null,
                "headless browser test skipped: Chromium " + (chrome == null ? "not found" : "at " + chrome)
                        + ", chromedriver " + (chromedriver == null ? "not found" : "at " + chromedriver)
                        + " (install: .ci/install-chromium.sh, i.e. apt-get install chromium chromium-driver; or set "
                        + "FLINKVISION_CHROME / FLINKVISION_CHROMEDRIVER)");
        kafka = EmbeddedKafka.start();
        kafka.createTopic(DashboardTestData.FRAMES, 2);
        kafka.createTopic(DashboardTestData.DETECTIONS, 2);
        dashboard = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers()).port(0).start();
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

    /** The executable named by the environment variable when it is set (no fallback), else the first candidate. */
    static Path firstExecutable(String env, String... candidates) {
        String fromEnv = System.getenv(env);
        List<String> all = fromEnv != null && !fromEnv.isBlank() ? List.of(fromEnv) : List.of(candidates);
        for (String c : all) {
            Path p = Paths.get(c);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Test
    void pageDrawsFramesWithBoxesAndCountersMove() throws Exception {
        requireBrowserAndStart();
        Path profile = Files.createTempDirectory("flinkvision-chromium-");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chrome.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=1400,1100");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        WebDriver driver = new ChromeDriver(service, options);
        try {
            run(driver);
        } finally {
            driver.quit();
            service.stop();
            deleteRecursively(profile);
        }
    }

    private void run(WebDriver driver) throws Exception {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        WebDriverWait wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(100));
        driver.get(dashboard.uri().toString());
        assertThat(driver.getTitle()).contains("FlinkVision");
        wait.until(d -> "open".equals(body(d).getDomAttribute("data-sse")));
        wait.until(d -> Long.parseLong(body(d).getDomAttribute("data-updates")) >= 1);
        assertThat(driver.findElement(By.id("empty")).isDisplayed()).isTrue();
        // Started without --flink-rest-url / --group-id: the page says the job is not watched, never "running".
        wait.until(d -> "unwatched".equals(body(d).getDomAttribute("data-health")));
        assertThat(driver.findElement(By.id("banner")).getText()).contains("--flink-rest-url");
        assertThat(driver.findElement(By.id("job-state")).getText()).isEqualTo("not watched");

        long now = System.currentTimeMillis();
        List<Detection> golden000 = golden("vtest_000.jpg");
        List<Detection> golden100 = golden("vtest_100.jpg");
        List<Detection> golden200 = golden("vtest_200.jpg");
        try (KafkaProducer<byte[], byte[]> frames = DashboardTestData.producer(kafka.bootstrapServers());
                KafkaProducer<byte[], byte[]> sink =
                        DashboardTestData.transactionalProducer(kafka.bootstrapServers(), "browser-test")) {
            // Round 1: one frame per camera, committed.
            frames.send(frameRecord("cam-a", 0, now - 2_000, jpeg("vtest_000.jpg"))).get();
            frames.send(frameRecord("cam-b", 100, now - 2_000, jpeg("vtest_100.jpg"))).get();
            sink.beginTransaction();
            sink.send(detectionRecord(detections("cam-a", 0, now - 2_000, now - 1_900, golden000)));
            sink.send(detectionRecord(detections("cam-b", 100, now - 2_000, now - 1_880, golden100)));
            sink.commitTransaction();

            WebElement camA = awaitFrame(wait, "cam-a", 0, golden000.size());
            WebElement camB = awaitFrame(wait, "cam-b", 100, golden100.size());
            assertThat(driver.findElement(By.id("empty")).isDisplayed()).isFalse();
            assertThat(camA.getDomAttribute("data-frames-total")).isEqualTo("1");
            assertThat(camA.getDomAttribute("data-detections-total")).isEqualTo(String.valueOf(golden000.size()));
            assertThat(Double.parseDouble(camA.getDomAttribute("data-e2e-p50"))).isEqualTo(100.0);
            String round1Text = camA.getText();
            checkCanvas(js, "cam-a", "vtest_000.jpg", golden000);
            checkCanvas(js, "cam-b", "vtest_100.jpg", golden100);
            wait.until(d -> Integer.parseInt(card(d, "cam-a").getDomAttribute("data-chart-points")) >= 1);

            // An aborted transaction (what a Flink failover leaves behind): never shown with read_committed.
            frames.send(frameRecord("cam-a", 999, now - 1_500, jpeg("vtest_100.jpg"))).get();
            sink.beginTransaction();
            sink.send(detectionRecord(detections("cam-a", 999, now - 1_500, now - 1_400, golden100)));
            sink.flush();
            sink.abortTransaction();

            // Round 2: five more frames of cam-a, committed in one transaction.
            for (int k = 0; k < 5; k++) {
                frames.send(frameRecord("cam-a", 200 + k, now - 1_000 + k * 100L, jpeg("vtest_200.jpg"))).get();
            }
            sink.beginTransaction();
            for (int k = 0; k < 5; k++) {
                long capture = now - 1_000 + k * 100L;
                sink.send(detectionRecord(detections("cam-a", 200 + k, capture, capture + 150 + k * 10L,
                        golden200)));
            }
            sink.commitTransaction();

            camA = awaitFrame(wait, "cam-a", 204, golden200.size());
            wait.until(d -> "6".equals(card(d, "cam-a").getDomAttribute("data-frames-total")));
            assertThat(camA.getDomAttribute("data-detections-total"))
                    .isEqualTo(String.valueOf(golden000.size() + 5 * golden200.size()));
            assertThat(Double.parseDouble(camA.getDomAttribute("data-fps"))).isPositive();
            assertThat(Double.parseDouble(camA.getDomAttribute("data-e2e-p99"))).isEqualTo(190.0);
            assertThat(camA.getText()).isNotEqualTo(round1Text);
            checkCanvas(js, "cam-a", "vtest_200.jpg", golden200);
            // cam-b did not move.
            assertThat(card(driver, "cam-b").getDomAttribute("data-frames-total")).isEqualTo("1");
            assertThat(card(driver, "cam-b").getDomAttribute("data-frame-index")).isEqualTo("100");
        }
        // Give the page one more update, then check the aborted record never appeared.
        long updates = Long.parseLong(body(driver).getDomAttribute("data-updates"));
        wait.until(d -> Long.parseLong(body(d).getDomAttribute("data-updates")) > updates + 2);
        assertThat(card(driver, "cam-a").getDomAttribute("data-frames-total")).isEqualTo("6");
        assertThat(card(driver, "cam-a").getDomAttribute("data-frame-index")).isEqualTo("204");
        assertThat(body(driver).getDomAttribute("data-cameras")).isEqualTo("2");

        String summary = describe(js);
        System.out.println("Browser test saw: " + summary);
        saveScreenshot(driver);
        List<LogEntry> severe = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).collect(Collectors.toList());
        assertThat(severe).as("browser console errors").isEmpty();
    }

    private static WebElement body(WebDriver d) {
        return d.findElement(By.tagName("body"));
    }

    private static WebElement card(WebDriver d, String camera) {
        return d.findElement(By.cssSelector("section.camera[data-camera='" + camera + "']"));
    }

    private static WebElement awaitFrame(WebDriverWait wait, String camera, long frameIndex, int boxes) {
        return wait.until(d -> {
            List<WebElement> found = d.findElements(By.cssSelector("section.camera[data-camera='" + camera + "']"));
            if (found.isEmpty()) {
                return null;
            }
            WebElement c = found.get(0);
            boolean ok = String.valueOf(frameIndex).equals(c.getDomAttribute("data-frame-index"))
                    && "true".equals(c.getDomAttribute("data-image-drawn"))
                    && String.valueOf(boxes).equals(c.getDomAttribute("data-boxes-drawn"));
            return ok ? c : null;
        });
    }

    /**
     * Reads the camera's canvas: the pixels at the middle of every box's left edge must have that box's colour (at
     * least most of them: a later box or label may cover an edge), and the pixels away from boxes and labels must be
     * the JPEG's own pixels (decoded here with ImageIO; decoders differ by a few levels).
     */
    @SuppressWarnings("unchecked")
    private static void checkCanvas(JavascriptExecutor js, String camera, String image, List<Detection> golden)
            throws Exception {
        Map<String, Object> drawn = (Map<String, Object>) js.executeScript(
                "const cam = arguments[0];"
                        + "const d = window.flinkvision.lastDrawn[cam];"
                        + "const canvas = document.querySelector('section.camera[data-camera=\"' + cam + '\"] canvas.frame');"
                        + "const ctx = canvas.getContext('2d');"
                        + "const px = (x, y) => Array.from(ctx.getImageData(x, y, 1, 1).data);"
                        + "return {width: canvas.width, height: canvas.height, lineWidth: d.lineWidth,"
                        + "  image: d.image, frameIndex: d.frameIndex, labels: d.labels,"
                        + "  boxes: d.boxes.map(b => ({x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2,"
                        + "    expected: window.flinkvision.colorFor(b.classId),"
                        + "    got: px(b.x1, Math.round((b.y1 + b.y2) / 2))})),"
                        + "  pixels: (arguments[1]).map(p => px(p[0], p[1]))};",
                camera, samplePoints(golden));
        assertThat(((Number) drawn.get("width")).intValue()).isEqualTo(768);
        assertThat(((Number) drawn.get("height")).intValue()).isEqualTo(576);
        assertThat(drawn.get("image")).isEqualTo(true);
        List<Map<String, Object>> boxes = (List<Map<String, Object>>) drawn.get("boxes");
        assertThat(boxes).hasSize(golden.size());
        int exact = 0;
        for (int i = 0; i < boxes.size(); i++) {
            Map<String, Object> b = boxes.get(i);
            BoundingBox g = golden.get(i).getBox();
            assertThat(((Number) b.get("x1")).intValue()).isEqualTo(Math.round(g.getX1()));
            assertThat(((Number) b.get("y2")).intValue()).isEqualTo(Math.round(g.getY2()));
            List<Number> expected = (List<Number>) b.get("expected");
            List<Number> got = (List<Number>) b.get("got");
            if (got.get(0).intValue() == expected.get(0).intValue() && got.get(1).intValue() == expected.get(1).intValue()
                    && got.get(2).intValue() == expected.get(2).intValue() && got.get(3).intValue() == 255) {
                exact++;
            }
        }
        assertThat(exact).as("box edges drawn in the box colour on %s", camera)
                .isGreaterThanOrEqualTo((boxes.size() + 1) / 2);

        BufferedImage reference = ImageIO.read(new ByteArrayInputStream(jpeg(image)));
        List<int[]> points = samplePoints(golden).stream().map(p -> new int[] {p.get(0), p.get(1)})
                .collect(Collectors.toList());
        List<List<Number>> pixels = (List<List<Number>>) drawn.get("pixels");
        assertThat(points).hasSizeGreaterThanOrEqualTo(20);
        int close = 0;
        double sumDiff = 0;
        double mean = 0;
        double sq = 0;
        for (int i = 0; i < points.size(); i++) {
            int rgb = reference.getRGB(points.get(i)[0], points.get(i)[1]);
            int[] want = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
            int maxDiff = 0;
            for (int ch = 0; ch < 3; ch++) {
                int v = pixels.get(i).get(ch).intValue();
                maxDiff = Math.max(maxDiff, Math.abs(v - want[ch]));
                sumDiff += Math.abs(v - want[ch]);
                mean += v;
                sq += (double) v * v;
            }
            if (maxDiff <= 16) {
                close++;
            }
        }
        int n = points.size() * 3;
        double std = Math.sqrt(sq / n - (mean / n) * (mean / n));
        assertThat(std).as("canvas is not a uniform fill").isGreaterThan(10);
        assertThat(sumDiff / n).as("mean |canvas - JPEG| per channel").isLessThan(6);
        assertThat(close).as("pixels matching the JPEG within 16 levels").isGreaterThanOrEqualTo(points.size() * 9 / 10);
    }

    /** Grid points at least 40 px away from every box (labels sit just above boxes). */
    private static List<List<Integer>> samplePoints(List<Detection> golden) {
        List<List<Integer>> out = new ArrayList<>();
        for (int y = 13; y < 576; y += 37) {
            for (int x = 11; x < 768; x += 37) {
                boolean free = true;
                for (Detection d : golden) {
                    BoundingBox b = d.getBox();
                    if (x > b.getX1() - 40 && x < b.getX2() + 40 && y > b.getY1() - 40 && y < b.getY2() + 40) {
                        free = false;
                        break;
                    }
                }
                if (free) {
                    out.add(List.of(x, y));
                }
            }
        }
        return out;
    }

    private static String describe(JavascriptExecutor js) {
        Object s = js.executeScript(
                "return Array.from(document.querySelectorAll('section.camera')).map(c => c.dataset.camera"
                        + " + ': frame #' + c.dataset.frameIndex + ' drawn with image=' + c.dataset.imageDrawn"
                        + " + ', ' + c.dataset.boxesDrawn + ' boxes, records=' + c.dataset.framesTotal"
                        + " + ', detections=' + c.dataset.detectionsTotal + ', fps=' + c.dataset.fps"
                        + " + ', e2e p50/p99=' + c.dataset.e2eP50 + '/' + c.dataset.e2eP99 + ' ms'"
                        + " + ', chart points=' + c.dataset.chartPoints"
                        + " + ', legend=[' + c.querySelector('.legend').textContent + ']').join('; ')"
                        + " + ' | status: ' + document.getElementById('status').textContent"
                        + " + ' | SSE updates: ' + document.body.dataset.updates;");
        return String.valueOf(s);
    }

    private static void saveScreenshot(WebDriver driver) {
        try {
            Path target = Paths.get("target");
            if (Files.isDirectory(target)) {
                byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
                Files.write(target.resolve("dashboard-browser-test.png"), png);
            }
        } catch (Exception e) {
            System.out.println("no screenshot: " + e);
        }
    }

    static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // temp folder; best effort
        }
    }
}

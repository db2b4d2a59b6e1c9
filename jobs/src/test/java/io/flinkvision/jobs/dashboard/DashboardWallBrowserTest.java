package io.flinkvision.jobs.dashboard;

import static io.flinkvision.jobs.dashboard.DashboardTestData.detectionRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.detections;
import static io.flinkvision.jobs.dashboard.DashboardTestData.frameRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.golden;
import static io.flinkvision.jobs.dashboard.DashboardTestData.jpeg;
import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.DeadLetter;
import io.flinkvision.flink.kafka.DeadLetterSerializationSchema;
import io.flinkvision.detection.Detection;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.FrameHeader;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A wall of 24 cameras in a real browser (headless Chromium driven by Selenium, as
 * {@link DetectionsDashboardBrowserTest}), fed through a real in-process Kafka broker and the dashboard's own consumer:
 * real frames (vtest.avi frames 0, 100, 200) with their golden detections in committed transactions, one camera that
 * stops after its first records (stalled), and four keys whose frames are all dead-lettered (dead letters written by
 * the job's own {@link DeadLetterSerializationSchema}, plus one frame without a key).
 *
 * <p>Checks, with condition waits only: live cameras first and the stalled one after them with its badge, no card for
 * the dead-lettered keys (a side list instead), the dead-letter panel (counts per reason, the newest with their source
 * coordinates), the totals, the search, click to enlarge, the score and class filters of the boxes drawn and the
 * chart's tooltip. Saves three screenshots to {@code target/dashboard-screenshots/} (or the folder of the system
 * property {@code dashboard.screenshots}; docs/dashboard/README.md).
 *
 * <p>Skipped (with the reason) when Chromium or chromedriver cannot be found.
 */
@Timeout(420)
class DashboardWallBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(150);
    private static final String DLQ = "frames-dlq";
    private static final String STALLED_CAMERA = "cam-03";
    private static final String ZOOMED_CAMERA = "cam-12";
    private static final String[] IMAGES = {"vtest_000.jpg", "vtest_100.jpg", "vtest_200.jpg"};
    private static final List<String> CAMERAS =
            IntStream.rangeClosed(1, 24).mapToObj(i -> String.format("cam-%02d", i)).collect(Collectors.toList());
    private static final List<String> BAD_KEYS = List.of("bad-01", "bad-02", "bad-03", "bad-04");

    private static EmbeddedKafka kafka;
    private static DetectionsDashboard dashboard;

    @AfterAll
    static void stop() {
        if (dashboard != null) {
            dashboard.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void wallOfCamerasWithOneStalledAndDeadLetters() throws Exception {
        Path chrome = DetectionsDashboardBrowserTest.firstExecutable("FLINKVISION_CHROME", "/usr/lib/chromium/chromium",
                "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        Path chromedriver = DetectionsDashboardBrowserTest.firstExecutable("FLINKVISION_CHROMEDRIVER",
                "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        Assumptions.assumeTrue(chrome != null && chromedriver != null,
                "headless browser test skipped: Chromium or chromedriver not found (install: .ci/install-chromium.sh;"
                        + " or set FLINKVISION_CHROME / FLINKVISION_CHROMEDRIVER)");
        kafka = EmbeddedKafka.start();
        kafka.createTopic(DashboardTestData.FRAMES, 2);
        kafka.createTopic(DashboardTestData.DETECTIONS, 2);
        kafka.createTopic(DLQ, 1);
        // stalled after 8 s without a record; offline (not tested here, see DashboardWallStateTest) only after 10 min
        dashboard = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers()).port(0)
                .deadLetterTopic(DLQ).stalledAfter(Duration.ofSeconds(8)).offlineAfter(Duration.ofMinutes(10))
                .start();
        Path profile = Files.createTempDirectory("flinkvision-chromium-");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chrome.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=1600,1000", "--force-device-scale-factor=1");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        WebDriver driver = new ChromeDriver(service, options);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> feedError = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> frames = DashboardTestData.producer(kafka.bootstrapServers());
                KafkaProducer<byte[], byte[]> sink =
                        DashboardTestData.transactionalProducer(kafka.bootstrapServers(), "wall-detections");
                KafkaProducer<byte[], byte[]> dlqSink =
                        DashboardTestData.transactionalProducer(kafka.bootstrapServers(), "wall-dead-letters")) {
            driver.get(dashboard.uri().toString());
            WebDriverWait wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(200));
            wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class); // cards are redrawn
            wait.until(d -> "open".equals(body(d).getDomAttribute("data-sse")));

            // Every camera's three frames once; the records then cycle through them (matched from the frame cache).
            long t0 = System.currentTimeMillis();
            for (String camera : CAMERAS) {
                for (int k = 0; k < IMAGES.length; k++) {
                    frames.send(frameRecord(camera, k, t0, jpeg(IMAGES[k])));
                }
            }
            frames.flush();
            List<RecordMetadata> badFrames = deadLetters(frames, dlqSink);
            Thread feeder = new Thread(() -> {
                try {
                    for (long round = 0; !stop.get(); round++) {
                        long now = System.currentTimeMillis();
                        int k = (int) (round % IMAGES.length);
                        List<Detection> golden = golden(IMAGES[k]);
                        sink.beginTransaction();
                        for (String camera : CAMERAS) {
                            if (round == 0 || !camera.equals(STALLED_CAMERA)) {
                                sink.send(detectionRecord(detections(camera, k, now - 120, now - 20, golden)));
                            }
                        }
                        sink.commitTransaction();
                        Thread.sleep(500);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Throwable e) {
                    feedError.set(e);
                }
            }, "wall-feeder");
            feeder.start();
            try {
                checkWall(driver, wait, badFrames);
                checkSearch(driver, wait);
                checkEnlargeAndFilters(driver, wait);
                assertThat(feedError.get()).as("feeding records").isNull();
            } finally {
                stop.set(true);
                feeder.join(30_000);
            }
            List<LogEntry> severe = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                    .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).collect(Collectors.toList());
            assertThat(severe).as("browser console errors").isEmpty();
        } finally {
            driver.quit();
            service.stop();
            DetectionsDashboardBrowserTest.deleteRecursively(profile);
        }
    }

    /**
     * Frames of the bad keys on the frames topic (a truncated JPEG with valid headers; one frame without a key) and
     * their dead letters, as the job writes them; returns the frames' coordinates in bad-key order, then the keyless.
     */
    private static List<RecordMetadata> deadLetters(KafkaProducer<byte[], byte[]> frames,
            KafkaProducer<byte[], byte[]> dlqSink) throws Exception {
        byte[] truncated = Arrays.copyOf(jpeg(IMAGES[0]), 600);
        long now = System.currentTimeMillis();
        List<RecordMetadata> out = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
        for (int i = 0; i < BAD_KEYS.size(); i++) {
            ProducerRecord<byte[], byte[]> r = frameRecord(BAD_KEYS.get(i), 7 + i, now, truncated);
            sent.add(r);
            out.add(frames.send(r).get());
        }
        ProducerRecord<byte[], byte[]> keyless = new ProducerRecord<>(DashboardTestData.FRAMES, null, now, null,
                truncated, frameRecord("x", 1, now, truncated).headers());
        sent.add(keyless);
        out.add(frames.send(keyless).get());
        DeadLetterSerializationSchema schema = new DeadLetterSerializationSchema(DLQ);
        dlqSink.beginTransaction();
        for (int i = 0; i < sent.size(); i++) {
            ProducerRecord<byte[], byte[]> r = sent.get(i);
            DeadLetter dl = new DeadLetter();
            DeadLetterReason reason = i == sent.size() - 1 ? DeadLetterReason.MISSING_HEADER
                    : i == 3 ? DeadLetterReason.IMAGE_TOO_SMALL : DeadLetterReason.DECODE_FAILED;
            dl.setReason(reason.code());
            dl.setMessage(reason == DeadLetterReason.MISSING_HEADER ? "record key (camera id) is missing"
                    : reason == DeadLetterReason.IMAGE_TOO_SMALL ? "image is 1x1 pixels, the model needs at least 2x2"
                    : "Premature end of JPEG file (600 bytes)");
            dl.setOriginalKey(r.key());
            dl.setOriginalValue(r.value());
            List<FrameHeader> headers = new ArrayList<>();
            for (Header h : r.headers()) {
                headers.add(new FrameHeader(h.key(), h.value()));
            }
            dl.setOriginalHeaders(headers.toArray(new FrameHeader[0]));
            dl.setSourceTopic(out.get(i).topic());
            dl.setSourcePartition(out.get(i).partition());
            dl.setSourceOffset(out.get(i).offset());
            dlqSink.send(schema.serialize(dl, null, null));
        }
        dlqSink.commitTransaction();
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cards(WebDriver d) {
        return (List<Map<String, Object>>) ((JavascriptExecutor) d).executeScript(
                "return Array.from(document.querySelectorAll('#cameras section.camera')).map(c => ({id: "
                        + "c.dataset.camera, state: c.dataset.state, hidden: c.hidden, image: c.dataset.imageDrawn,"
                        + " badge: (c.querySelector('.badge') || {}).textContent}));");
    }

    private void checkWall(WebDriver driver, WebDriverWait wait, List<RecordMetadata> badFrames) throws Exception {
        // Live cameras first (in id order), the stalled one after them, no card for the dead-lettered keys. The
        // condition and the assertions use one reading of the page.
        List<String> live = CAMERAS.stream().filter(c -> !c.equals(STALLED_CAMERA)).collect(Collectors.toList());
        List<Map<String, Object>> wall = wait.until(d -> {
            List<Map<String, Object>> cards = cards(d);
            boolean ok = cards.size() == CAMERAS.size()
                    && cards.subList(0, live.size()).stream().allMatch(c -> "live".equals(c.get("state")))
                    && STALLED_CAMERA.equals(cards.get(cards.size() - 1).get("id"))
                    && "stalled".equals(cards.get(cards.size() - 1).get("state"))
                    && cards.stream().allMatch(c -> "true".equals(c.get("image")));
            return ok ? cards : null;
        });
        assertThat(wall).extracting(c -> c.get("id")).containsExactlyElementsOf(concat(live, STALLED_CAMERA));
        assertThat(String.valueOf(wall.get(wall.size() - 1).get("badge"))).startsWith("stalled · no record for");
        assertThat(wall.subList(0, live.size())).extracting(c -> c.get("badge")).containsOnly("live");
        assertThat(card(driver, STALLED_CAMERA).getDomAttribute("class")).contains("stale");
        assertThat(card(driver, STALLED_CAMERA).getDomAttribute("data-fps")).isEmpty();
        assertThat(driver.findElements(By.cssSelector("#cameras section.camera[data-camera^='bad-']"))).isEmpty();

        // The dead-lettered keys are listed aside, with their dead letters.
        List<Map<String, Object>> noRecords = wait.until(d -> {
            List<Map<String, Object>> v = items(d, "#nr-list li[data-camera]");
            return v.size() == BAD_KEYS.size() ? v : null;
        });
        assertThat(noRecords).extracting(e -> e.get("camera")).containsExactlyInAnyOrderElementsOf(BAD_KEYS);
        assertThat(noRecords.stream().filter(e -> "bad-02".equals(e.get("camera"))).findFirst().orElseThrow()
                .get("text")).asString().contains("1 dead letter (decode-failed)");

        // Dead-letter panel: counts per reason, the newest first with camera, frame index and source coordinates.
        wait.until(d -> "5".equals(d.findElement(By.id("dl-total")).getText()));
        assertThat(reasonCount(driver, "decode-failed")).isEqualTo("3");
        assertThat(reasonCount(driver, "image-too-small")).isEqualTo("1");
        assertThat(reasonCount(driver, "missing-header")).isEqualTo("1");
        List<Map<String, Object>> recent = items(driver, "#dl-recent li");
        assertThat(recent).hasSize(5);
        assertThat(recent.get(0).get("camera")).as("newest first: the keyless frame").isEqualTo("");
        assertThat(recent.get(0).get("text")).asString().contains("(no key)").contains("missing-header");
        Map<String, Object> bad02 = recent.stream().filter(e -> "bad-02".equals(e.get("camera"))).findFirst()
                .orElseThrow();
        RecordMetadata m = badFrames.get(1);
        assertThat(bad02.get("frameIndex")).isEqualTo("8");
        assertThat(bad02.get("source")).isEqualTo(m.topic() + "/" + m.partition() + "@" + m.offset());
        assertThat(bad02.get("text")).asString().contains("frame #8").contains("decode-failed")
                .contains("Premature end of JPEG");
        assertThat(driver.findElement(By.id("dl-note")).getText()).startsWith("Read since the dashboard started");

        // Totals.
        WebElement cameras = driver.findElement(By.id("t-cameras"));
        wait.until(d -> "1".equals(cameras.getDomAttribute("data-stalled"))
                && "23".equals(cameras.getDomAttribute("data-live")));
        assertThat(cameras.getDomAttribute("data-no-records")).isEqualTo("4");
        assertThat(driver.findElement(By.id("t-dead")).getText()).isEqualTo("5");
        assertThat(driver.findElement(By.id("t-frames")).getText()).startsWith("77 "); // 72 + 5 bad, 1 keyless
        assertThat(Long.parseLong(driver.findElement(By.id("t-records")).getText().split(" ")[0]))
                .isGreaterThanOrEqualTo(CAMERAS.size());
        assertThat(Double.parseDouble(driver.findElement(By.id("t-fps")).getText())).isPositive();
        screenshot(driver, "wall.png");
    }

    private void checkSearch(WebDriver driver, WebDriverWait wait) throws Exception {
        WebElement search = driver.findElement(By.id("search"));
        search.sendKeys("cam-1");
        List<Map<String, Object>> shown = wait.until(d -> {
            List<Map<String, Object>> v = cards(d).stream().filter(c -> !Boolean.TRUE.equals(c.get("hidden")))
                    .collect(Collectors.toList());
            return "10".equals(body(d).getDomAttribute("data-cameras-shown")) && v.size() == 10 ? v : null;
        });
        assertThat(shown).extracting(c -> c.get("id")).containsExactlyElementsOf(CAMERAS.subList(9, 19));

        clear(search);
        search.sendKeys("cam-0");
        shown = wait.until(d -> {
            List<Map<String, Object>> v = cards(d).stream().filter(c -> !Boolean.TRUE.equals(c.get("hidden")))
                    .collect(Collectors.toList());
            return v.size() == 9 && "stalled".equals(v.get(8).get("state")) ? v : null;
        });
        assertThat(shown).extracting(c -> c.get("id")).containsExactly("cam-01", "cam-02", "cam-04", "cam-05",
                "cam-06", "cam-07", "cam-08", "cam-09", STALLED_CAMERA);
        assertThat(driver.findElement(By.id("shown")).getText()).isEqualTo("9 of 24 cameras match");
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView({block: 'end'});",
                card(driver, STALLED_CAMERA));
        screenshot(driver, "search-stalled.png");
        ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0);");
        clear(search);
        wait.until(d -> "24".equals(body(d).getDomAttribute("data-cameras-shown")));
    }

    @SuppressWarnings("unchecked")
    private void checkEnlargeAndFilters(WebDriver driver, WebDriverWait wait) throws Exception {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        card(driver, ZOOMED_CAMERA).click();
        WebElement zoom = driver.findElement(By.id("zoom"));
        WebElement canvas = driver.findElement(By.id("zoom-frame"));
        wait.until(d -> zoom.isDisplayed() && ZOOMED_CAMERA.equals(body(d).getDomAttribute("data-zoom"))
                && "true".equals(canvas.getDomAttribute("data-image-drawn")));
        assertThat(driver.findElement(By.id("zoom-title")).getText()).isEqualTo(ZOOMED_CAMERA);
        assertThat(driver.findElement(By.id("zoom-badge")).getText()).isEqualTo("live");
        Map<String, Object> drawn = (Map<String, Object>) js.executeScript("return window.flinkvision.zoomDrawn;");
        assertThat(((Number) drawn.get("width")).intValue()).isEqualTo(768);
        assertThat(drawn.get("cameraId")).isEqualTo(ZOOMED_CAMERA);
        wait.until(d -> boxesDrawnMatch(d, 0.0, false));

        // min score 0.60 (12 steps of 0.05 with the arrow key), then hide the class "person".
        WebElement score = driver.findElement(By.cssSelector("#zoom #min-score"));
        for (int i = 0; i < 12; i++) {
            score.sendKeys(Keys.ARROW_RIGHT);
        }
        wait.until(d -> "0.60".equals(d.findElement(By.id("min-score-value")).getText()));
        wait.until(d -> boxesDrawnMatch(d, 0.6, false));
        // the filter applies to the cards too: the card redraws on its own schedule, so wait for it (a loaded
        // machine lagged it behind the dialog)
        wait.until(d -> Integer.parseInt(card(d, "cam-01").getDomAttribute("data-boxes-drawn"))
                < Integer.parseInt(card(d, "cam-01").getDomAttribute("data-boxes-total")));
        // the box filters are inside the dialog while it is open
        WebElement person = driver.findElement(By.cssSelector("#zoom #classes button.chip[data-label='person']"));
        person.click();
        assertThat(person.getDomAttribute("aria-pressed")).isEqualTo("false");
        wait.until(d -> boxesDrawnMatch(d, 0.6, true));

        // The chart's tooltip: the capture second and each label's objects per frame.
        WebElement over = driver.findElement(By.cssSelector("#zoom-chart .u-over"));
        new Actions(driver).moveToElement(over, over.getSize().getWidth() / 2 - 20, 0).perform();
        WebElement tip = driver.findElement(By.cssSelector("#zoom-chart .chart-tip"));
        wait.until(d -> tip.isDisplayed() && tip.getText().contains("person"));
        assertThat(tip.getText()).containsPattern("\\d\\d:\\d\\d:\\d\\d · \\d+ frames").contains("car");
        assertThat(Integer.parseInt(driver.findElement(By.id("zoom-chart")).getDomAttribute("data-chart-points")))
                .isPositive();
        screenshot(driver, "enlarged-filtered.png");

        driver.findElement(By.id("zoom-close")).click();
        wait.until(d -> "".equals(body(d).getDomAttribute("data-zoom")) && !zoom.isDisplayed());
    }

    /**
     * Whether the enlarged frame shows exactly the golden boxes of its image with a score of at least minScore (and
     * no person with noPerson), as the page's own record of what it drew.
     */
    @SuppressWarnings("unchecked")
    private static boolean boxesDrawnMatch(WebDriver d, double minScore, boolean noPerson) {
        Map<String, Object> drawn = (Map<String, Object>) ((JavascriptExecutor) d).executeScript(
                "return window.flinkvision.zoomDrawn;");
        if (drawn == null || drawn.get("frameIndex") == null) {
            return false;
        }
        int k = ((Number) drawn.get("frameIndex")).intValue();
        long expected = golden(IMAGES[k]).stream()
                .filter(g -> Math.round(g.getScore() * 1000) / 1000.0 >= minScore)
                .filter(g -> !noPerson || !"person".equals(g.getLabel())).count();
        List<Map<String, Object>> boxes = (List<Map<String, Object>>) drawn.get("boxes");
        return boxes.size() == expected && boxes.stream().allMatch(b -> ((Number) b.get("score")).doubleValue()
                >= minScore && (!noPerson || !"person".equals(b.get("label"))));
    }

    /** The elements' data attributes and text, read in one script (the page may replace them between two calls). */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> items(WebDriver d, String selector) {
        return (List<Map<String, Object>>) ((JavascriptExecutor) d).executeScript(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => Object.assign({text: "
                        + "e.textContent}, e.dataset));", selector);
    }

    private static String reasonCount(WebDriver d, String reason) {
        return d.findElement(By.cssSelector("#dl-reasons tr[data-reason='" + reason + "']")).getDomAttribute("data-count");
    }

    private static void clear(WebElement input) {
        input.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new ArrayList<>(a);
        out.add(b);
        return out;
    }

    private static WebElement body(WebDriver d) {
        return d.findElement(By.tagName("body"));
    }

    private static WebElement card(WebDriver d, String camera) {
        return d.findElement(By.cssSelector("#cameras section.camera[data-camera='" + camera + "']"));
    }

    /**
     * Saves a screenshot of the window to {@code -Ddashboard.screenshots=DIR} (default target/dashboard-screenshots):
     * {@code NAME} as a 256-colour PNG (small enough for the repository, docs/dashboard/); the full-colour original
     * goes to target/dashboard-screenshots/ as {@code NAME-full.png}.
     */
    private static void screenshot(WebDriver driver, String name) throws Exception {
        Path dir = Paths.get(System.getProperty("dashboard.screenshots", "target/dashboard-screenshots"));
        Path full = Paths.get("target/dashboard-screenshots");
        Files.createDirectories(dir);
        Files.createDirectories(full);
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(full.resolve(name.replace(".png", "-full.png")), png);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        ImageIO.write(palette256(image), "png", dir.resolve(name).toFile());
        System.out.println("screenshot: " + dir.resolve(name).toAbsolutePath() + " (" + Files.size(dir.resolve(name))
                + " bytes)");
    }

    /**
     * The image in 256 colours: the most frequent colours of a 5-bit-per-channel histogram (popularity quantization:
     * the page's flat greys and text colours dominate; the camera images get the nearest of them), no dithering.
     */
    static BufferedImage palette256(BufferedImage in) {
        int w = in.getWidth();
        int h = in.getHeight();
        int[] rgb = in.getRGB(0, 0, w, h, null, 0, w);
        int[] counts = new int[1 << 15];
        for (int p : rgb) {
            counts[key15(p)]++;
        }
        Integer[] keys = new Integer[counts.length];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = i;
        }
        Arrays.sort(keys, (a, b) -> Integer.compare(counts[b], counts[a]));
        int n = 0;
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        while (n < 256 && counts[keys[n]] > 0) {
            int k = keys[n];
            r[n] = (byte) (((k >> 10) & 31) << 3 | 4);
            g[n] = (byte) (((k >> 5) & 31) << 3 | 4);
            b[n] = (byte) ((k & 31) << 3 | 4);
            n++;
        }
        int[] nearest = new int[1 << 15];
        Arrays.fill(nearest, -1);
        java.awt.image.IndexColorModel model = new java.awt.image.IndexColorModel(8, Math.max(n, 1), r, g, b);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, model);
        byte[] pixels = ((java.awt.image.DataBufferByte) out.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < rgb.length; i++) {
            int k = key15(rgb[i]);
            if (nearest[k] < 0) {
                int best = 0;
                long bestD = Long.MAX_VALUE;
                int kr = ((k >> 10) & 31) << 3 | 4;
                int kg = ((k >> 5) & 31) << 3 | 4;
                int kb = (k & 31) << 3 | 4;
                for (int c = 0; c < n; c++) {
                    long dr = kr - (r[c] & 0xff);
                    long dg = kg - (g[c] & 0xff);
                    long db = kb - (b[c] & 0xff);
                    long d = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
                    if (d < bestD) {
                        bestD = d;
                        best = c;
                    }
                }
                nearest[k] = best;
            }
            pixels[i] = (byte) nearest[k];
        }
        return out;
    }

    private static int key15(int argb) {
        return ((argb >> 19) & 31) << 10 | ((argb >> 11) & 31) << 5 | ((argb >> 3) & 31);
    }
}

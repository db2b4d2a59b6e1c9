package io.flinkvision.jobs.dashboard;

import static io.flinkvision.jobs.dashboard.DashboardTestData.detectionRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.detections;
import static io.flinkvision.jobs.dashboard.DashboardTestData.frameRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.jpeg;
import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The outage banner in a real browser (headless Chromium, as {@link DetectionsDashboardBrowserTest}), against a real
 * Flink MiniCluster's REST API and a real (in-process) Kafka broker:
 * <ul>
 *   <li>a job that failed (restart strategy none, every record throws): red banner, state FAILED;</li>
 *   <li>a REST address nobody listens on: state "unknown", amber banner, never "running";</li>
 *   <li>a RUNNING job whose consumer group commits nothing while frames keep arriving and no detection record is
 *       committed: red "Input stalled" banner, the camera's frames/s not shown as live; the banner goes away once
 *       offsets and detection records are committed.</li>
 * </ul>
 * Skipped (with the reason) when Chromium or chromedriver cannot be found.
 */
@Timeout(420)
class DashboardOutageBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(180);

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(FlinkJobProbeTest.clusterConfig()).build());

    private static EmbeddedKafka kafka;

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void bannerShowsWhileTheJobIsNotRunningOrItsInputStalls(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Path chrome = DetectionsDashboardBrowserTest.firstExecutable("FLINKVISION_CHROME", "/usr/lib/chromium/chromium",
                "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        Path chromedriver = DetectionsDashboardBrowserTest.firstExecutable("FLINKVISION_CHROMEDRIVER",
                "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        Assumptions.assumeTrue(chrome != null && chromedriver != null,
                "headless browser test skipped: Chromium or chromedriver not found (install: .ci/install-chromium.sh;"
                        + " or set FLINKVISION_CHROME / FLINKVISION_CHROMEDRIVER)");
        kafka = EmbeddedKafka.start();
        kafka.createTopic(DashboardTestData.FRAMES, 1);
        kafka.createTopic(DashboardTestData.DETECTIONS, 1);
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
            WebDriverWait wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(200));
            failedJob(driver, wait, FlinkJobProbeTest.restUrl(cluster));
            unreachableRestApi(driver, wait);
            stalledInput(driver, wait, FlinkJobProbeTest.restUrl(cluster));
        } finally {
            driver.quit();
            service.stop();
            DetectionsDashboardBrowserTest.deleteRecursively(profile);
        }
    }

    private static WebElement body(WebDriver d) {
        return d.findElement(By.tagName("body"));
    }

    private static String text(WebDriver d, String id) {
        return d.findElement(By.id(id)).getText();
    }

    private static boolean bannerShown(WebDriver d, String level) {
        WebElement banner = d.findElement(By.id("banner"));
        return banner.isDisplayed() && banner.getDomAttribute("class").contains(level);
    }

    private void failedJob(WebDriver driver, WebDriverWait wait, String restUrl) throws Exception {
        JobClient job = FlinkJobProbeTest.submit("browser-fails", new FlinkJobProbeTest.Poison(),
                FlinkJobProbeTest.noRestarts());
        try (DetectionsDashboard d = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers()).port(0)
                .flinkRestUrl(restUrl).jobName("browser-fails").start()) {
            driver.get(d.uri().toString());
            wait.until(x -> "FAILED".equals(body(x).getDomAttribute("data-job-state")));
            wait.until(x -> bannerShown(x, "outage"));
            assertThat(body(driver).getDomAttribute("data-health")).isEqualTo("outage");
            assertThat(text(driver, "banner")).startsWith("Job failed").contains("resubmitted");
            assertThat(text(driver, "job-state")).isEqualTo("FAILED");
            assertThat(driver.findElement(By.id("job-state")).getDomAttribute("class")).contains("outage");
            assertThat(text(driver, "job-detail")).contains("browser-fails").contains(job.getJobID().toString());
        }
    }

    private void unreachableRestApi(WebDriver driver, WebDriverWait wait) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (DetectionsDashboard d = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers()).port(0)
                .flinkRestUrl("http://127.0.0.1:" + port).start()) {
            driver.get(d.uri().toString());
            wait.until(x -> "unknown".equals(body(x).getDomAttribute("data-job-state"))
                    && text(x, "job-detail").contains("Flink REST API"));
            wait.until(x -> bannerShown(x, "unknown"));
            assertThat(text(driver, "banner")).startsWith("Job state unknown: Flink REST API");
            assertThat(text(driver, "job-state")).isEqualTo("unknown");
            assertThat(body(driver).getDomAttribute("data-health")).isEqualTo("unknown");
        }
    }

    private void stalledInput(WebDriver driver, WebDriverWait wait, String restUrl) throws Exception {
        JobClient job = FlinkJobProbeTest.submit("browser-running", new FlinkJobProbeTest.Slow(),
                FlinkJobProbeTest.noRestarts());
        AtomicBoolean stop = new AtomicBoolean();
        byte[] image = jpeg("vtest_000.jpg");
        try (KafkaProducer<byte[], byte[]> frames = DashboardTestData.producer(kafka.bootstrapServers());
                KafkaProducer<byte[], byte[]> sink =
                        DashboardTestData.transactionalProducer(kafka.bootstrapServers(), "outage-browser");
                DetectionsDashboard d = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers())
                        .port(0).flinkRestUrl(restUrl).jobName("browser-running").consumerGroup("browser-group")
                        .inputStallWindow(Duration.ofSeconds(4)).start()) {
            driver.get(d.uri().toString());
            // A camera with live records first: two frames and their committed detection records.
            long now = System.currentTimeMillis();
            frames.send(frameRecord("cam-x", 0, now - 400, image)).get();
            frames.send(frameRecord("cam-x", 1, now - 200, image)).get();
            commitOffset("browser-group", endOffset());
            sink.beginTransaction();
            sink.send(detectionRecord(detections("cam-x", 0, now - 400, now - 300, List.of())));
            sink.send(detectionRecord(detections("cam-x", 1, now - 200, now - 100, List.of())));
            sink.commitTransaction();
            wait.until(x -> "RUNNING".equals(body(x).getDomAttribute("data-job-state"))
                    && "ok".equals(body(x).getDomAttribute("data-health")) && !text(x, "job-restarts").equals("–"));
            assertThat(driver.findElement(By.id("banner")).isDisplayed()).isFalse();
            assertThat(text(driver, "job-restarts")).isEqualTo("0");
            wait.until(x -> !x.findElements(By.cssSelector("section.camera[data-camera='cam-x']")).isEmpty()
                    && !"".equals(card(x).getDomAttribute("data-fps")));

            // Frames keep arriving; the group commits nothing and no detection record is committed.
            long[] index = {2};
            Thread producer = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        frames.send(frameRecord("cam-x", index[0]++, System.currentTimeMillis(), image)).get();
                        Thread.sleep(200);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "frames");
            producer.start();
            try {
                wait.until(x -> bannerShown(x, "outage"));
            } finally {
                stop.set(true);
                producer.join();
            }
            assertThat(text(driver, "banner")).startsWith("Input stalled: ").contains("records of frames wait")
                    .contains("no detection record was committed");
            assertThat(text(driver, "job-state")).as("Flink still says RUNNING").isEqualTo("RUNNING");
            assertThat(Long.parseLong(text(driver, "job-lag").split(" ")[0])).isPositive();
            assertThat(card(driver).getDomAttribute("data-fps")).as("no live frames/s during an outage").isEmpty();
            assertThat(card(driver).getDomAttribute("class")).contains("stale");

            // The job catches up: offsets and a detection record committed; the banner goes.
            commitOffset("browser-group", endOffset());
            long t = System.currentTimeMillis();
            sink.beginTransaction();
            sink.send(detectionRecord(detections("cam-x", index[0] - 1, t, t + 10, List.of())));
            sink.commitTransaction();
            wait.until(x -> "ok".equals(body(x).getDomAttribute("data-health")));
            assertThat(driver.findElement(By.id("banner")).isDisplayed()).isFalse();
            assertThat(text(driver, "job-lag")).startsWith("0");
        } finally {
            job.cancel().get();
        }
    }

    private static WebElement card(WebDriver d) {
        return d.findElement(By.cssSelector("section.camera[data-camera='cam-x']"));
    }

    private static void commitOffset(String group, long offset) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(DashboardTestData.FRAMES, 0),
                    new OffsetAndMetadata(offset))).all().get(60, TimeUnit.SECONDS);
        }
    }

    private static long endOffset() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            TopicPartition tp = new TopicPartition(DashboardTestData.FRAMES, 0);
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get(60, TimeUnit.SECONDS).get(tp)
                    .offset();
        }
    }
}

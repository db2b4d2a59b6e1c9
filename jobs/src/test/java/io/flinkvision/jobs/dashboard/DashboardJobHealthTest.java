package io.flinkvision.jobs.dashboard;

import static io.flinkvision.jobs.dashboard.DashboardTestData.detectionRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.detections;
import static io.flinkvision.jobs.dashboard.DashboardTestData.frameRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.jpeg;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard's job health over HTTP ({@code /metrics}, parsed, and {@code /api/state}) against a real Flink
 * MiniCluster's REST API and a real (in-process) Kafka broker with a consumer group whose committed offsets are set
 * here: the values must be the job's state and restarts and the group's exact lag; a growing lag with nothing
 * committed must turn the verdict into an outage and committed records must end it. {@code promtool check metrics}
 * runs on the scraped text when promtool is on the PATH.
 */
@Timeout(300)
class DashboardJobHealthTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1)
            .setConfiguration(FlinkJobProbeTest.clusterConfig()).build());

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
        kafka.createTopic(DashboardTestData.FRAMES, 1);
        kafka.createTopic(DashboardTestData.DETECTIONS, 1);
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static String get(DetectionsDashboard d, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(d.uri().resolve(path)).timeout(Duration.ofSeconds(30))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s", path).isEqualTo(200);
        return r.body();
    }

    /** Samples of the exposition text: {@code name{labels}} -> value. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> out = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("sample line %s", line).isTrue();
            out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(4)));
        }
        return out;
    }

    /** Scrapes /metrics until {@code done} holds (bounded); returns the text. */
    private static String awaitMetrics(DetectionsDashboard d, Predicate<Map<String, Double>> done) throws Exception {
        long deadline = System.nanoTime() + FlinkJobProbeTest.WAIT.toNanos();
        String text = null;
        while (System.nanoTime() < deadline) {
            text = get(d, "/metrics");
            if (done.test(parse(text))) {
                return text;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("metrics not reached within " + FlinkJobProbeTest.WAIT + ":\n" + text);
    }

    private static JsonNode awaitJob(DetectionsDashboard d, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + FlinkJobProbeTest.WAIT.toNanos();
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = MAPPER.readTree(get(d, "/api/state")).get("job");
            if (done.test(job)) {
                return job;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("job health not reached within " + FlinkJobProbeTest.WAIT + ": " + job);
    }

    private static void commitOffset(String group, long offset) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(DashboardTestData.FRAMES, 0),
                    new OffsetAndMetadata(offset))).all().get(60, TimeUnit.SECONDS);
        }
    }

    private static long produceFrames(KafkaProducer<byte[], byte[]> p, int n, long firstIndex) throws Exception {
        byte[] image = jpeg("vtest_000.jpg");
        for (int i = 0; i < n; i++) {
            p.send(frameRecord("health-cam", firstIndex + i, System.currentTimeMillis(), image)).get();
        }
        return firstIndex + n;
    }

    @Test
    void metricsShowTheRunningJobItsRestartsTheExactLagAndCommittedRecords(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        JobClient job = FlinkJobProbeTest.submit("metrics-running", new FlinkJobProbeTest.Slow(),
                FlinkJobProbeTest.noRestarts());
        long end;
        try (KafkaProducer<byte[], byte[]> frames = DashboardTestData.producer(kafka.bootstrapServers());
                KafkaProducer<byte[], byte[]> sink =
                        DashboardTestData.transactionalProducer(kafka.bootstrapServers(), "metrics-test")) {
            end = produceFrames(frames, 9, 0);
            commitOffset("metrics-group", 4);
            long now = System.currentTimeMillis();
            sink.beginTransaction();
            for (int i = 0; i < 3; i++) {
                sink.send(detectionRecord(detections("health-cam", i, now, now + 10, List.of())));
            }
            sink.commitTransaction();
            sink.beginTransaction();
            sink.send(detectionRecord(detections("health-cam", 99, now, now + 10, List.of())));
            sink.flush();
            sink.abortTransaction();
        }
        assertThat(end).isEqualTo(9);
        try (DetectionsDashboard d = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers()).port(0)
                .fromBeginning(true).flinkRestUrl(FlinkJobProbeTest.restUrl(cluster)).jobName("metrics-running")
                .consumerGroup("metrics-group").start()) {
            String running = "flinkvision_dashboard_job_state{job_name=\"metrics-running\",state=\"RUNNING\"}";
            String restarts = "flinkvision_dashboard_job_restarts{job_name=\"metrics-running\"}";
            String lag = "flinkvision_dashboard_input_lag_records{topic=\"frames\",group=\"metrics-group\"}";
            String total = "flinkvision_dashboard_detection_records_total{topic=\"detections\"}";
            String text = awaitMetrics(d, m -> Double.valueOf(1).equals(m.get(running)) && m.containsKey(restarts)
                    && m.containsKey(lag) && Double.valueOf(3).equals(m.get(total)));
            Map<String, Double> m = parse(text);
            assertThat(m.get(restarts)).isZero();
            assertThat(m.get(lag)).as("9 frames, 4 committed").isEqualTo(5.0);
            for (String st : DashboardMetrics.STATES) {
                assertThat(m.get("flinkvision_dashboard_job_state{job_name=\"metrics-running\",state=\"" + st + "\"}"))
                        .as(st).isEqualTo(st.equals("RUNNING") ? 1.0 : 0.0);
            }
            // + the cameras per state (one camera, live); no dead-letter series (the topic does not exist here)
            assertThat(m.get("flinkvision_dashboard_cameras{state=\"live\"}")).isEqualTo(1.0);
            assertThat(m).hasSize(DashboardMetrics.STATES.size() + 3 + 4);
            // The same values the page gets, and what the probes read directly.
            JsonNode j = awaitJob(d, n -> n.get("inputLagRecords").asLong() == 5);
            assertThat(j.get("jobState").asText()).isEqualTo("RUNNING");
            assertThat(j.get("jobId").asText()).isEqualTo(job.getJobID().toString());
            assertThat(j.get("restarts").asLong()).isZero();
            assertThat(j.get("verdict").asText()).isEqualTo(JobVerdict.OK);
            assertThat(j.get("verdictReason").asText()).isEqualTo("Job running.");
            FlinkJobProbe.Job probed = new FlinkJobProbe(FlinkJobProbeTest.restUrl(cluster), "metrics-running").read();
            assertThat(probed.state()).isEqualTo("RUNNING");
            assertThat(probed.restarts()).isZero();
            try (InputLagProbe p = new InputLagProbe(kafka.bootstrapServers(), Map.of(), DashboardTestData.FRAMES,
                    "metrics-group")) {
                assertThat(p.lagRecords()).isEqualTo(5);
            }
            promtoolCheck(text);

            job.cancel().get();
            String canceled = "flinkvision_dashboard_job_state{job_name=\"metrics-running\",state=\"CANCELED\"}";
            Map<String, Double> after = parse(awaitMetrics(d, x -> Double.valueOf(1).equals(x.get(canceled))));
            assertThat(after.get(running)).isZero();
            assertThat(after.get(restarts)).as("kept after the job's metrics are gone").isZero();
            assertThat(awaitJob(d, n -> "CANCELED".equals(n.get("jobState").asText())).get("verdict").asText())
                    .isEqualTo(JobVerdict.OUTAGE);
        }
    }

    @Test
    void growingLagWithNothingCommittedIsAnOutageUntilRecordsAreCommitted() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        try (KafkaProducer<byte[], byte[]> frames = DashboardTestData.producer(kafka.bootstrapServers());
                KafkaProducer<byte[], byte[]> sink =
                        DashboardTestData.transactionalProducer(kafka.bootstrapServers(), "stall-test");
                DetectionsDashboard d = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers())
                        .port(0).consumerGroup("stall-group").inputStallWindow(Duration.ofSeconds(4)).start()) {
            long next = produceFrames(frames, 1, 1000);
            commitOffset("stall-group", endOffset());
            JsonNode idle = awaitJob(d, n -> n.get("inputLagRecords").isNumber()
                    && n.get("inputLagGrowthRecords").isNumber());
            assertThat(idle.get("inputLagRecords").asLong()).isZero();
            assertThat(idle.get("verdict").asText()).isEqualTo(JobVerdict.OK);

            // Frames keep arriving, the group commits nothing and no detection record is committed.
            long[] index = {next};
            Thread producer = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        index[0] = produceFrames(frames, 1, index[0]);
                        Thread.sleep(200);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "frames");
            producer.start();
            JsonNode stalled;
            try {
                stalled = awaitJob(d, n -> JobVerdict.OUTAGE.equals(n.get("verdict").asText()));
            } finally {
                stop.set(true);
                producer.join();
            }
            assertThat(stalled.get("inputLagRecords").asLong()).isPositive();
            assertThat(stalled.get("inputLagGrowthRecords").asLong()).isPositive();
            assertThat(stalled.get("verdictReason").asText()).startsWith("Input stalled: ")
                    .contains("records of frames wait").contains("than 4 s ago");
            assertThat(stalled.get("jobState").isNull()).isTrue();

            // The job catches up: offsets and detection records committed.
            commitOffset("stall-group", endOffset());
            long now = System.currentTimeMillis();
            sink.beginTransaction();
            sink.send(detectionRecord(detections("health-cam", index[0] - 1, now, now + 10, List.of())));
            sink.commitTransaction();
            JsonNode recovered = awaitJob(d, n -> JobVerdict.OK.equals(n.get("verdict").asText()));
            assertThat(recovered.get("inputLagRecords").asLong()).isZero();
        }
    }

    private static long endOffset() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            TopicPartition tp = new TopicPartition(DashboardTestData.FRAMES, 0);
            return admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest())).all()
                    .get(60, TimeUnit.SECONDS).get(tp).offset();
        }
    }

    @Test
    void renderedWithNothingKnownIsValidExpositionText() throws Exception {
        DashboardState s = new DashboardState(1024, "detections", "frames");
        String text = DashboardMetrics.render(s.snapshot(0));
        assertThat(parse(text)).containsOnly(
                Map.entry("flinkvision_dashboard_detection_records_total{topic=\"detections\"}", 0.0),
                Map.entry("flinkvision_dashboard_cameras{state=\"live\"}", 0.0),
                Map.entry("flinkvision_dashboard_cameras{state=\"stalled\"}", 0.0),
                Map.entry("flinkvision_dashboard_cameras{state=\"offline\"}", 0.0),
                Map.entry("flinkvision_dashboard_cameras{state=\"no-records\"}", 0.0));
        promtoolCheck(text);
    }

    /** {@code promtool check metrics} on the text, when promtool is on the PATH (else nothing). */
    static void promtoolCheck(String text) throws Exception {
        Path promtool = null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "promtool");
            if (promtool == null && Files.isExecutable(p)) {
                promtool = p;
            }
        }
        if (promtool == null) {
            System.out.println("promtool not on the PATH: exposition text not checked by promtool");
            return;
        }
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool check metrics:%n%s%n%s", out, text).isZero();
    }
}

package io.flinkvision.jobs.dashboard;

import static io.flinkvision.jobs.dashboard.DashboardTestData.detectionRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.detections;
import static io.flinkvision.jobs.dashboard.DashboardTestData.frameRecord;
import static io.flinkvision.jobs.dashboard.DashboardTestData.golden;
import static io.flinkvision.jobs.dashboard.DashboardTestData.jpeg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The dashboard's HTTP API against a real (in-process) Kafka broker, without a browser. */
@Timeout(120)
class DetectionsDashboardHttpTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static EmbeddedKafka kafka;
    private static DetectionsDashboard dashboard;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
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

    private static HttpResponse<byte[]> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(dashboard.uri().resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void servesThePageWithRestrictiveHeadersOnLoopback() throws Exception {
        assertThat(dashboard.host()).isEqualTo("127.0.0.1");
        assertThat(dashboard.port()).isPositive();
        HttpResponse<byte[]> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("<script src=\"app.js\"></script>");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).contains("script-src 'self'"));
        assertThat(get("/app.js").headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/javascript"));
        assertThat(get("/style.css").statusCode()).isEqualTo(200);
        assertThat(get("/../pom.xml").statusCode()).isIn(400, 404); // Jetty refuses ambiguous paths with 400
        assertThat(get("/nope").statusCode()).isEqualTo(404);
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(dashboard.uri().resolve("/api/state"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void matchesFramesWithCommittedRecordsAndStreamsState() throws Exception {
        byte[] image = jpeg("vtest_000.jpg");
        long capture = System.currentTimeMillis() - 500;
        try (KafkaProducer<byte[], byte[]> frames = DashboardTestData.producer(kafka.bootstrapServers());
                KafkaProducer<byte[], byte[]> sink =
                        DashboardTestData.transactionalProducer(kafka.bootstrapServers(), "http-test")) {
            frames.send(frameRecord("http-cam", 42, capture, image)).get();
            sink.beginTransaction();
            sink.send(detectionRecord(detections("http-cam", 42, capture, capture + 120, golden("vtest_000.jpg"))));
            sink.commitTransaction();
        }
        JsonNode cam = awaitCamera("http-cam", 42, Duration.ofSeconds(30));
        assertThat(cam.get("framesTotal").asLong()).isEqualTo(1);
        assertThat(cam.get("detectionsTotal").asLong()).isEqualTo(7);
        assertThat(cam.get("frame").get("boxes")).hasSize(7);
        assertThat(cam.get("frame").get("boxes").get(0).get("label").asText()).isEqualTo("person");
        assertThat(cam.get("latency").get("endToEndP50").asDouble()).isEqualTo(120.0);
        String url = cam.get("frame").get("imageUrl").asText();
        HttpResponse<byte[]> jpegResponse = get("/" + url);
        assertThat(jpegResponse.statusCode()).isEqualTo(200);
        assertThat(jpegResponse.headers().firstValue("Content-Type")).hasValue("image/jpeg");
        assertThat(jpegResponse.body()).isEqualTo(image);
        assertThat(get("/api/frame?camera=http-cam&index=999").statusCode()).isEqualTo(404);
        assertThat(get("/api/frame?camera=http-cam&index=x").statusCode()).isEqualTo(400);

        // The event stream starts with a full state event.
        HttpResponse<InputStream> sse = HTTP.send(HttpRequest.newBuilder(dashboard.uri().resolve("/api/events"))
                .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(sse.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/event-stream"));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
            assertThat(r.readLine()).isEqualTo("event: state");
            String data = r.readLine();
            assertThat(data).startsWith("data: ");
            JsonNode state = MAPPER.readTree(data.substring("data: ".length()));
            assertThat(state.get("consumerStatus").asText()).isEqualTo("running");
            assertThat(state.get("detectionsTopic").asText()).isEqualTo("detections");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (dashboard.connectedClients() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(dashboard.connectedClients()).isEqualTo(1);
        }
    }

    @Test
    void topicsCreatedAfterStartAreReadFromTheirBeginning() throws Exception {
        try (DetectionsDashboard late = DetectionsDashboard.builder().bootstrapServers(kafka.bootstrapServers())
                .detectionsTopic("late-detections").framesTopic("late-frames").port(0).start()) {
            JsonNode state = MAPPER.readTree(get(late, "/api/state").body());
            assertThat(state.get("consumerStatus").asText()).startsWith("waiting for topic(s)");
            kafka.createTopic("late-frames", 1);
            kafka.createTopic("late-detections", 1);
            long capture = System.currentTimeMillis();
            try (KafkaProducer<byte[], byte[]> p = DashboardTestData.producer(kafka.bootstrapServers())) {
                ProducerRecord<byte[], byte[]> f =
                        frameRecord("late-cam", 7, capture, jpeg("vtest_200.jpg"));
                p.send(new ProducerRecord<>("late-frames", null, f.timestamp(),
                        f.key(), f.value(), f.headers())).get();
                ProducerRecord<byte[], byte[]> d = detectionRecord(
                        detections("late-cam", 7, capture, capture + 30, golden("vtest_200.jpg")));
                p.send(new ProducerRecord<>("late-detections", d.key(), d.value()))
                        .get();
            }
            JsonNode cam = awaitCamera(late, "late-cam", 7, Duration.ofSeconds(30));
            assertThat(cam.get("frame").get("boxes")).hasSize(11);
        }
    }

    private static HttpResponse<byte[]> get(DetectionsDashboard d, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(d.uri().resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonNode awaitCamera(String camera, long frameIndex, Duration timeout) throws Exception {
        return awaitCamera(dashboard, camera, frameIndex, timeout);
    }

    private static JsonNode awaitCamera(DetectionsDashboard d, String camera, long frameIndex, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            JsonNode state = MAPPER.readTree(get(d, "/api/state").body());
            for (JsonNode cam : state.get("cameras")) {
                if (cam.get("cameraId").asText().equals(camera)) {
                    last = cam;
                    JsonNode f = cam.get("frame");
                    if (f != null && !f.isNull() && f.get("frameIndex").asLong() == frameIndex
                            && !f.get("imageUrl").isNull()) {
                        return cam;
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("camera " + camera + " frame " + frameIndex + " not shown; last state: " + last);
    }

    @Test
    void portInUseIsReportedAsIOException() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> DetectionsDashboard.start(kafka.bootstrapServers(), "127.0.0.1",
                    taken.getLocalPort())).isInstanceOf(IOException.class).hasMessageContaining("cannot listen");
        }
        assertThatThrownBy(() -> DetectionsDashboard.builder().port(0).start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrapServers");
        assertThatThrownBy(() -> DetectionsDashboard.builder().bootstrapServers("x:1").framesTopic("t")
                .detectionsTopic("t").start()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void commandLineOptions() {
        DashboardCommand cmd = new DashboardCommand();
        new CommandLine(cmd).parseArgs("--bootstrap-servers", "k:9092", "--consumer-property",
                "security.protocol=SASL_SSL", "--consumer-property",
                "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\";");
        assertThat(cmd.bootstrapServers).isEqualTo("k:9092");
        assertThat(cmd.detectionsTopic).isEqualTo("detections");
        assertThat(cmd.framesTopic).isEqualTo("frames");
        assertThat(cmd.host).isEqualTo("127.0.0.1");
        assertThat(cmd.port).isEqualTo(8088);
        assertThat(cmd.consumerProperties).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\";");
        StringWriter usage = new StringWriter();
        assertThat(new CommandLine(new DashboardCommand()).setErr(new PrintWriter(usage)).execute()).isEqualTo(2);
        assertThat(usage.toString()).contains("Missing required option: '--bootstrap-servers");

        // The dashboard's own settings win over user properties.
        Map<Object, Object> p = DashboardConsumer.consumerProperties("k:9092",
                Map.of("isolation.level", "read_uncommitted", "group.id", "g", "security.protocol", "SSL"));
        assertThat(p).containsEntry("isolation.level", "read_committed").doesNotContainKey("group.id")
                .containsEntry("security.protocol", "SSL").containsEntry("enable.auto.commit", "false");
    }
}

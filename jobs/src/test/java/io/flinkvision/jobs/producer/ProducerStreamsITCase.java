package io.flinkvision.jobs.producer;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.flinkvision.frame.FrameHeaders;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code produce} against a real broker: a live HTTP MJPEG stream (JDK HTTP server) that drops, comes back once and
 * then stays down; and {@code --cameras} fan-out over a three-partition topic.
 */
@Timeout(300)
class ProducerStreamsITCase {
    private static final Path CLIP = Path.of("../data/vtest.avi");
    private static final String BOUNDARY = "frameboundary";
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void droppedLiveStreamIsReconnectedThenGivenUpWithExitCode3() throws Exception {
        byte[][] jpegs = {resource("vtest_000.jpg"), resource("vtest_100.jpg")};
        int perConnection = 6;
        AtomicInteger connections = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // Each connection streams 6 frames, then the server cuts it; the test stops the server after the 2nd.
        server.createContext("/stream", exchange -> {
            int n = connections.incrementAndGet();
            exchange.getResponseHeaders().set("Content-Type", "multipart/x-mixed-replace;boundary=" + BOUNDARY);
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < perConnection; i++) {
                    byte[] jpeg = jpegs[i % 2];
                    out.write(("--" + BOUNDARY + "\r\nContent-Type: image/jpeg\r\nContent-Length: " + jpeg.length
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(jpeg);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
            } catch (IOException clientGone) {
                // the producer closed first
            } finally {
                exchange.close();
                if (n >= 2) {
                    new Thread(() -> server.stop(0)).start();
                }
            }
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/stream";
        String topic = "live-" + UUID.randomUUID();
        kafka.createTopic(topic, 1);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ProduceCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));

        int code = cli.execute("--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic, "--input", url,
                "--camera-id", "live", "--reconnect-attempts", "3", "--reconnect-backoff-ms", "100",
                "--reconnect-max-backoff-ms", "400");

        server.stop(0);
        assertThat(code).as(out + "\n" + err).isEqualTo(3);
        assertThat(connections.get()).isEqualTo(2);
        assertThat(err.toString()).contains(url).contains("3 reconnect attempt(s)");
        int expected = 2 * perConnection;
        assertThat(out.toString()).contains("Gave up: camera 'live'")
                .contains(expected + " frames sent (0 skipped), " + expected + " records acked, 0 failed, "
                        + "1 reconnects");
        List<ConsumerRecord<byte[], byte[]>> records = consume(topic, expected);
        List<String> indexes = new ArrayList<>();
        for (int i = 0; i < expected; i++) {
            indexes.add(Integer.toString(i));
        }
        assertThat(records).extracting(r -> header(r, FrameHeaders.FRAME_INDEX)).containsExactlyElementsOf(indexes);
        assertThat(records).extracting(r -> header(r, FrameHeaders.WIDTH)).containsOnly("768");
    }

    @Test
    void fansOneInputOutToSixCamerasBalancedOverThreePartitionsInOrderThroughFourProducers() {
        String topic = "fanout-" + UUID.randomUUID();
        kafka.createTopic(topic, 3);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ProduceCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int frames = 25;

        int code = cli.execute("--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic,
                "--input", CLIP.toString(), "--camera-id", "sim", "--cameras", "6", "--threads", "3", "--producers", "4", "--fps", "0",
                "--max-frames", Integer.toString(frames));

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("Sent 6 cameras")
                .contains(frames + " frames sent (0 skipped), " + 6 * frames + " records acked, 0 failed");
        List<ConsumerRecord<byte[], byte[]>> records = consume(topic, 6 * frames);
        assertThat(records).hasSize(6 * frames);
        Map<String, List<ConsumerRecord<byte[], byte[]>>> byCamera = records.stream().collect(
                Collectors.groupingBy(r -> new String(r.key(), StandardCharsets.UTF_8), TreeMap::new,
                        Collectors.toList()));
        assertThat(byCamera).containsOnlyKeys("sim-0", "sim-1", "sim-2", "sim-3", "sim-4", "sim-5");
        Map<Integer, Long> camerasPerPartition = new TreeMap<>();
        byte[] first = null;
        for (Map.Entry<String, List<ConsumerRecord<byte[], byte[]>>> e : byCamera.entrySet()) {
            List<ConsumerRecord<byte[], byte[]>> own = e.getValue(); // consume() keeps each partition's order
            assertThat(own).extracting(ConsumerRecord::partition).as(e.getKey()).containsOnly(own.get(0).partition());
            assertThat(own).extracting(r -> Long.parseLong(header(r, FrameHeaders.FRAME_INDEX))).as(e.getKey())
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, frames).boxed().toList());
            camerasPerPartition.merge(own.get(0).partition(), 1L, Long::sum);
            if (first == null) {
                first = own.get(frames - 1).value();
            } else {
                assertThat(own.get(frames - 1).value()).as("same frame for every camera").isEqualTo(first);
            }
        }
        assertThat(camerasPerPartition).containsExactly(Map.entry(0, 2L), Map.entry(1, 2L), Map.entry(2, 2L));
    }

    private static byte[] resource(String name) throws Exception {
        return TestFixtures.bytes(name);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected) {
        Properties p = kafka.consumerProperties("test-" + UUID.randomUUID());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 120_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            consumer.poll(Duration.ofMillis(500)).forEach(out::add); // nothing more may arrive
        }
        return out;
    }
}

package io.flinkvision.jobs.producer;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameHeaders;
import io.flinkvision.frame.FrameSerde;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@link VideoToKafka} and {@link ProduceCommand} against a real in-process broker, with the demo clip
 * {@code data/vtest.avi} (768x576, 10 fps) and real JPEG files.
 */
@Timeout(30)
class VideoToKafkaTest {
    /** The demo clip, relative to the jobs module (surefire's working directory). */
    private static final Path CLIP = Path.of("../data/vtest.avi");
    private static final AtomicInteger TOPICS = new AtomicInteger();

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
    void streamsTheFirst30FramesOfTheDemoClip() {
        assertThat(CLIP).as("demo clip (run from the jobs module)").isRegularFile();
        String topic = newTopic();
        long before = System.currentTimeMillis();
        VideoToKafka producer = VideoToKafka.builder()
                .bootstrapServers(kafka.bootstrapServers())
                .topic(topic)
                .input(CLIP.toString())
                .cameraId("street-cam")
                .fps(0)
                .threads(4)
                .maxFrames(30)
                .build();

        long sent = run(producer);

        assertThat(sent).isEqualTo(30);
        assertThat(producer.framesSent()).isEqualTo(30);
        assertThat(producer.framesSkipped()).isZero();
        List<ConsumerRecord<byte[], byte[]>> records = consume(topic, 30);
        assertThat(records).hasSize(30);
        for (int i = 0; i < records.size(); i++) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("street-cam");
            assertThat(header(r, FrameHeaders.FRAME_INDEX)).isEqualTo(Integer.toString(i));
            assertThat(header(r, FrameHeaders.ENCODING)).isEqualTo("jpeg");
            assertThat(header(r, FrameHeaders.WIDTH)).isEqualTo("768");
            assertThat(header(r, FrameHeaders.HEIGHT)).isEqualTo("576");
            assertThat(r.value()[0] & 0xFF).isEqualTo(0xFF);
            assertThat(r.value()[1] & 0xFF).isEqualTo(0xD8);
            long ts = Long.parseLong(header(r, FrameHeaders.CAPTURE_TIMESTAMP));
            assertThat(r.timestamp()).isEqualTo(ts);
            assertThat(ts).isBetween(before, System.currentTimeMillis());
            if (i > 0) {
                assertThat(ts).isGreaterThanOrEqualTo(records.get(i - 1).timestamp());
            }
            Frame frame = FrameSerde.fromRecord(r);
            assertThat(frame.isValid()).as(frame.toString()).isTrue();
        }
        try (Mat decoded = decode(records.get(29).value())) {
            assertThat(decoded.cols()).isEqualTo(768);
            assertThat(decoded.rows()).isEqualTo(576);
            assertThat(decoded.type()).isEqualTo(CV_8UC3);
        }
    }

    @Test
    void pacesAVideoFileAtItsOwnFrameRateByDefault() {
        String topic = newTopic();
        VideoToKafka producer = VideoToKafka.builder()
                .bootstrapServers(kafka.bootstrapServers()).topic(topic).input(CLIP.toString()).maxFrames(6).build();
        long t0 = System.nanoTime();
        assertThat(run(producer)).isEqualTo(6);
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        // 10 fps: frame k is due at k * 100 ms, so the 6th frame leaves at >= 500 ms.
        assertThat(elapsedMs).isGreaterThanOrEqualTo(480);
        List<ConsumerRecord<byte[], byte[]>> records = consume(topic, 6);
        long spanMs = records.get(5).timestamp() - records.get(0).timestamp();
        assertThat(spanMs).isBetween(450L, 2_000L);
    }

    @Test
    void sendsAFolderOfImagesAsTheyAreInNameOrder() throws Exception {
        Path folder = TestFixtures.frameFolder();
        String topic = newTopic();
        VideoToKafka producer = VideoToKafka.builder()
                .bootstrapServers(kafka.bootstrapServers()).topic(topic).input(folder.toString()).cameraId("stills")
                .build();

        assertThat(run(producer)).isEqualTo(3);

        List<ConsumerRecord<byte[], byte[]>> records = consume(topic, 3);
        assertThat(records).extracting(r -> header(r, FrameHeaders.FRAME_INDEX)).containsExactly("0", "1", "2");
        assertThat(records).extracting(r -> header(r, FrameHeaders.ENCODING)).containsOnly("jpeg");
        assertThat(records).extracting(r -> header(r, FrameHeaders.WIDTH) + "x" + header(r, FrameHeaders.HEIGHT))
                .containsExactly("548x342", "768x576", "768x576");
        assertThat(records.get(0).value()).isEqualTo(Files.readAllBytes(folder.resolve("messi5.jpg")));
        assertThat(records.get(1).value()).isEqualTo(Files.readAllBytes(folder.resolve("vtest_000.jpg")));
        assertThat(records.get(2).value()).isEqualTo(Files.readAllBytes(folder.resolve("vtest_100.jpg")));
    }

    @Test
    void folderKeepsPngReencodesOtherFormatsSkipsBrokenFilesAndLoops(@TempDir Path folder) throws Exception {
        try (Mat image = new Mat(48, 64, CV_8UC3, new Scalar(40, 120, 200, 0))) {
            Files.write(folder.resolve("a.png"), encode(".png", image));
            Files.write(folder.resolve("b.jpg"), encode(".bmp", image)); // BMP inside, wrong extension
        }
        Files.write(folder.resolve("c.jpeg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
        Files.writeString(folder.resolve("notes.txt"), "not an image");
        String topic = newTopic();
        VideoToKafka producer = VideoToKafka.builder()
                .bootstrapServers(kafka.bootstrapServers()).topic(topic).input(folder.toString())
                .loop(true).maxFrames(5).build();

        assertThat(run(producer)).isEqualTo(5);
        assertThat(producer.framesSkipped()).isEqualTo(2); // c.jpeg, once per pass (passes 1 and 2)

        List<ConsumerRecord<byte[], byte[]>> records = consume(topic, 5);
        assertThat(records).extracting(r -> header(r, FrameHeaders.FRAME_INDEX))
                .containsExactly("0", "1", "2", "3", "4");
        assertThat(records).extracting(r -> header(r, FrameHeaders.ENCODING))
                .containsExactly("png", "jpeg", "png", "jpeg", "png");
        assertThat(records).extracting(r -> header(r, FrameHeaders.WIDTH) + "x" + header(r, FrameHeaders.HEIGHT))
                .containsOnly("64x48");
        byte[] reencoded = records.get(1).value();
        assertThat(reencoded[0] & 0xFF).isEqualTo(0xFF);
        assertThat(reencoded[1] & 0xFF).isEqualTo(0xD8);
        try (Mat decoded = decode(reencoded)) {
            assertThat(decoded.cols()).isEqualTo(64);
        }
    }

    @Test
    void sendFailureNamesTopicAndBroker() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        String bootstrap = "127.0.0.1:" + deadPort;
        VideoToKafka producer = VideoToKafka.builder()
                .bootstrapServers(bootstrap).topic("nowhere").input(CLIP.toString()).fps(0).maxFrames(3)
                .producerProperty("max.block.ms", "1500")
                .build();

        assertThatThrownBy(producer::run)
                .isInstanceOf(VideoToKafka.SendFailedException.class)
                .hasMessageContaining("'nowhere'")
                .hasMessageContaining(bootstrap)
                .satisfies(e -> {
                    VideoToKafka.SendFailedException f = (VideoToKafka.SendFailedException) e;
                    assertThat(f.topic()).isEqualTo("nowhere");
                    assertThat(f.bootstrapServers()).isEqualTo(bootstrap);
                });
    }

    @Test
    void asynchronousSendFailureIsRaisedWithTheBrokerHint() {
        String topic = newTopic();
        VideoToKafka producer = VideoToKafka.builder()
                .bootstrapServers(kafka.bootstrapServers()).topic(topic).input(CLIP.toString()).fps(0).maxFrames(3)
                .producerProperty("max.request.size", "10000") // a 768x576 JPEG is ~60 KB
                .build();

        assertThatThrownBy(producer::run)
                .isInstanceOf(VideoToKafka.SendFailedException.class)
                .hasCauseInstanceOf(RecordTooLargeException.class)
                .hasMessageContaining("frame 0")
                .hasMessageContaining("'" + topic + "'")
                .hasMessageContaining(kafka.bootstrapServers())
                .hasMessageContaining("max.message.bytes");
    }

    @Test
    void rejectsMissingInputsAndBadSettings() {
        VideoToKafka missing = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers())
                .input("no/such/clip.mp4").build();
        assertThatThrownBy(missing::run).isInstanceOf(IOException.class).hasMessageContaining("no/such/clip.mp4");

        assertThatThrownBy(() -> VideoToKafka.builder().input("x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrapServers");
        assertThatThrownBy(() -> VideoToKafka.builder().bootstrapServers("b:1").input("x").jpegQuality(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jpegQuality");
        assertThatThrownBy(() -> VideoToKafka.builder().bootstrapServers("b:1").input("x").fps(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fps");
        assertThatThrownBy(() -> VideoToKafka.builder().bootstrapServers("b:1").input("x").producers(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("producers must be >= 1");
        assertThatThrownBy(() -> VideoToKafka.builder().bootstrapServers("b:1").input("x")
                .producerProperty("value.serializer", "x").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value.serializer");
    }

    @Test
    void stopEndsALoopingRunCleanly() throws Exception {
        String topic = newTopic();
        VideoToKafka producer = VideoToKafka.builder()
                .bootstrapServers(kafka.bootstrapServers()).topic(topic).input(CLIP.toString()).fps(50).loop(true)
                .build();
        Thread stopper = new Thread(() -> {
            while (producer.framesSent() < 5) {
                Thread.onSpinWait();
            }
            producer.stop();
        });
        stopper.start();
        long sent = run(producer); // a looping run returns only when stopped
        stopper.join();
        // no upper bound: how many frames go out between the 5th and the stop depends on the machine's load
        assertThat(sent).isGreaterThanOrEqualTo(5L).isEqualTo(producer.framesSent());
        assertThat(consume(topic, (int) sent)).hasSize((int) sent);
    }

    @Test
    void produceCommandStreamsFramesAndReportsBadOptions() {
        String topic = newTopic();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ProduceCommand());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));

        int code = cli.execute("--bootstrap-servers", kafka.bootstrapServers(), "--topic", topic,
                "--input", CLIP.toString(), "--camera-id", "cli-cam", "--fps", "0", "--max-frames", "4",
                "--jpeg-quality", "70", "--producer-property", "linger.ms=0");

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("Sent camera 'cli-cam'")
                .contains("4 frames sent (0 skipped), 4 records acked, 0 failed").contains(topic).contains("MB/s");
        List<ConsumerRecord<byte[], byte[]>> records = consume(topic, 4);
        assertThat(records).hasSize(4)
                .allSatisfy(r -> assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("cli-cam"));

        assertThat(cli.execute("--bootstrap-servers", "b:1", "--input", "x", "--jpeg-quality", "101")).isEqualTo(2);
        assertThat(err.toString()).contains("'--jpeg-quality': must be at most 100");
        assertThat(cli.execute("--input", "x")).isEqualTo(2); // picocli: missing required option
        assertThat(cli.execute("--bootstrap-servers", kafka.bootstrapServers(), "--input", "no/such/dir/"))
                .isEqualTo(1);
    }

    @Test
    void producePropertyValuesMayContainEqualsSigns() {
        ProduceCommand command = new ProduceCommand();
        new CommandLine(command).parseArgs("--bootstrap-servers", "b:1", "--input", "x",
                "--producer-property", "security.protocol=SASL_SSL",
                "--producer-property", "sasl.jaas.config=PlainLoginModule required username=\"u\" password=\"p=q\";");
        assertThat(command.producerProperties)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "PlainLoginModule required username=\"u\" password=\"p=q\";");
        assertThat(command.topic).isEqualTo("frames");
        assertThat(command.cameraId).isEqualTo("cam-0");
        assertThat(command.fps).isNull();
        assertThat(command.jpegQuality).isEqualTo(90);
    }

    // ------------------------------------------------------------------------------------------------------------

    private static long run(VideoToKafka producer) {
        try {
            return producer.run();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String newTopic() {
        String topic = "frames-" + TOPICS.incrementAndGet();
        kafka.createTopic(topic, 1);
        return topic;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] encode(String ext, Mat image) {
        try (BytePointer out = new BytePointer()) {
            assertThat(imencode(ext, image, out)).isTrue();
            byte[] bytes = new byte[(int) out.limit()];
            out.get(bytes);
            return bytes;
        }
    }

    private static Mat decode(byte[] bytes) {
        try (BytePointer data = new BytePointer(bytes); Mat buf = new Mat(1, bytes.length, CV_8UC1, data)) {
            return imdecode(buf, IMREAD_COLOR);
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected) {
        Properties p = kafka.consumerProperties("test-" + UUID.randomUUID());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 15_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            consumer.poll(Duration.ofMillis(200)).forEach(out::add); // nothing more may arrive
        }
        return out;
    }
}

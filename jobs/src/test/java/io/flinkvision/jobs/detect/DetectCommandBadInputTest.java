package io.flinkvision.jobs.detect;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.jobs.BadFrameCorpus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code detect} reports, per file and in argument order, the same machine-readable reasons as the job's dead letters
 * ({@code error} = the {@code DeadLetterReason} code), runs the good files among the bad ones, and exits 1 when any
 * file could not be used. One run over the whole corpus (the engine opens once), then one test per file.
 */
class DetectCommandBadInputTest {
    @TempDir
    static Path dir;
    private static final Map<String, JsonNode> lines = new LinkedHashMap<>();
    private static int exitCode;
    private static int tightExitCode;
    private static final Map<String, JsonNode> tightLines = new LinkedHashMap<>();

    @BeforeAll
    static void runDetect() throws Exception {
        byte[] jpeg = TestFixtures.bytes("vtest_000.jpg");
        byte[] random = new byte[20_000];
        new Random(5).nextBytes(random);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("good.jpg", jpeg);
        files.put("zero-bytes.jpg", new byte[0]);
        files.put("truncated.jpg", Arrays.copyOf(jpeg, jpeg.length / 2));
        files.put("random.jpg", random);
        files.put("random.bin", random);
        files.put("good.png", encode(jpeg, ".png"));
        files.put("one-pixel.png", BadFrameCorpus.onePixel(".png"));
        files.put("one-pixel.jpg", BadFrameCorpus.onePixel(".jpg"));
        files.put("declares-60000x60000.jpg", BadFrameCorpus.declaring(jpeg, 60000, 60000));
        files.put("picture.gif", "GIF89a not really".getBytes(StandardCharsets.US_ASCII));
        files.put("too-big.jpg", Arrays.copyOf(jpeg, 16 * 1024 * 1024 + 1));
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
            args.add(dir.resolve(f.getKey()).toString());
        }
        args.add(dir.resolve("does-not-exist.jpg").toString());
        Files.createDirectories(dir.resolve("a-folder.jpg"));
        args.add(dir.resolve("a-folder.jpg").toString());
        exitCode = run(args, lines);
        // configured limits: the good 768x576 JPEG is over 400,000 pixels, and over 50,000 bytes
        tightExitCode = run(List.of("--max-pixels", "400000", dir.resolve("good.jpg").toString()), tightLines);
        run(List.of("--max-frame-bytes", "50000", dir.resolve("good.png").toString()), tightLines);
    }

    private static int run(List<String> args, Map<String, JsonNode> into) throws Exception {
        DetectCommand cmd = new DetectCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute(args.toArray(String[]::new));
        List<String> printed = out.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> images = args.stream().filter(a -> a.startsWith(dir.toString())).toList();
        assertThat(printed).as("one line per image").hasSize(images.size());
        for (int i = 0; i < printed.size(); i++) {
            JsonNode n = DetectionJson.mapper().readTree(printed.get(i));
            assertThat(n.get("image").asText()).as("argument order").isEqualTo(images.get(i));
            into.put(Path.of(images.get(i)).getFileName().toString(), n);
        }
        return rc;
    }

    private static void assertError(String file, String reason) {
        JsonNode n = lines.get(file);
        assertThat(n).as(file).isNotNull();
        assertThat(n.path("error").asText()).as("%s: %s", file, n).isEqualTo(reason);
        assertThat(n.path("message").asText()).isNotBlank();
        assertThat(n.has("detections")).isFalse();
    }

    @Test
    void goodJpegGivesDetections() {
        JsonNode n = lines.get("good.jpg");
        assertThat(n.has("error")).as("%s", n).isFalse();
        assertThat(n.get("detections").findValuesAsText("label")).contains("person");
    }

    @Test
    void goodPngGivesDetections() {
        JsonNode n = lines.get("good.png");
        assertThat(n.has("error")).as("%s", n).isFalse();
        assertThat(n.get("imageWidth").asInt()).isEqualTo(768);
        assertThat(n.get("detections").findValuesAsText("label")).contains("person");
    }

    @Test
    void zeroBytes() {
        assertError("zero-bytes.jpg", "empty-payload");
    }

    @Test
    void truncatedJpeg() {
        assertError("truncated.jpg", "decode-failed");
    }

    @Test
    void randomBytesNamedJpeg() {
        assertError("random.jpg", "decode-failed");
    }

    @Test
    void randomBytesOfUnknownType() {
        assertError("random.bin", "unknown-encoding");
    }

    @Test
    void onePixelImages() {
        assertError("one-pixel.png", "image-too-small");
        assertError("one-pixel.jpg", "image-too-small");
    }

    @Test
    void jpegDeclaring60000x60000() {
        assertError("declares-60000x60000.jpg", "image-too-large");
        assertThat(lines.get("declares-60000x60000.jpg").get("message").asText()).contains("60000x60000");
    }

    @Test
    void unknownEncoding() {
        assertError("picture.gif", "unknown-encoding");
    }

    @Test
    void fileOverTheMaxBytes() {
        assertError("too-big.jpg", "payload-too-large");
    }

    @Test
    void unreadableFiles() {
        assertError("does-not-exist.jpg", "file-unreadable");
        assertError("a-folder.jpg", "no-images"); // a folder stands for its images; this one has none
    }

    @Test
    void configuredLimitsAreApplied() {
        assertThat(tightLines.get("good.jpg").path("error").asText()).isEqualTo("image-too-large");
        assertThat(tightLines.get("good.png").path("error").asText()).isEqualTo("payload-too-large");
        assertThat(tightExitCode).isEqualTo(1);
    }

    @Test
    void exitCodeSaysSomeFilesFailedAndEveryFileHasALine() {
        assertThat(exitCode).isEqualTo(1);
        assertThat(lines).hasSize(13);
        long good = lines.values().stream().filter(n -> !n.has("error")).count();
        long bad = lines.values().stream().filter(n -> n.has("error")).count();
        assertThat(good).isEqualTo(2);
        assertThat(good + bad).isEqualTo(lines.size());
    }

    private static byte[] encode(byte[] jpeg, String ext) {
        try (BytePointer in = new BytePointer(jpeg); Mat buf = new Mat(1, jpeg.length, opencv_core.CV_8UC1, in);
                Mat m = opencv_imgcodecs.imdecode(buf, opencv_imgcodecs.IMREAD_COLOR);
                BytePointer out = new BytePointer()) {
            opencv_imgcodecs.imencode(ext, m, out);
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }
}

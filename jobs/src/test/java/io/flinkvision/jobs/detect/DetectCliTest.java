package io.flinkvision.jobs.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.jobs.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code detect} as a shell sees it, each run in a JVM of its own ({@link ChildJvm}), on real images with the real
 * model: stdout holds JSON lines only (every log line on stderr), so {@code detect IMG | jq .} works; folders and
 * {@code -} (paths on stdin) are accepted; the exit code tells all-ok (0), some images failed (1), usage error (2) and
 * engine/model could not open (3); a usage error is one line on stderr.
 */
class DetectCliTest {
    private static final Path GOLDEN = Path.of("../operators/src/main/resources/flinkvision/golden").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    /** Every stdout line parsed as a JSON object; fails (showing the whole run) on a line that is not one. */
    private static List<JsonNode> jsonLines(ChildJvm.Result r) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : r.stdoutLines()) {
            try {
                JsonNode n = DetectionJson.mapper().readTree(line);
                assertThat(n.isObject()).as("stdout line %s is a JSON object%n%s", line, r).isTrue();
                lines.add(n);
            } catch (Exception e) {
                fail("stdout line is not JSON: '" + line + "'\n" + r, e);
            }
        }
        return lines;
    }

    private static List<String> images(List<JsonNode> lines) {
        return lines.stream().map(n -> Path.of(n.get("image").asText()).getFileName().toString()).toList();
    }

    @Test
    void stdoutIsJsonOnlyAndTheLogsGoToStderr() throws Exception {
        ChildJvm.Result r = ChildJvm.run(tmp, null, "detect", GOLDEN.resolve("messi5.jpg").toString());
        assertThat(r.exitCode()).as("%s", r).isZero();
        List<JsonNode> lines = jsonLines(r);
        assertThat(lines).as("%s", r).hasSize(1);
        assertThat(lines.get(0).has("error")).as("%s", r).isFalse();
        assertThat(lines.get(0).get("imageWidth").asInt()).isEqualTo(548);
        assertThat(lines.get(0).get("detections").findValuesAsText("label")).contains("person", "sports ball");
        // the engine's INFO log line, which used to come before the JSON on stdout, is on stderr
        assertThat(r.stderr()).as("%s", r).contains("ONNX Runtime engine open");
    }

    @Test
    void aFolderStandsForItsImagesSortedByNameAndNotesWhatItSkips() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("frames"));
        Files.copy(GOLDEN.resolve("vtest_200.jpg"), folder.resolve("c.jpeg"));
        Files.copy(GOLDEN.resolve("vtest_000.jpg"), folder.resolve("A.JPG"));
        Files.copy(GOLDEN.resolve("vtest_100.jpg"), folder.resolve("b.jpg"));
        Files.writeString(folder.resolve("notes.txt"), "not an image");
        Files.copy(GOLDEN.resolve("fruits.jpg"), folder.resolve(".hidden.jpg"));
        Files.copy(GOLDEN.resolve("fruits.jpg"), Files.createDirectories(folder.resolve("sub")).resolve("d.jpg"));

        ChildJvm.Result r = ChildJvm.run(tmp, null, "detect", folder.toString());

        assertThat(r.exitCode()).as("%s", r).isZero();
        List<JsonNode> lines = jsonLines(r);
        assertThat(images(lines)).as("%s", r).containsExactly("A.JPG", "b.jpg", "c.jpeg");
        assertThat(lines).allSatisfy(n -> assertThat(n.get("detections").findValuesAsText("label")).contains("person"));
        assertThat(r.stderrLines()).as("%s", r).filteredOn(l -> l.contains("skipped"))
                .containsExactly("detect: " + folder + ": skipped 3 entries that are not .jpg/.jpeg/.png files:"
                        + " .hidden.jpg, notes.txt, sub/");
    }

    @Test
    void dashReadsImagePathsFromStdin() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("more"));
        Files.copy(GOLDEN.resolve("vtest_000.jpg"), folder.resolve("x.jpg"));
        String stdin = GOLDEN.resolve("messi5.jpg") + "\n\n" + folder + "\r\n" + GOLDEN.resolve("fruits.jpg") + "\n";

        ChildJvm.Result r = ChildJvm.run(tmp, stdin, "detect", "-");

        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(images(jsonLines(r))).as("%s", r).containsExactly("messi5.jpg", "x.jpg", "fruits.jpg");
    }

    @Test
    void someImagesFailedIsExitCode1WithAnErrorLineEach() throws Exception {
        byte[] jpeg = Files.readAllBytes(GOLDEN.resolve("vtest_000.jpg"));
        Path corrupt = Files.write(tmp.resolve("corrupt.jpg"), Arrays.copyOf(jpeg, 300));
        Path empty = Files.createDirectories(tmp.resolve("empty"));

        ChildJvm.Result r = ChildJvm.run(tmp, null, "detect", GOLDEN.resolve("messi5.jpg").toString(),
                corrupt.toString(), empty.toString(), tmp.resolve("missing.jpg").toString());

        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        List<JsonNode> lines = jsonLines(r);
        assertThat(images(lines)).containsExactly("messi5.jpg", "corrupt.jpg", "empty", "missing.jpg");
        assertThat(lines.get(0).has("error")).isFalse();
        assertThat(lines.stream().skip(1).map(n -> n.path("error").asText()))
                .containsExactly("decode-failed", "no-images", "file-unreadable");
    }

    @Test
    void aModelThatCannotOpenIsExitCode3AndOneLine() throws Exception {
        ChildJvm.Result r = ChildJvm.run(tmp, null, "detect", "--model", tmp.resolve("no-such-model.onnx").toString(),
                GOLDEN.resolve("messi5.jpg").toString());
        assertThat(r.exitCode()).as("%s", r).isEqualTo(3);
        assertThat(r.stdout()).as("no JSON when nothing ran").isEmpty();
        assertThat(r.stderrLines()).as("%s", r).filteredOn(l -> l.startsWith("detect: cannot open"))
                .singleElement().asString().contains("no-such-model.onnx");
        assertThat(r.stderr()).as("no stack trace").doesNotContain("\tat ");

        Path broken = Files.writeString(tmp.resolve("broken.onnx"), "not an ONNX model");
        ChildJvm.Result b = ChildJvm.run(tmp, null, "detect", "--model", broken.toString(),
                GOLDEN.resolve("messi5.jpg").toString());
        assertThat(b.exitCode()).as("%s", b).isEqualTo(3);
        assertThat(b.stdout()).isEmpty();
        assertThat(b.stderrLines()).as("%s", b).filteredOn(l -> l.startsWith("detect: cannot open"))
                .singleElement().asString().contains("cannot open the auto engine", "broken.onnx",
                        "ONNX Runtime cannot load model");
        assertThat(b.stderr()).as("no stack trace").doesNotContain("\tat ");
    }

    @Test
    void aBadOptionValueIsExitCode2AndOneStderrLine() throws Exception {
        ChildJvm.Result r = ChildJvm.run(tmp, null, "detect", "--backend", "foo",
                GOLDEN.resolve("messi5.jpg").toString());
        assertThat(r.exitCode()).as("%s", r).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderrLines()).as("%s", r).containsExactly("detect: Invalid value for option '--backend':"
                + " unknown backend 'foo': expected onnxruntime, tensorrt or auto (see 'video-inference detect"
                + " --help')");
    }
}

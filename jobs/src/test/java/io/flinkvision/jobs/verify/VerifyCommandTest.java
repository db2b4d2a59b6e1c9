package io.flinkvision.jobs.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.testing.OnnxWeights;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code verify} on the real model and real frames of the shipped clip, with ONNX Runtime as both the reference and
 * the engine under test (no GPU here): against itself it passes with zero error; against copies of the model with
 * weights deliberately changed ({@link OnnxWeights}) it fails, on the tensor check for one changed bias and on the
 * detection agreement for weakened objectness.
 */
class VerifyCommandTest {
    private static final String CLIP = "../data/vtest.avi";

    @TempDir
    Path dir;

    private record Run(int exitCode, String stdout, String stderr, JsonNode report) {}

    private Run verify(String... args) throws Exception {
        VerifyCommand cmd = new VerifyCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        Path report = dir.resolve("report-" + System.nanoTime() + ".json");
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(List.of("--report", report.toString()));
        int rc = new CommandLine(cmd).execute(all.toArray(String[]::new));
        JsonNode json = Files.exists(report) ? DetectionJson.mapper().readTree(report.toFile()) : null;
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), json);
    }

    /** A copy of the bundled model with {@code edit} applied to its weights, written to the temp folder. */
    private Path perturbedModel(String name, java.util.function.Consumer<byte[]> edit) throws Exception {
        byte[] model = ModelSource.load(EngineSpec.BUNDLED_MODEL).bytes().clone();
        edit.accept(model);
        Path p = dir.resolve(name);
        Files.write(p, model);
        return p;
    }

    @Test
    void onnxRuntimeAgainstItselfPassesWithZeroError() throws Exception {
        Run r = verify("--backend", "onnxruntime", "--video", CLIP, "--frames", "4", "--batch-size", "2");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).contains("verify: PASS").contains("output tensor [4, 3549, 85]");
        JsonNode rep = r.report().get("report");
        assertThat(r.report().get("verdict").asText()).isEqualTo("pass");
        JsonNode t = rep.get("tensor");
        assertThat(t.get("elements").asLong()).isEqualTo(4L * 3549 * 85);
        assertThat(t.get("within").asLong()).isEqualTo(t.get("elements").asLong());
        assertThat(t.get("maxAbsError").asDouble()).isZero();
        assertThat(t.get("worst")).isEmpty();
        JsonNode all = rep.get("detections").get("all");
        assertThat(all.get("reference").asLong()).as("the street clip has detections").isGreaterThan(4);
        assertThat(all.get("matched90").asLong()).isEqualTo(all.get("reference").asLong());
        assertThat(all.get("agreement").asDouble()).isEqualTo(1.0);
        assertThat(rep.get("images")).hasSize(4);
        assertThat(rep.get("images").get(1).get("source").asText()).isEqualTo("vtest.avi#10"); // --frame-step 10
    }

    @Test
    void oneChangedBiasFailsTheTensorCheckAtStride8ObjectnessOnly() throws Exception {
        // the objectness logit of every stride-8 anchor moves by 0.01: sigmoid outputs change by ~1% of (1 - p)
        Path model = perturbedModel("obj0-bias.onnx", m -> OnnxWeights.change(m,
                OnnxWeights.named(m, "head.obj_preds.0.bias"), 0, 1f, 0.01f));
        Run r = verify("--backend", "onnxruntime", "--model", model.toString(), "--reference-model",
                EngineSpec.BUNDLED_MODEL, "--video", CLIP, "--frames", "4");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(VerifyCommand.EXIT_FAILED);
        assertThat(r.stdout()).contains("verify: FAIL").contains("output elements outside");
        JsonNode t = r.report().get("report").get("tensor");
        long outside = t.get("elements").asLong() - t.get("within").asLong();
        assertThat(outside).as("stride-8 objectness values off").isPositive()
                .isLessThanOrEqualTo(4L * 52 * 52); // at most one element per stride-8 anchor and image
        assertThat(t.get("fields").get(0).get("within").asLong()).as("box untouched")
                .isEqualTo(t.get("fields").get(0).get("elements").asLong());
        assertThat(t.get("fields").get(2).get("within").asLong()).as("classes untouched")
                .isEqualTo(t.get("fields").get(2).get("elements").asLong());
        JsonNode worst = t.get("worst").get(0);
        assertThat(worst.get("fieldName").asText()).isEqualTo("objectness");
        assertThat(worst.get("stride").asInt()).isEqualTo(8);
        assertThat(worst.get("anchor").asInt()).isLessThan(52 * 52);
        assertThat(worst.get("within").asBoolean()).isFalse();
        // detections barely move: the raw tensor check is the stricter one
        assertThat(r.report().get("report").get("detections").get("agreement").asDouble()).isGreaterThan(0.9);
    }

    @Test
    void weakenedObjectnessFailsTheDetectionAgreement() throws Exception {
        Path model = perturbedModel("obj-weak.onnx", m -> OnnxWeights.shiftObjectness(m, -5f));
        Run r = verify("--backend", "onnxruntime", "--model", model.toString(), "--reference-model",
                EngineSpec.BUNDLED_MODEL, "--video", CLIP, "--frames", "4", "--rtol", "1", "--atol", "1");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(VerifyCommand.EXIT_FAILED);
        assertThat(r.stdout()).contains("detection agreement at IoU >= 0.9 is");
        JsonNode rep = r.report().get("report");
        assertThat(rep.get("tensor").get("within").asLong()).as("rtol/atol 1 let every element pass")
                .isEqualTo(rep.get("tensor").get("elements").asLong());
        JsonNode all = rep.get("detections").get("all");
        assertThat(all.get("agreement").asDouble()).isLessThan(0.9);
        assertThat(all.get("missed").asLong()).isPositive();
        assertThat(r.report().get("failures")).hasSize(1);
    }

    @Test
    void usageErrorsExit2AndAnEngineThatCannotOpenExits3() throws Exception {
        assertThat(verify("--backend", "onnxruntime", "--video", CLIP, "--images", dir.toString()).exitCode())
                .isEqualTo(VerifyCommand.EXIT_USAGE);
        assertThat(verify("--precision", "fp64").exitCode()).isEqualTo(VerifyCommand.EXIT_USAGE);
        assertThat(verify("--backend", "onnxruntime", "--images", dir.toString()).stderr())
                .contains("no .jpg/.jpeg/.png image");
        Run missing = verify("--backend", "onnxruntime", "--video", CLIP, "--frames", "1", "--model",
                dir.resolve("missing.onnx").toString());
        assertThat(missing.exitCode()).isEqualTo(VerifyCommand.EXIT_ENGINE);
        assertThat(missing.stderr()).contains("cannot open the").contains("missing.onnx");
        assertThat(missing.report()).isNull();
    }
}

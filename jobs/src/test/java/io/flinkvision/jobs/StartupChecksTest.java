package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Broken configuration fails fast at start-up, with one line naming the setting to fix and exit code 2, before
 * anything is submitted: a missing, empty or corrupt model file, models whose input is not {@code [batch,3,H,W]}
 * float32 (hand-encoded ONNX files, see {@link TinyOnnx}) or whose output is not {@code [batch,rows,columns]}, a
 * missing Kafka topic (against a real in-process broker) and an unreachable broker.
 */
class StartupChecksTest {
    private static final String MODEL_SETTING = "--model / inference.model.path";
    private static EmbeddedKafka kafka;
    @TempDir
    Path dir;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
        kafka.createTopic("sc-frames", 1);
        kafka.createTopic("sc-detections", 1);
        kafka.createTopic("sc-dlq", 1);
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    /** Exit code and what the command printed to its error stream. */
    private record Result(int rc, String err) {
        /** The single line printed, after checking there is exactly one. */
        String line() {
            assertThat(err.lines().count()).as("lines printed: %s", err).isEqualTo(1);
            return err.strip();
        }
    }

    private static Result job(String... args) {
        JobCommand cmd = new JobCommand();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute(args);
        String printed = err.toString(StandardCharsets.UTF_8);
        System.out.printf("startup check: exit %d: %s", rc, printed); // the message a user sees, in the test log
        return new Result(rc, printed);
    }

    private Result jobWithModel(Path model) {
        return job("--bootstrap-servers", kafka.bootstrapServers(), "--frames-topic", "sc-frames",
                "--detections-topic", "sc-detections", "--dead-letter-topic", "sc-dlq", "--model", model.toString());
    }

    private Path write(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    // ---- model -----------------------------------------------------------------------------------------------------

    @Test
    void missingModelFile() {
        Path missing = dir.resolve("no-such-model.onnx");
        Result r = jobWithModel(missing);
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).startsWith("job: model check failed").contains(missing.toString())
                .contains("does not exist").contains(MODEL_SETTING);
    }

    @Test
    void emptyModelFile() throws Exception {
        Result r = jobWithModel(write("empty.onnx", new byte[0]));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("is empty").contains(MODEL_SETTING);
    }

    @Test
    void corruptModelFile() throws Exception {
        byte[] garbage = new byte[10_000];
        new Random(3).nextBytes(garbage);
        Result r = jobWithModel(write("garbage.onnx", garbage));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("ONNX Runtime cannot load model").contains("garbage.onnx").contains(MODEL_SETTING);
    }

    @Test
    void truncatedRealModel() throws Exception {
        byte[] real;
        try (InputStream in = EngineSpec.class.getResourceAsStream("/models/yolox_nano_dyn.onnx")) {
            real = in.readAllBytes();
        }
        Result r = jobWithModel(write("truncated.onnx", Arrays.copyOf(real, real.length / 2)));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("ONNX Runtime cannot load model").contains(MODEL_SETTING);
    }

    @Test
    void modelWithOneChannelInput() throws Exception {
        Result r = jobWithModel(write("gray.onnx", TinyOnnx.identity("batch", 1, 416, 416)));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("input 'x' is FLOAT[-1, 1, 416, 416]").contains("expected float32 [batch,3,H,W]")
                .contains("inference.model.path");
    }

    @Test
    void modelWithRankTwoInput() throws Exception {
        Result r = jobWithModel(write("flat.onnx", TinyOnnx.identity("batch", 519168)));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("FLOAT[-1, 519168]").contains("expected float32 [batch,3,H,W]")
                .contains("inference.model.path");
    }

    @Test
    void modelWithDynamicHeightAndWidth() throws Exception {
        Result r = jobWithModel(write("dynamic-hw.onnx", TinyOnnx.identity("batch", 3, "height", "width")));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("FLOAT[-1, 3, -1, -1]").contains("with fixed H and W")
                .contains("inference.model.path");
    }

    @Test
    void modelWithUint8Input() throws Exception {
        Result r = jobWithModel(write("uint8.onnx", TinyOnnx.identityOfType(TinyOnnx.UINT8, "batch", 3, 416, 416)));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("UINT8[-1, 3, 416, 416]").contains("expected float32 [batch,3,H,W]");
    }

    @Test
    void modelWithAnImageAsOutput() throws Exception {
        // the input is right, the output is not [batch, rows, 5 + classes]
        Result r = jobWithModel(write("image-out.onnx", TinyOnnx.identity("batch", 3, 416, 416)));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("output is FLOAT[-1, 3, 416, 416]")
                .contains("expected float32 [batch,rows,columns]").contains("inference.model.path");
    }

    @Test
    void bundledModelPassesTheCheck() {
        EngineInfo info = ModelPreflight.check(new Configuration());
        assertThat(info.modelName()).isEqualTo("yolox_nano_dyn.onnx");
        assertThat(info.inputHeight()).isEqualTo(416);
        assertThat(info.numClasses()).isEqualTo(80);
    }

    @Test
    void modelCheckCanBeSkippedForModelsOnlyOnTheTaskManagers() {
        Result r = job("--bootstrap-servers", kafka.bootstrapServers(), "--frames-topic", "no-such-topic",
                "--model", dir.resolve("only-on-the-taskmanagers.onnx").toString(), "--skip-model-check");
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).doesNotContain("model").contains("'no-such-topic' (--frames-topic)");
    }

    @Test
    void modelPathGivenAsInferenceOption() {
        Result r = job("--bootstrap-servers", kafka.bootstrapServers(), "-D",
                InferenceOptions.MODEL_PATH.key() + "=" + dir.resolve("x.onnx"));
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("x.onnx").contains(MODEL_SETTING);
    }

    // ---- Kafka -----------------------------------------------------------------------------------------------------

    @Test
    void missingTopics() {
        Result r = job("--bootstrap-servers", kafka.bootstrapServers(), "--frames-topic", "sc-frames",
                "--detections-topic", "sc-detections-typo", "--dead-letter-topic", "sc-dlq-typo");
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.line()).contains("'sc-detections-typo' (--detections-topic)")
                .contains("'sc-dlq-typo' (--dead-letter-topic)").doesNotContain("'sc-frames'")
                .contains(kafka.bootstrapServers());
    }

    @Test
    void unreachableBroker() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        String bootstrap = "127.0.0.1:" + port;
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> KafkaPreflight.check(bootstrap, Map.of(), Map.of("frames", "--frames-topic"), 2000))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot reach Kafka at '" + bootstrap + "' within 2000 ms")
                .hasMessageContaining("check --bootstrap-servers");
        // bounded by its own 2 s, not by the Kafka client's 60 s default (a generous bound: the machine may be loaded)
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the check gave up").isLessThan(30_000);
    }
}

package io.flinkvision.jobs.demo;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.jobs.VideoInferenceCli;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees on a first run: the demo (embedded Kafka, its own MiniCluster, the real ONNX Runtime engine, real
 * frames) prints its engines' state on the console and waits for them; an engine that cannot open, or a TaskManager
 * that cannot start, ends the demo at once with the cause and exit code 1, and its report says {@code "status" :
 * "failed"} with the cause (not a report of zeros that reads like a result).
 */
class DemoFirstRunITCase {
    private static final Path IMAGES = TestFixtures.frameFolder();

    @TempDir
    Path tmp;

    /** Exit code and console of one demo run. */
    private record Run(int exit, String console) {}

    /** Runs the demo in this JVM on the three test images. */
    private Run demo(String... extra) {
        List<String> args = new ArrayList<>(List.of("demo", "--input", IMAGES.toString(), "--fps", "0",
                "--report", tmp.resolve("report.json").toString()));
        args.addAll(List.of(extra));
        PrintStream original = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new Tee(buf, original), true, StandardCharsets.UTF_8));
        try {
            int exit = VideoInferenceCli.commandLine().execute(args.toArray(String[]::new));
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(original);
        }
    }

    @Test
    void printsTheEngineStateAndProcessesEveryFrame() throws Exception {
        Run r = demo();
        assertThat(r.console()).contains("demo: engine of subtask 1/1: ready, onnxruntime fp32 on cpu");
        assertThat(r.exit()).as(r.console()).isZero();
        assertThat(Files.readString(tmp.resolve("report.json"))).contains("\"balanced\" : true")
                .contains("\"framesIn\" : 3").contains("\"status\" : \"passed\"").doesNotContain("\"cause\"");
    }

    @Test
    void anEngineThatCannotOpenEndsTheDemoWithTheCause() throws Exception {
        Path bad = Files.writeString(tmp.resolve("broken-model.onnx"), "not an ONNX model");
        Run r = demo("-D", "inference.model.path=" + bad);
        assertThat(r.exit()).as(r.console()).isEqualTo(1);
        assertThat(r.console()).contains("demo: FAILED: the inference engine failed to open: engine of subtask 1/1:"
                + " FAILED: ").contains("broken-model.onnx").contains("(status failed)");
        assertThat(Files.readString(tmp.resolve("report.json"))).contains("\"status\" : \"failed\"")
                .contains("\"cause\" : \"the inference engine failed to open: ").contains("broken-model.onnx");
    }

    /**
     * The user's case: a JRE without {@code java.management.rmi} (here: this JDK with that module left out), where
     * Flink's TaskExecutor throws {@code NoClassDefFoundError: javax/management/remote/rmi/RMIServerImpl} and never
     * registers. The TaskManager bound is set far above this test's hang guard, so the demo must end on the cause,
     * not on the bound.
     */
    @Test
    void aTaskManagerThatCannotStartEndsTheDemoWithTheCause() throws Exception {
        // every system module but java.management.rmi and those that need it
        String modules = ModuleLayer.boot().modules().stream().map(Module::getName)
                .filter(m -> !m.equals("java.management.rmi") && !m.equals("java.se")
                        && !m.equals("jdk.management.agent") && !m.equals("jdk.jconsole"))
                .sorted().collect(Collectors.joining(","));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--limit-modules", modules, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                VideoInferenceCli.class.getName(), "demo", "--input", IMAGES.toString(), "--fps", "0",
                "--taskmanager-timeout-s", "3600", "--report", tmp.resolve("report.json").toString());
        File log = tmp.resolve("child.log").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).directory(tmp.toFile())
                .start();
        boolean ended = p.waitFor(600, TimeUnit.SECONDS); // hang guard only, far below the 3600 s bound
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String console = Files.readString(log.toPath());
        assertThat(ended).as("the demo ended on the cause; console:%n%s", console).isTrue();
        assertThat(p.exitValue()).as(console).isEqualTo(1);
        assertThat(console).contains("demo: FAILED: the MiniCluster's TaskManager cannot start")
                .contains("javax/management/remote/rmi/RMIServerImpl").contains("(status failed)");
        assertThat(Files.readString(tmp.resolve("report.json"))).contains("\"status\" : \"failed\"")
                .contains("RMIServerImpl");
    }

    /** Copies the console to a buffer and on to the real stdout (the build log keeps it). */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}

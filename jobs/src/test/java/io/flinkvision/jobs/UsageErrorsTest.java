package io.flinkvision.jobs;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every user error of {@code detect}, {@code demo}, {@code benchmark}, {@code produce} and {@code job} is one line on
 * stderr naming what to fix, no stack trace, exit code 2, and nothing started: bad option values (converters), and
 * the commands' own checks before they start (the demo's input and {@code inference.*} values, the benchmark's frames
 * source). Runs the real command line ({@link VideoInferenceCli#commandLine()}) in this JVM, stdout and stderr
 * captured.
 */
class UsageErrorsTest {
    private static final String IMAGE = TestFixtures.frameFolder().resolve("vtest_000.jpg").toString();

    @TempDir
    static Path tmp;

    /** Exit code, stdout and stderr of one run. */
    private record Run(int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int rc = VideoInferenceCli.commandLine().execute(args);
            return new Run(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static Stream<Arguments> badValues() {
        String report = tmp.resolve("report.json").toString();
        List<Arguments> a = new ArrayList<>();
        // detect
        a.add(Arguments.of(List.of("detect", "--backend", "foo", IMAGE), "unknown backend 'foo'"));
        a.add(Arguments.of(List.of("detect", "--precision", "fp8", IMAGE), "unknown precision 'fp8'"));
        a.add(Arguments.of(List.of("detect", "--score-threshold", "2", IMAGE), "must be between 0 and 1, got '2'"));
        a.add(Arguments.of(List.of("detect", "--nms-iou-threshold", "-0.1", IMAGE), "must be between 0 and 1"));
        a.add(Arguments.of(List.of("detect", "--batch-size", "0", IMAGE), "must be at least 1, got '0'"));
        a.add(Arguments.of(List.of("detect", "--batch-size", "many", IMAGE), "must be a whole number, got 'many'"));
        a.add(Arguments.of(List.of("detect", "--max-pixels", "-5", IMAGE), "'--max-pixels': must be at least 1"));
        a.add(Arguments.of(List.of("detect"), "Missing required parameter: 'IMAGE'"));
        a.add(Arguments.of(List.of("detect", "-", "-"), "'-' (read paths from stdin) may be given once"));
        a.add(Arguments.of(List.of("detect", "--scor-threshold", "0.5", IMAGE), "Unknown option"));
        // demo: option values, then the checks made before Kafka and Flink start
        a.add(Arguments.of(List.of("demo", "--backend", "bogus", "--report", report), "unknown backend 'bogus'"));
        a.add(Arguments.of(List.of("demo", "--batch-size", "0", "--report", report), "'--batch-size': must be at"));
        a.add(Arguments.of(List.of("demo", "--fps", "-1", "--report", report), "'--fps': must be at least 0"));
        a.add(Arguments.of(List.of("demo", "--linger-s", "-1", "--report", report), "'--linger-s': must be at least"));
        a.add(Arguments.of(List.of("demo", "--dashboard-port", "70000", "--report", report), "must be at most 65535"));
        a.add(Arguments.of(List.of("demo", "--profile", "fast", "--report", report), "unknown profile 'fast'"));
        a.add(Arguments.of(List.of("demo", "-D", "inference.batch.max-size=abc", "--report", report),
                "invalid inference option"));
        a.add(Arguments.of(List.of("demo", "--checkpoint-interval-ms", "5", "--report", report),
                "--checkpoint-interval-ms must be >= 10"));
        a.add(Arguments.of(List.of("demo", "-D", "inference.model.path=" + tmp.resolve("none.onnx"), "--report",
                report), "model file '" + tmp.resolve("none.onnx") + "' not found"));
        a.add(Arguments.of(List.of("demo", "--input", "/nonexistent.avi", "--report", report),
                "--input: input '/nonexistent.avi' is neither a file, a folder nor a URL"));
        a.add(Arguments.of(List.of("demo", "--input", tmp.toString(), "--report", report),
                "--input: folder '" + tmp + "' holds no"));
        a.add(Arguments.of(List.of("demo", "--report", tmp.toString()), "is a folder"));
        // benchmark
        a.add(Arguments.of(List.of("benchmark", "--backend", "foo"), "unknown backend 'foo'"));
        a.add(Arguments.of(List.of("benchmark", "--batch", "0"), "'--batch': must be at least 1"));
        a.add(Arguments.of(List.of("benchmark", "--latency-seconds", "0"), "'--latency-seconds': must be above 0"));
        a.add(Arguments.of(List.of("benchmark", "--letterbox", "sideways"), "'--letterbox': 'sideways', expected"
                + " one of [cpu, gpu, auto, hybrid]"));
        a.add(Arguments.of(List.of("benchmark", "--jpeg-decode", "fpga"), "'--jpeg-decode': 'fpga'"));
        a.add(Arguments.of(List.of("benchmark", "--video", "/nonexistent.avi"), "--video '/nonexistent.avi' is not"
                + " a file"));
        a.add(Arguments.of(List.of("benchmark", "--images", "/nonexistent"), "--images '/nonexistent' is not a"
                + " folder"));
        a.add(Arguments.of(List.of("benchmark", "--opencv-threads", "-2"), "--opencv-threads must be -1"));
        // produce
        String[] produce = {"produce", "--bootstrap-servers", "127.0.0.1:9", "--input", IMAGE};
        a.add(Arguments.of(with(produce, "--jpeg-quality", "0"), "'--jpeg-quality': must be at least 1"));
        a.add(Arguments.of(with(produce, "--cameras", "0"), "'--cameras': must be at least 1"));
        a.add(Arguments.of(with(produce, "--fps", "-2"), "'--fps': must be at least 0"));
        a.add(Arguments.of(with(produce, "--partitioning", "ROUND"), "'--partitioning'"));
        a.add(Arguments.of(List.of("produce", "--input", IMAGE), "Missing required option: '--bootstrap-servers"));
        // job
        String[] job = {"job", "--bootstrap-servers", "127.0.0.1:9", "--skip-topic-check", "--skip-model-check"};
        a.add(Arguments.of(with(job, "--batch-size", "0"), "'--batch-size': must be at least 1"));
        a.add(Arguments.of(with(job, "--backend", "foo"), "unknown backend 'foo'"));
        a.add(Arguments.of(with(job, "--capacity", "-1"), "'--capacity': must be at least 1"));
        a.add(Arguments.of(with(job, "--start-from", "SOMETIME"), "'--start-from'"));
        a.add(Arguments.of(with(job, "-D", "inference.batch.max-size=abc"), "invalid inference option"));
        a.add(Arguments.of(with(job, "--profile", "fast"), "unknown profile 'fast'"));
        return a.stream();
    }

    private static List<String> with(String[] base, String... more) {
        List<String> l = new ArrayList<>(List.of(base));
        l.addAll(List.of(more));
        return l;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void isOneLineAndExitCode2(List<String> args, String expected) {
        Run r = run(args.toArray(String[]::new));
        assertThat(r.exit()).as("%s", r).isEqualTo(2);
        assertThat(r.errLines()).as("%s", r).singleElement().asString().contains(expected)
                .startsWith(args.get(0) + ": ");
        assertThat(r.err()).as("no stack trace").doesNotContain("\tat ");
        assertThat(r.out()).as("nothing started: %s", r).doesNotContain("starting embedded Kafka");
    }

    @Test
    void aDemoThatCannotStartLeavesAGoodReportAlone() throws Exception {
        Path report = Files.writeString(tmp.resolve("good-report.json"), "{\"status\" : \"passed\"}");
        Run r = run("demo", "--input", "/nonexistent.avi", "--report", report.toString());
        assertThat(r.exit()).as("%s", r).isEqualTo(2);
        assertThat(report).hasContent("{\"status\" : \"passed\"}");
    }
}

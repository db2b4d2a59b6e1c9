package io.flinkvision.jobs;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real command line, {@code java -cp <this test classpath> io.flinkvision.jobs.VideoInferenceCli ARGS}, in a
 * JVM of its own, and captures its stdout, stderr and exit code apart: what a user's shell sees (log lines that land
 * on stdout, picocli warnings printed while the help is formatted, the exit status).
 */
public final class ChildJvm {
    /** Hang guard of one run: far above what a run takes on a loaded machine. */
    public static final Duration TIMEOUT = Duration.ofMinutes(5);

    private ChildJvm() {}

    /**
     * What one run printed and returned.
     *
     * @param exitCode the process exit status
     * @param stdout everything written to stdout, UTF-8
     * @param stderr everything written to stderr, UTF-8
     */
    public record Result(int exitCode, String stdout, String stderr) {
        /** Stdout's lines. */
        public List<String> stdoutLines() {
            return stdout.lines().toList();
        }

        /** Stderr's lines. */
        public List<String> stderrLines() {
            return stderr.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout:\n" + stdout + "--- stderr:\n" + stderr;
        }
    }

    /**
     * Runs the CLI with {@code args} in {@code workDir}, {@code stdin} (or nothing) on its standard input.
     *
     * @throws AssertionError when it did not end within {@link #TIMEOUT} (it is killed; the output so far is shown)
     */
    public static Result run(Path workDir, String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), VideoInferenceCli.class.getName()));
        cmd.addAll(List.of(args));
        Path dir = Files.createTempDirectory(workDir, "child-jvm-");
        File out = dir.resolve("stdout").toFile();
        File err = dir.resolve("stderr").toFile();
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectOutput(out).redirectError(err)
                .start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        boolean ended = p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        Result r = new Result(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
        if (!ended) {
            throw new AssertionError("the CLI did not end within " + TIMEOUT + ": " + String.join(" ", args) + "\n" + r);
        }
        return r;
    }
}

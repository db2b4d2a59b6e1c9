package io.flinkvision.jobs.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Prometheus alert rules ({@code docker/prometheus/alerts.yml}) with Prometheus' own tool: {@code promtool check
 * rules} and {@code promtool test rules docker/prometheus/alerts-test.yml}, whose second test replays the recorded
 * series of a poison-record restart loop (restart alert fires, input-stalled alert fires, the checkpoint alert ignores
 * start-up declines and fires on sustained failures).
 *
 * <p>Skipped (with the reason) when {@code promtool} is not on the PATH (Debian package {@code prometheus}, see
 * {@code .ci/install-promtool.sh}); {@code FLINKVISION_PROMTOOL} may name it instead.
 */
class AlertRulesTest {
    private static final Path PROMETHEUS_DIR = Path.of("..", "docker", "prometheus");
    private static Path promtool;

    @BeforeAll
    static void findPromtool() {
        String env = System.getenv("FLINKVISION_PROMTOOL");
        if (env != null && Files.isExecutable(Path.of(env))) {
            promtool = Path.of(env);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "promtool");
            if (promtool == null && Files.isExecutable(p)) {
                promtool = p;
            }
        }
        Assumptions.assumeTrue(promtool != null,
                "promtool not found on the PATH (apt-get install prometheus, or .ci/install-promtool.sh)");
    }

    @Test
    void rulesAreValid() throws Exception {
        assertThat(run("check", "rules", "alerts.yml")).contains("SUCCESS");
    }

    @Test
    void rulesTestOnTheRecordedRestartLoopPasses() throws Exception {
        assertThat(run("test", "rules", "alerts-test.yml")).contains("SUCCESS");
    }

    /** Runs promtool in docker/prometheus; fails with its output unless it exits 0. */
    private static String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(promtool.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(PROMETHEUS_DIR.toFile()).redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("promtool ended").isTrue();
        assertThat(p.exitValue()).as("promtool %s:%n%s", String.join(" ", args), out).isZero();
        return out;
    }
}

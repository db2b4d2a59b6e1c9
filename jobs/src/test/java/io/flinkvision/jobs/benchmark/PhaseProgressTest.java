package io.flinkvision.jobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PhaseProgress}: a start and an end line per phase, and "running" lines while a long phase runs. */
class PhaseProgressTest {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

    private synchronized List<String> lines() {
        return buf.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void startAndEndLinesAndTheResult() throws Exception {
        try (PhaseProgress p = new PhaseProgress(out, "benchmark: ", 60)) {
            assertThat(p.phase("engine-only", "4 batches of 2", () -> 42)).isEqualTo(42);
            assertThatThrownBy(() -> p.run("serialized", null, () -> {
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
        }
        assertThat(lines()).hasSize(4);
        assertThat(lines().get(0)).isEqualTo("benchmark: engine-only: 4 batches of 2 ...");
        assertThat(lines().get(1)).matches("benchmark: engine-only: done in [0-9]+\\.[0-9] s");
        assertThat(lines().get(2)).isEqualTo("benchmark: serialized ...");
        assertThat(lines().get(3)).matches("benchmark: serialized: failed in [0-9]+\\.[0-9] s");
    }

    @Test
    void aLongPhasePrintsRunningLines() throws Exception {
        try (PhaseProgress p = new PhaseProgress(out, "benchmark: ", 1)) {
            p.run("engine-only", null, () -> {
                long deadline = System.nanoTime() + 120_000_000_000L; // hang guard; ends on the first running line
                while (lines().stream().noneMatch(l -> l.contains("running")) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            });
        }
        assertThat(lines()).anySatisfy(l -> assertThat(l).matches("benchmark: engine-only: running, [0-9]+ s"));
        assertThat(lines().get(lines().size() - 1)).startsWith("benchmark: engine-only: done in");
    }
}

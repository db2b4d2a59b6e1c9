package io.flinkvision.jobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.jobs.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code benchmark} from a directory without {@code data/vtest.avi} (a JVM of its own, {@link ChildJvm}): it finds the
 * clip inside the jar (as {@code demo} does), names every phase on stderr as it starts and ends, and prints the table
 * on stdout. A tiny run on ONNX Runtime; no figure is checked.
 */
class BenchmarkCliTest {
    @TempDir
    Path tmp;

    @Test
    void runsFromAnyDirectoryWithTheBundledClipAndNamesEveryPhase() throws Exception {
        assertThat(tmp.resolve("data/vtest.avi")).doesNotExist();
        assertThat(Files.exists(tmp.getParent().resolve("data/vtest.avi"))).isFalse();
        ChildJvm.Result r = ChildJvm.run(tmp, null, "benchmark", "--backend", "onnxruntime", "--batch", "2",
                "--in-flight", "1", "--frames", "16", "--engine-iterations", "4", "--latency-seconds", "0.5",
                "--max-source-frames", "4", "--warmup-seconds", "0", "--preprocess-threads", "1", "--skip-jpeg",
                "--skip-host-ceiling");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).as("%s", r).contains("| engineOnlyFps |").contains("| operatorFps |")
                .contains("| p50Ms |").doesNotContain("benchmark: ");
        assertThat(r.stdout()).as("the host JPEG check, us per frame")
                .containsPattern("\\| jpegCheckMicros \\| [0-9]+\\.[0-9]+ \\|");
        assertThat(r.stderrLines()).as("%s", r)
                .anySatisfy(l -> assertThat(l).startsWith("benchmark: loading frames: ").contains("vtest-")
                        .endsWith(".avi ..."))
                .contains("benchmark: engine-only: 4 batches of 2 ...", "benchmark: serialized: 20 batches of 2 ...")
                .anySatisfy(l -> assertThat(l).startsWith("benchmark: opening the engine: onnxruntime fp32"))
                .anySatisfy(l -> assertThat(l).startsWith("benchmark: operator: warm-up, then 16 raw frames"))
                .anySatisfy(l -> assertThat(l).startsWith("benchmark: latency: "))
                .anySatisfy(l -> assertThat(l).matches("benchmark: engine-only: done in [0-9.]+ s"))
                .anySatisfy(l -> assertThat(l).matches("benchmark: latency: done in [0-9.]+ s"));
    }
}

package io.flinkvision.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.engine.Precision;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TensorRT on a real GPU. Tagged {@code gpu}: on a machine without a CUDA device (CI) every test is reported as
 * skipped with the reason (JUnit assumption); on the GPU machine they run (also via {@link TrtGpuChecks#main} from
 * {@code jobs/src/test/gpu/run-gpu-checks.sh}). Engine builds take minutes: set {@code -Dflinkvision.gpu.cache=DIR}
 * to reuse plans across runs.
 */
@Tag("gpu")
class TrtEngineGpuTest {
    @TempDir
    static Path tmp;

    private static String cache;

    private static final Optional<String> UNAVAILABLE = TrtGpuChecks.unavailable();

    /** Per test (not per class) so that each test is reported as skipped with the reason on a machine without GPU. */
    @BeforeEach
    void requireGpu() {
        Optional<String> why = UNAVAILABLE;
        Assumptions.assumeTrue(why.isEmpty(), () -> "no usable CUDA device / TensorRT here: " + why.orElse(""));
        cache = System.getProperty("flinkvision.gpu.cache", tmp.resolve("engines").toString());
    }

    @Test
    void fp32WithoutTf32MatchesOnnxRuntimeGoldenWithinCpuTolerance() throws Exception {
        TrtGpuChecks.GoldenResult r = TrtGpuChecks.golden(TrtGpuChecks.spec(Precision.FP32, cache, null, 32, 3));
        assertThat(r.cpuTolerancePass()).as(r.toString()).isTrue();
    }

    @Test
    void fp16MatchesAtLeast95PercentOfGoldenAtIou09() throws Exception {
        TrtGpuChecks.GoldenResult r = TrtGpuChecks.golden(TrtGpuChecks.spec(Precision.FP16, cache, null, 32, 3));
        assertThat(r.matchedFraction()).as(r.toString()).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void fp16WithTheGpuLetterboxMatchesAtLeast95PercentOfGoldenAtIou09() throws Exception {
        TrtGpuChecks.GoldenResult r = TrtGpuChecks.golden(TrtGpuChecks.spec(Precision.FP16, cache, null, 32, 3),
                io.flinkvision.pipeline.LetterboxDevice.GPU);
        assertThat(r.matchedFraction()).as(r.toString()).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void gpuLetterboxPadsWith114AndStaysWithinOneLevelOfOpenCv() throws Exception {
        for (TrtGpuChecks.LetterboxDiff d : TrtGpuChecks.letterboxDiff(0, 416, 416)) {
            assertThat(d.paddingMismatches()).as(d.toString()).isZero();
            assertThat(d.maxAbsDiff()).as(d.toString()).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void cudaGraphsGiveTheSameOutputAsPlainEnqueue() throws Exception {
        TrtGpuChecks.GraphCheck r = TrtGpuChecks.graphsVsPlain(TrtGpuChecks.spec(Precision.FP16, cache, null, 32, 3), 32);
        assertThat(r.graphsCaptured()).as(r.toString()).isEqualTo(3);
        assertThat(r.maxAbsDiff()).as(r.toString()).isLessThanOrEqualTo(1e-3);
    }

    @Test
    void hybridLetterboxGivesEachFrameTheCpuPathsDetectionsInMixedBatches() throws Exception {
        TrtGpuChecks.HybridCheck r = TrtGpuChecks.hybridVsCpu(TrtGpuChecks.spec(Precision.FP16, cache, null, 32, 3), 8);
        assertThat(r.pass()).as(r.toString()).isTrue();
    }

    @Test
    void gpuMemoryIsFlatOver20OpenCloseCycles() throws Exception {
        TrtGpuChecks.CycleResult r = TrtGpuChecks.openCloseCycles(
                TrtGpuChecks.spec(Precision.FP16, cache, null, 32, 3), 20);
        assertThat(Math.abs(r.gpuGrowthMb())).as(r.toString()).isLessThanOrEqualTo(8);
        assertThat(r.contextsCreated()).isLessThanOrEqualTo(3);
    }

    @Test
    void cachedPlanIsReusedOnTheSecondOpen() throws Exception {
        TrtGpuChecks.golden(TrtGpuChecks.spec(Precision.FP16, cache, null, 32, 3));
        TrtGpuChecks.GoldenResult again = TrtGpuChecks.golden(TrtGpuChecks.spec(Precision.FP16, cache, null, 32, 3));
        assertThat(again.engineOpenSeconds()).isLessThan(30);
    }
}

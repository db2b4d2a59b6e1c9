package io.flinkvision.engine.tensorrt.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.engine.EngineStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TensorRT builder log lines -> phase and percent. */
class BuildProgressTest {
    @Test
    void followsTheBuilderThroughItsPhases() {
        List<String> lines = new ArrayList<>();
        BuildProgress p = new BuildProgress("x.plan", lines::add);
        p.phase("optimize");
        p.accept("Original: 240 layers");
        p.accept("After dead-layer removal: 240 layers");
        p.accept("After vertical fusions: 100 layers");
        p.accept("After final dead-layer removal: 100 layers");
        assertThat(p.phase()).isEqualTo("optimize");
        for (int i = 0; i < 50; i++) {
            p.accept("=============== Computing costs for /backbone/conv" + i);
            p.accept("=============== Computing costs for /backbone/conv" + i); // same layer, other format
        }
        assertThat(p.phase()).isEqualTo("tactics");
        assertThat(p.percent()).isEqualTo(50);
        for (int i = 50; i < 100; i++) {
            p.accept("=============== Computing costs for /head/conv" + i);
        }
        assertThat(p.percent()).isEqualTo(99); // capped until the engine is generated
        p.accept("Total Activation Memory: 123456 bytes");
        assertThat(p.phase()).isEqualTo("finalize");
        p.accept("Engine generation completed in 85.6 seconds.");
        assertThat(p.percent()).isEqualTo(100);
        assertThat(lines).anyMatch(l -> l.contains("phase tactics, 11% (11 of 100 layers timed)"))
                .anyMatch(l -> l.contains("phase tactics, 51%"))
                .anyMatch(l -> l.contains("phase done, 100%"));
        assertThat(lines.size()).isLessThan(20); // throttled: not one line per layer
    }

    @Test
    void heartbeatReportsElapsedTime() {
        List<String> lines = new ArrayList<>();
        BuildProgress p = new BuildProgress("y.plan", lines::add);
        p.heartbeat();
        assertThat(lines).singleElement().asString().contains("TensorRT build y.plan: phase parse, 0%")
                .contains("s elapsed");
    }

    @Test
    void aSecondBuilderPassRestartsTheCount() {
        List<String> lines = new ArrayList<>();
        BuildProgress p = new BuildProgress("int8.plan", lines::add);
        p.phase("optimize");
        p.accept("After final dead-layer removal: 10 layers");
        for (int i = 0; i < 10; i++) {
            p.accept("Computing costs for calib" + i);
        }
        p.accept("Engine generation completed in 3.0 seconds.");
        p.accept("After final dead-layer removal: 4 layers");
        assertThat(p.phase()).isEqualTo("optimize");
        p.accept("Computing costs for final0");
        p.accept("Computing costs for final1");
        assertThat(p.percent()).isEqualTo(50);
        assertThat(p.line()).contains("pass 2, phase tactics, 50% (2 of 4 layers timed)");
    }

    @Test
    void everyChangeReachesTheEngineStatusOfTheOpeningThread() {
        String group = "build-progress-test";
        EngineStatus.Tracker t = EngineStatus.start(group, 0, 0, "engine of subtask 1/1", "tensorrt");
        try {
            BuildProgress p = new BuildProgress("z.plan", line -> { }, EngineStatus.current());
            assertThat(t.state()).isEqualTo(EngineStatus.State.BUILDING);
            p.phase("optimize");
            p.accept("After final dead-layer removal: 8 layers");
            for (int i = 0; i < 3; i++) {
                p.accept("Computing costs for conv" + i); // 37%: below the 10-point step of the log lines
            }
            assertThat(EngineStatus.snapshot(group)).singleElement().satisfies(s -> {
                assertThat(s.buildPhase()).isEqualTo("tactics");
                assertThat(s.percent()).isEqualTo(37);
                assertThat(s.detail()).isEqualTo("3 of 8 layers timed");
            });
            p.accept("Engine generation completed in 1.0 seconds.");
            assertThat(t.percent()).isEqualTo(100);
        } finally {
            t.close();
        }
        assertThat(EngineStatus.snapshot(group)).isEmpty();
    }
}

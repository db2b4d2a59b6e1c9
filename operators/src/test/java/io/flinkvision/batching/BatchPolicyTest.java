package io.flinkvision.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.Precision;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.OutputLayout;
import org.junit.jupiter.api.Test;

/** {@link BatchPolicy#fitToEngine}: the one clamp of a batch policy to an engine's max batch and slots. */
class BatchPolicyTest {
    private static EngineInfo engine(int maxBatch, int maxInFlight) {
        return new EngineInfo("m.onnx", "00", Backend.ONNXRUNTIME, Precision.FP32, "cpu", ElementType.FLOAT32, 3, 416,
                416, 3549, 85, maxBatch, maxInFlight, OutputLayout.raw(80));
    }

    @Test
    void aPolicyThatFitsIsKept() {
        BatchPolicy p = new BatchPolicy(8, 20, 2);
        assertThat(p.fitToEngine(engine(8, 2))).isSameAs(p);
        assertThat(p.fitToEngine(engine(32, 4))).isSameAs(p);
    }

    @Test
    void theBatchSizeAndInFlightBatchesAreLoweredToTheEngines() {
        assertThat(new BatchPolicy(32, 10, 5).fitToEngine(engine(8, 2))).isEqualTo(new BatchPolicy(8, 10, 2));
        assertThat(new BatchPolicy(32, 10, 1).fitToEngine(engine(8, 2))).isEqualTo(new BatchPolicy(8, 10, 1));
        assertThat(new BatchPolicy(4, 7.5, 5).fitToEngine(engine(8, 2))).isEqualTo(new BatchPolicy(4, 7.5, 2));
    }
}

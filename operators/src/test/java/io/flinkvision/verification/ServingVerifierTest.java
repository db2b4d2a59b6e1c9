package io.flinkvision.verification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.Precision;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.OutputLayout;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.postprocess.PostprocessConfig;
import io.flinkvision.testing.OnnxWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving verification with real ONNX Runtime engines on the bundled golden frames: the bundled model served
 * against itself passes and its verdict is reused; a copy whose objectness biases are lowered (a real model that lost
 * detections, as a bad FP16/INT8 plan does) is refused with the agreement in the message, the refusal is stored and
 * repeated at once on the next start, and judged again when the threshold changes.
 */
class ServingVerifierTest {
    @TempDir
    Path dir;

    private ServingVerification settings(double minAgreement) {
        return new ServingVerification(EngineSpec.BUNDLED_MODEL, minAgreement, null, dir.resolve("verdicts").toString(),
                PostprocessConfig.DEFAULT);
    }

    private static EngineSpec spec(String model) {
        return EngineSpec.builder().modelPath(model).maxBatchSize(4).maxInFlight(1).intraOpThreads(1).build();
    }

    @Test
    void theBundledModelPassesAndItsVerdictIsReused() throws Exception {
        EngineSpec spec = spec(EngineSpec.BUNDLED_MODEL);
        StoredVerdict first;
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            first = ServingVerifier.verify(engine, spec, settings(0.9));
        }
        assertThat(first.agreement()).isEqualTo(1.0);
        assertThat(first.frames()).isEqualTo(5);
        assertThat(first.failures()).isEmpty();
        VerdictStore store = new VerdictStore(dir.resolve("verdicts").toString());
        assertThat(store.verdictFile(first.key())).exists();
        assertThat(Files.readString(store.reportFile(first.key()))).contains("\"agreement\"");

        StoredVerdict again;
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            again = ServingVerifier.verify(engine, spec, settings(0.9));
        }
        assertThat(again).as("the stored verdict, not a new run").isEqualTo(first);
    }

    @Test
    void aModelThatLostDetectionsIsRefusedAndTheRefusalIsStored() throws Exception {
        byte[] model = ModelSource.load(EngineSpec.BUNDLED_MODEL).bytes().clone();
        OnnxWeights.shiftObjectness(model, -3f);
        Path weak = dir.resolve("obj-weak.onnx");
        Files.write(weak, model);
        EngineSpec spec = spec(weak.toString());
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            assertThatThrownBy(() -> ServingVerifier.verify(engine, spec, settings(0.9)))
                    .isInstanceOf(InferenceException.class)
                    .hasMessageContaining("serving verification failed (verified now)")
                    .hasMessageContaining("below inference.verify.min-agreement 0.9000")
                    .hasMessageContaining("detection agreement at IoU >= 0.9 is")
                    .hasMessageContaining(".report.json");
        }
        StoredVerdict stored;
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            assertThatThrownBy(() -> ServingVerifier.verify(engine, spec, settings(0.9)))
                    .hasMessageContaining("serving verification failed (stored verdict of ");
            stored = ServingVerifier.verify(engine, spec, settings(0.0)); // judged again, no new run
        }
        assertThat(stored.agreement()).isLessThan(0.9);
        assertThat(stored.failures()).singleElement().asString().contains("detection agreement");
    }

    private static EngineInfo plan(String c) {
        return new EngineInfo("m.onnx", "a".repeat(64), Backend.TENSORRT, Precision.FP16, "cuda:0",
                ElementType.UINT8, 3, 416, 416, 3549, 85, 32, 1, OutputLayout.raw(80), c.repeat(64));
    }

    @Test
    void aVerdictBelongsToOneEngineReferenceAndFrameSet() {
        var frames = ServingVerifier.readFrames(null);
        var info = plan("b");
        String key = ServingVerifier.key(info, "r".repeat(64), frames);
        assertThat(key).hasSize(64).isEqualTo(ServingVerifier.key(info, "r".repeat(64), frames));
        assertThat(ServingVerifier.key(info, "s".repeat(64), frames)).isNotEqualTo(key);
        assertThat(ServingVerifier.key(info, "r".repeat(64), frames.subList(0, 4))).isNotEqualTo(key);
        var otherPlan = plan("c");
        assertThat(ServingVerifier.key(otherPlan, "r".repeat(64), frames)).isNotEqualTo(key);
    }
}

package io.flinkvision.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.tensor.InputBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DetectionPipeline.Builder}: the settings it requires, its defaults and the checks {@link
 * DetectionPipeline.Builder#build()} makes, on the real ONNX Runtime engine (which cannot letterbox or decode JPEG on
 * a device).
 */
class DetectionPipelineBuilderTest {
    private static InferenceEngine ort;

    @BeforeAll
    static void setUp() {
        ort = InferenceEngines.open(EngineSpec.builder().backend(Backend.ONNXRUNTIME)
                .maxBatchSize(8).maxInFlight(2).build());
    }

    @AfterAll
    static void tearDown() {
        ort.close();
    }

    @Test
    void batchPolicyAndPreprocessThreadsAreRequired() {
        assertThatThrownBy(() -> DetectionPipeline.builder(ort).preprocessThreads(1).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("batchPolicy");
        assertThatThrownBy(() -> DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2)).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("preprocessThreads");
        assertThatThrownBy(() -> DetectionPipeline.builder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> DetectionPipeline.builder(ort).listener(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void defaultsLetterboxOnTheCpuAndLowerThePolicyToTheEngine() {
        try (DetectionPipeline p = DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(32, 10, 5))
                .preprocessThreads(1).build()) {
            assertThat(p.letterboxMode()).isEqualTo(LetterboxDevice.CPU);
            assertThat(p.letterboxesOnDevice()).isFalse();
            assertThat(p.jpegDecodeMode()).isEqualTo(JpegDecodeDevice.CPU);
            assertThat(p.batchPolicy()).isEqualTo(new BatchPolicy(8, 10, 2));
        }
    }

    @Test
    void theEngineOutlivesThePipelineUnlessOwned() throws Exception {
        DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(4, 10, 1)).preprocessThreads(1).build().close();
        InputBatch slot = ort.acquire(); // would throw "engine is closed"
        ort.release(slot);
        InferenceEngine owned = InferenceEngines.open(EngineSpec.builder().backend(Backend.ONNXRUNTIME)
                .maxBatchSize(4).maxInFlight(1).build());
        DetectionPipeline.builder(owned).ownsEngine(true).batchPolicy(new BatchPolicy(4, 10, 1)).preprocessThreads(1)
                .build().close();
        assertThatThrownBy(owned::acquire).isInstanceOf(IllegalStateException.class).hasMessage("engine is closed");
    }

    @Test
    void buildChecksTheSettingsAsTheConstructorsDid() {
        assertThatThrownBy(() -> DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2))
                .preprocessThreads(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pre-processing threads must be >= 1, got 0");
        assertThatThrownBy(() -> DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2))
                .preprocessThreads(1).hybridBacklog(-1).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("hybrid letterbox backlog must be >= 0 frames, got -1");
        assertThatThrownBy(() -> DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2))
                .preprocessThreads(1).letterbox(LetterboxDevice.GPU).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("onnxruntime cannot");
    }
}

package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.InferenceException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Without a GPU (CI): the TensorRT backend says why it cannot run, and auto falls back to ONNX Runtime. */
class TrtEngineFactoryTest {
    @Test
    void isRegisteredAndExplainsWhyItCannotRunWithoutAGpu() {
        Assumptions.assumeTrue(Cuda.deviceCount() == 0, "a CUDA device is present: covered by the gpu tests");
        EngineSpec spec = EngineSpec.builder().backend(Backend.TENSORRT).build();
        assertThat(new TrtEngineFactory().unavailableReason(spec)).get().asString()
                .containsAnyOf("CUDA", "cuda");
        assertThat(InferenceEngines.resolve(spec.withBackend(Backend.AUTO))).isEqualTo(Backend.ONNXRUNTIME);
        assertThatThrownBy(() -> InferenceEngines.open(spec)).isInstanceOf(InferenceException.class)
                .hasMessageContaining("backend 'tensorrt' cannot run here");
    }

    @Test
    void deviceIndexOutOfRangeIsExplained() {
        EngineSpec spec = EngineSpec.builder().backend(Backend.TENSORRT).deviceIndex(63).build();
        assertThat(new TrtEngineFactory().unavailableReason(spec)).isPresent();
    }
}

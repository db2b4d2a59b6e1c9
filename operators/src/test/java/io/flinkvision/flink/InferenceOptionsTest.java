package io.flinkvision.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.Precision;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.postprocess.PostprocessConfig;
import io.flinkvision.tensor.ElementType;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/** {@link InferenceOptions} are the one source of defaults, and {@link InferenceSettings} carries every key. */
class InferenceOptionsTest {

    @Test
    void anEmptyConfigurationGivesTheBuildersOwnDefaults() {
        EngineSpec fromOptions = InferenceSettings.engineSpec(new Configuration()).build();
        assertThat(fromOptions.toString()).isEqualTo(EngineSpec.builder().build().toString());
        assertThat(fromOptions.backend()).isEqualTo(InferenceOptions.BACKEND.defaultValue()).isEqualTo(Backend.AUTO);
        assertThat(fromOptions.precision()).isEqualTo(InferenceOptions.PRECISION.defaultValue());
        assertThat(fromOptions.maxBatchSize()).isEqualTo(InferenceOptions.MAX_BATCH_SIZE.defaultValue());
        assertThat(fromOptions.maxInFlight()).isEqualTo(InferenceOptions.IN_FLIGHT.defaultValue());
        assertThat(fromOptions.engineCacheDir()).isEqualTo(InferenceOptions.ENGINE_CACHE_DIR.defaultValue());
        assertThat(fromOptions.workspaceBytes()).isEqualTo(InferenceOptions.WORKSPACE_BYTES.defaultValue());
        assertThat(fromOptions.tf32()).isEqualTo(InferenceOptions.TF32.defaultValue());
        assertThat(fromOptions.calibrationDir()).isNull();
        assertThat(fromOptions.builderOptimizationLevel())
                .isEqualTo(InferenceOptions.BUILDER_OPTIMIZATION_LEVEL.defaultValue());
        assertThat(fromOptions.inputType()).isEqualTo(InferenceOptions.INPUT_TYPE.defaultValue());
        assertThat(fromOptions.int8QuantizeHead()).isEqualTo(InferenceOptions.INT8_QUANTIZE_HEAD.defaultValue());
        assertThat(fromOptions.calibrationAlgorithm()).isEqualTo(InferenceOptions.INT8_CALIBRATOR.defaultValue());
        assertThat(fromOptions.calibrationInput()).isEqualTo(InferenceOptions.INT8_CALIBRATION_INPUT.defaultValue());
    }

    @Test
    void theOperatorBuilderDefaultsAreTheOptionDefaults() {
        GpuInferenceFunction plain = GpuInferenceFunction.builder().build();
        GpuInferenceFunction configured = GpuInferenceFunction.builder().configure(new Configuration()).build();
        assertThat(plain.engineSpec().toString()).isEqualTo(configured.engineSpec().toString());
        assertThat(InferenceSettings.batchPolicy(new Configuration())).isEqualTo(new BatchPolicy(
                InferenceOptions.MAX_BATCH_SIZE.defaultValue(), InferenceOptions.MAX_QUEUE_DELAY_MS.defaultValue(),
                InferenceOptions.IN_FLIGHT.defaultValue()));
        assertThat(InferenceSettings.postprocess(new Configuration())).isEqualTo(PostprocessConfig.DEFAULT);
        assertThat(InferenceSettings.decodeLimits(new Configuration())).isEqualTo(DecodeLimits.DEFAULT);
    }

    @Test
    void everyTensorrtBuildSettingReachesTheEngineSpec() {
        Configuration c = new Configuration();
        c.setString("inference.backend", "tensorrt");
        c.setString("inference.precision", "int8");
        c.setString("inference.tensorrt.tf32", "true");
        c.setString("inference.tensorrt.workspace-bytes", "2147483648");
        c.setString("inference.tensorrt.calibration-dir", "/data/calibration");
        c.setString("inference.tensorrt.builder-optimization-level", "5");
        c.setString("inference.tensorrt.input-type", "float32");
        c.setString("inference.tensorrt.int8-quantize-head", "true");
        c.setString("inference.tensorrt.int8-calibrator", "minmax");
        c.setString("inference.tensorrt.int8-calibration-input", "float32");
        EngineSpec s = GpuInferenceFunction.builder().configure(c).build().engineSpec();
        assertThat(s.backend()).isEqualTo(Backend.TENSORRT);
        assertThat(s.precision()).isEqualTo(Precision.INT8);
        assertThat(s.tf32()).isTrue();
        assertThat(s.workspaceBytes()).isEqualTo(2L << 30);
        assertThat(s.calibrationDir()).isEqualTo("/data/calibration");
        assertThat(s.builderOptimizationLevel()).isEqualTo(5);
        assertThat(s.inputType()).isEqualTo(ElementType.FLOAT32);
        assertThat(s.int8QuantizeHead()).isTrue();
        assertThat(s.calibrationAlgorithm()).isEqualTo(EngineSpec.CalibrationAlgorithm.MINMAX);
        assertThat(s.calibrationInput()).isEqualTo(EngineSpec.CalibrationInput.FLOAT32);
    }

    @Test
    void anOptimizationLevelOutsideZeroToFiveIsRefused() {
        Configuration c = new Configuration();
        c.set(InferenceOptions.BUILDER_OPTIMIZATION_LEVEL, 6);
        assertThatThrownBy(() -> InferenceSettings.engineSpec(c).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("optimization level must be in 0..5");
    }
}

package io.flinkvision.engine.tensorrt.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.engine.Precision;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The engine cache key: every field that makes a plan invalid must change the file name; round trip via header. */
class PlanCacheKeyTest {
    static PlanCacheKey key(Precision p, boolean tf32, int opt, int max) {
        return new PlanCacheKey("yolox_nano_dyn.onnx", "b585f2e2aabbccdd", "10.6.0", "NVIDIA H200", "sm_90", p, tf32,
                1, opt, max, ElementType.UINT8, 3, "-", 3);
    }

    static PlanCacheKey base() {
        return key(Precision.FP16, false, 32, 32);
    }

    @Test
    void fieldsRoundTrip() {
        PlanCacheKey k = key(Precision.FP32, true, 16, 64);
        assertThat(PlanCacheKey.fromFields(k.fields())).isEqualTo(k);
    }

    @Test
    void fileNameIsReadableAndSafe() {
        String n = base().fileName();
        assertThat(n).startsWith("yolox_nano_dyn-b585f2e2-trt10.6.0-NVIDIA_H200-sm_90-fp16-b1_32_32-uint8-top3-o3-")
                .endsWith(".plan").matches("[A-Za-z0-9._-]+");
    }

    @Test
    void everyFieldChangesTheFileName() {
        PlanCacheKey b = base();
        List<PlanCacheKey> variants = List.of(b,
                new PlanCacheKey("other.onnx", b.modelSha256(), "10.6.0", "NVIDIA H200", "sm_90", Precision.FP16,
                        false, 1, 32, 32, ElementType.UINT8, 3, "-", 3),
                new PlanCacheKey(b.modelName(), "ffff0000aaaa", "10.6.0", "NVIDIA H200", "sm_90", Precision.FP16,
                        false, 1, 32, 32, ElementType.UINT8, 3, "-", 3),
                new PlanCacheKey(b.modelName(), b.modelSha256(), "10.7.0", "NVIDIA H200", "sm_90", Precision.FP16,
                        false, 1, 32, 32, ElementType.UINT8, 3, "-", 3),
                new PlanCacheKey(b.modelName(), b.modelSha256(), "10.6.0", "NVIDIA H100 80GB HBM3", "sm_90",
                        Precision.FP16, false, 1, 32, 32, ElementType.UINT8, 3, "-", 3),
                new PlanCacheKey(b.modelName(), b.modelSha256(), "10.6.0", "NVIDIA H200", "sm_89", Precision.FP16,
                        false, 1, 32, 32, ElementType.UINT8, 3, "-", 3),
                key(Precision.FP32, false, 32, 32),
                key(Precision.FP32, true, 32, 32),
                key(Precision.INT8, false, 32, 32),
                key(Precision.FP16, false, 16, 32),
                key(Precision.FP16, false, 32, 64),
                new PlanCacheKey(b.modelName(), b.modelSha256(), "10.6.0", "NVIDIA H200", "sm_90", Precision.FP16,
                        false, 1, 32, 32, ElementType.FLOAT32, 3, "-", 3),
                new PlanCacheKey(b.modelName(), b.modelSha256(), "10.6.0", "NVIDIA H200", "sm_90", Precision.FP16,
                        false, 1, 32, 32, ElementType.UINT8, 5, "-", 3),
                new PlanCacheKey(b.modelName(), b.modelSha256(), "10.6.0", "NVIDIA H200", "sm_90", Precision.INT8,
                        false, 1, 32, 32, ElementType.UINT8, 3, "100img-abc", 3),
                new PlanCacheKey(b.modelName(), b.modelSha256(), "10.6.0", "NVIDIA H200", "sm_90", Precision.FP16,
                        false, 1, 32, 32, ElementType.UINT8, 3, "-", 0));
        Set<String> names = new HashSet<>();
        for (PlanCacheKey k : variants) {
            names.add(k.fileName());
        }
        assertThat(names).hasSize(variants.size());
    }

    @Test
    void tf32IsIgnoredOutsideFp32() {
        assertThat(key(Precision.FP16, true, 32, 32)).isEqualTo(key(Precision.FP16, false, 32, 32));
    }

    @Test
    void refusesInvalidBatchProfile() {
        assertThatThrownBy(() -> key(Precision.FP16, false, 64, 32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 <= min <= opt <= max");
    }

    @Test
    void refusesOtherFormatVersion() {
        var f = new java.util.LinkedHashMap<>(base().fields());
        f.put("format", "99");
        assertThatThrownBy(() -> PlanCacheKey.fromFields(f)).hasMessageContaining("plan format 99");
    }
}

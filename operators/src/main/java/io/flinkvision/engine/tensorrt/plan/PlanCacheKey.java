package io.flinkvision.engine.tensorrt.plan;

import io.flinkvision.tensor.OutputLayout;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.engine.Precision;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.annotation.Internal;

/**
 * Everything a serialized TensorRT plan depends on, so that a plan is reused only where it is valid and an upgrade
 * (TensorRT, GPU, model, precision, batch profile) rebuilds it instead of being refused or silently reused (the
 * DeepStream complaint). Written into the plan file's header and checked on load.
 *
 * @param modelName model file name, e.g. {@code yolox_nano_dyn.onnx}
 * @param modelSha256 lower-case hex sha256 of the ONNX bytes
 * @param tensorrtVersion TensorRT library version, e.g. {@code 10.6.0}
 * @param gpuName CUDA device name, e.g. {@code NVIDIA H200}
 * @param computeCapability e.g. {@code sm_90}
 * @param precision FP32, FP16 or INT8
 * @param tf32 FP32 only: TF32 tensor-core math allowed (false for every other precision)
 * @param minBatch optimization profile minimum batch (1)
 * @param optBatch optimization profile batch the kernels are tuned for
 * @param maxBatch optimization profile maximum batch
 * @param inputType element type of the network input the host fills (UINT8: a cast layer converts on the GPU)
 * @param builderOptimizationLevel TensorRT builder optimization level 0..5 (3 is TensorRT's default)
 * @param calibrationId INT8 only: identity of the calibration set and INT8 build settings
 *     ({@link Int8Calibrator#calibrationId}), else {@code -}
 * @param outputTopClasses classes per anchor kept by the output head added on the GPU (0: the model's raw output); see
 *     {@link io.flinkvision.tensor.OutputLayout}
 */
@Internal
public record PlanCacheKey(
        String modelName,
        String modelSha256,
        String tensorrtVersion,
        String gpuName,
        String computeCapability,
        Precision precision,
        boolean tf32,
        int minBatch,
        int optBatch,
        int maxBatch,
        ElementType inputType,
        int builderOptimizationLevel,
        String calibrationId,
        int outputTopClasses) {

    /** Version of the key and plan-file layout; bump when either changes. */
    public static final int FORMAT_VERSION = 2;

    public PlanCacheKey {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(modelSha256, "modelSha256");
        Objects.requireNonNull(tensorrtVersion, "tensorrtVersion");
        Objects.requireNonNull(gpuName, "gpuName");
        Objects.requireNonNull(computeCapability, "computeCapability");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(inputType, "inputType");
        calibrationId = calibrationId == null || calibrationId.isEmpty() ? "-" : calibrationId;
        if (precision != Precision.FP32) {
            tf32 = false;
        }
        if (outputTopClasses < 0) {
            throw new IllegalArgumentException("output top classes must be >= 0, got " + outputTopClasses);
        }
        if (minBatch < 1 || optBatch < minBatch || maxBatch < optBatch) {
            throw new IllegalArgumentException("batch profile must satisfy 1 <= min <= opt <= max, got " + minBatch
                    + "/" + optBatch + "/" + maxBatch);
        }
    }

    /**
     * The key's fields in a fixed order, as strings: what the plan header stores and {@link #fromFields} reads.
     */
    public Map<String, String> fields() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", Integer.toString(FORMAT_VERSION));
        m.put("model", modelName);
        m.put("modelSha256", modelSha256);
        m.put("tensorrt", tensorrtVersion);
        m.put("gpu", gpuName);
        m.put("computeCapability", computeCapability);
        m.put("precision", precision.id());
        m.put("tf32", Boolean.toString(tf32));
        m.put("batchProfile", minBatch + "/" + optBatch + "/" + maxBatch);
        m.put("inputType", inputType.name().toLowerCase(Locale.ROOT));
        m.put("builderOptimizationLevel", Integer.toString(builderOptimizationLevel));
        m.put("calibration", calibrationId);
        m.put("outputTopClasses", Integer.toString(outputTopClasses));
        return m;
    }

    /**
     * Parses {@link #fields()} back.
     *
     * @throws IllegalArgumentException if a field is missing or malformed, or the format version differs
     */
    public static PlanCacheKey fromFields(Map<String, String> m) {
        String format = req(m, "format");
        if (!format.equals(Integer.toString(FORMAT_VERSION))) {
            throw new IllegalArgumentException("plan format " + format + ", expected " + FORMAT_VERSION);
        }
        String[] b = req(m, "batchProfile").split("/");
        if (b.length != 3) {
            throw new IllegalArgumentException("malformed batchProfile '" + m.get("batchProfile") + "'");
        }
        return new PlanCacheKey(req(m, "model"), req(m, "modelSha256"), req(m, "tensorrt"), req(m, "gpu"),
                req(m, "computeCapability"), Precision.parse(req(m, "precision")),
                Boolean.parseBoolean(req(m, "tf32")), Integer.parseInt(b[0]), Integer.parseInt(b[1]),
                Integer.parseInt(b[2]), ElementType.valueOf(req(m, "inputType").toUpperCase(Locale.ROOT)),
                Integer.parseInt(req(m, "builderOptimizationLevel")), req(m, "calibration"),
                Integer.parseInt(req(m, "outputTopClasses")));
    }

    private static String req(Map<String, String> m, String k) {
        String v = m.get(k);
        if (v == null) {
            throw new IllegalArgumentException("plan header lacks '" + k + "'");
        }
        return v;
    }

    /** One line for logs: every field, {@code key=value} separated by spaces. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        fields().forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }

    /** First 16 hex digits of the sha256 of {@link #describe()}: distinguishes keys that share a readable name. */
    public String hash() {
        return ModelSource.sha256(describe().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    /**
     * A file name readable by an operator, e.g.
     * {@code yolox_nano_dyn-b585f2e2-trt10.6.0-NVIDIA_H200-sm_90-fp16-b1_32_32-uint8-top3-o3-1a2b3c4d5e6f7a8b.plan}; only
     * {@code [A-Za-z0-9._-]}.
     */
    public String fileName() {
        String stem = modelName.replaceFirst("\\.onnx$", "");
        String name = stem + "-" + modelSha256.substring(0, Math.min(8, modelSha256.length())) + "-trt"
                + tensorrtVersion + "-" + gpuName + "-" + computeCapability + "-" + precision.id()
                + (tf32 ? "-tf32" : "") + "-b" + minBatch + "_" + optBatch + "_" + maxBatch + "-"
                + inputType.name().toLowerCase(Locale.ROOT) + (outputTopClasses > 0 ? "-top" + outputTopClasses : "-raw")
                + "-o" + builderOptimizationLevel + "-" + hash() + ".plan";
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}

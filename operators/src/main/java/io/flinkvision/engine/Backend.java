package io.flinkvision.engine;

import java.util.Locale;
import org.apache.flink.annotation.PublicEvolving;

/** Inference runtime. */
@PublicEvolving
public enum Backend {
    /** ONNX Runtime on the CPU: the embedded default and the reference for correctness. */
    ONNXRUNTIME,
    /** NVIDIA TensorRT on a CUDA device. */
    TENSORRT,
    /** TensorRT when a CUDA device and the TensorRT libraries load, else ONNX Runtime (the reason is logged). */
    AUTO;

    /** Lower-case name used in configuration and records, e.g. {@code onnxruntime}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code onnxruntime|tensorrt|auto} (case-insensitive); throws IllegalArgumentException naming the choices. */
    public static Backend parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unknown backend '" + s + "': expected onnxruntime, tensorrt or auto");
        }
    }
}

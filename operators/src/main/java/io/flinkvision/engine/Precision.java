package io.flinkvision.engine;

import java.util.Locale;
import org.apache.flink.annotation.PublicEvolving;

/** Numeric precision of the engine's compute. ONNX Runtime on the CPU runs FP32 only. */
@PublicEvolving
public enum Precision {
    FP32,
    FP16,
    INT8;

    /** Lower-case name used in configuration and records, e.g. {@code fp16}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code fp32|fp16|int8} (case-insensitive); throws IllegalArgumentException naming the choices. */
    public static Precision parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unknown precision '" + s + "': expected fp32, fp16 or int8");
        }
    }
}

package io.flinkvision.flink;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.annotation.Experimental;

/**
 * Named sets of {@link InferenceOptions} values for a kind of deployment, applied under what the user sets
 * explicitly (flags and {@code -D inference.*=...} win). {@link #DEFAULT} is the options' own defaults (ONNX Runtime on a
 * few CPU cores); {@link #GPU} the settings that measured fastest end to end (Kafka -> job -> Kafka,
 * {@code benchmark-e2e}) on one NVIDIA H100 with YOLOX-Nano and 768x576 JPEG frames: docs/benchmarks/h100-2026-12-07
 * (why these values: docs/DESIGN.md#kafka-end-to-end-and-the-gpu-profile).
 */
@Experimental
public enum InferenceProfile {
    /** The {@link InferenceOptions} defaults, nothing overridden. */
    DEFAULT(Map.of()),
    /**
     * One data-centre NVIDIA GPU (H100/H200): TensorRT FP16, micro-batches of up to 32 frames after at most 5 ms,
     * 8 execution slots, an async capacity of 512 frames per subtask (room for every slot's batch plus the next ones
     * forming, without larger checkpoints), 8 pre-processing threads. Run 2 subtasks per GPU.
     */
    GPU(gpuOptions());

    private final Map<String, String> options;

    InferenceProfile(Map<String, String> options) {
        this.options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    private static Map<String, String> gpuOptions() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(InferenceOptions.BACKEND.key(), "TENSORRT");
        m.put(InferenceOptions.PRECISION.key(), "FP16");
        m.put(InferenceOptions.MAX_BATCH_SIZE.key(), "32");
        m.put(InferenceOptions.MAX_QUEUE_DELAY_MS.key(), "5");
        m.put(InferenceOptions.IN_FLIGHT.key(), "8");
        m.put(InferenceOptions.CAPACITY.key(), "512");
        m.put(InferenceOptions.PREPROCESS_THREADS.key(), "8");
        return m;
    }

    /** The profile's {@code inference.*} keys and values, in a stable order (empty for {@link #DEFAULT}). */
    public Map<String, String> options() {
        return options;
    }

    /** Subtasks per GPU the profile was measured with (1 for {@link #DEFAULT}: it does not size for a GPU). */
    public int subtasksPerGpu() {
        return this == GPU ? 2 : 1;
    }

    /**
     * The profile named {@code name}, case-insensitive.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     */
    public static InferenceProfile parse(String name) {
        for (InferenceProfile p : values()) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + name + "': use default or gpu");
    }

    /** The profile's name as written on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

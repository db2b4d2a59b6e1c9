package io.flinkvision.jobs.cli;

import io.flinkvision.flink.GpuInferenceFunction;
import io.flinkvision.flink.InferenceOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;

/**
 * Start-up check of a job's {@code inference.*} options on the client, before anything starts: every value parses and
 * is in range (as the operator reads them, {@link GpuInferenceFunction.Builder#configure}); and, where the model is
 * read on this machine, that a model path naming a local file exists. Opens nothing (the model itself:
 * {@code io.flinkvision.jobs.ModelPreflight}).
 */
public final class InferenceCheck {
    private InferenceCheck() {}

    /**
     * Checks that every {@code inference.*} value parses and is in range.
     *
     * @param inference the job's inference options
     * @throws IllegalArgumentException with one message naming the bad option
     */
    public static void checkOptions(Configuration inference) {
        try {
            GpuInferenceFunction.builder().configure(inference).build();
            long timeoutMs = inference.get(InferenceOptions.TIMEOUT_MS);
            int capacity = inference.get(InferenceOptions.CAPACITY);
            if (timeoutMs < 1) {
                throw new IllegalArgumentException(InferenceOptions.TIMEOUT_MS.key() + " must be >= 1, got "
                        + timeoutMs);
            }
            if (capacity < 1) {
                throw new IllegalArgumentException(InferenceOptions.CAPACITY.key() + " must be >= 1, got " + capacity);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid inference option: " + CliErrors.oneLine(e.getMessage()), e);
        }
    }

    /**
     * Checks that the model path, when it names a local file (no {@code scheme:} such as {@code classpath:}), exists.
     *
     * @param inference the job's inference options
     * @throws IllegalArgumentException naming {@code --model / inference.model.path} when the file is missing
     */
    public static void checkModelFile(Configuration inference) {
        String model = inference.get(InferenceOptions.MODEL_PATH);
        if (model != null && !model.contains(":") && !Files.isRegularFile(Path.of(model))) {
            throw new IllegalArgumentException("model file '" + model + "' not found (resolved to "
                    + Path.of(model).toAbsolutePath() + "; check --model / " + InferenceOptions.MODEL_PATH.key() + ")");
        }
    }
}

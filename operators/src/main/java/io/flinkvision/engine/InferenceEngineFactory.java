package io.flinkvision.engine;

import java.util.Optional;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Creates engines of one {@link Backend}; discovered with {@link java.util.ServiceLoader} so that the engine package
 * does not depend on any runtime (register in {@code META-INF/services/io.flinkvision.engine.InferenceEngineFactory}).
 */
@PublicEvolving
public interface InferenceEngineFactory {

    /** The backend this factory creates (never {@link Backend#AUTO}). */
    Backend backend();

    /**
     * Why this backend cannot run here (no CUDA device, libraries that do not load...), or empty when it can. Must not
     * throw and should be cheap.
     */
    Optional<String> unavailableReason(EngineSpec spec);

    /**
     * Opens an engine.
     *
     * @throws InferenceException if the model is missing, corrupt or has the wrong input/output contract, or the
     *     runtime fails; the message names the cause and the setting to fix
     */
    InferenceEngine open(EngineSpec spec);
}

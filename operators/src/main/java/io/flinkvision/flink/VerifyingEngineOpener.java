package io.flinkvision.flink;

import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.verification.ServingVerification;
import io.flinkvision.verification.ServingVerifier;
import java.util.Objects;

/**
 * An {@link EngineOpener} that verifies what it opens before the subtask serves with it
 * ({@link InferenceOptions#VERIFY_ON_BUILD}): the engine opened by the wrapped opener is compared with ONNX Runtime
 * ({@link ServingVerifier}); an engine that fails is closed and the subtask's {@code open()} fails with the reason.
 */
final class VerifyingEngineOpener implements EngineOpener {
    private static final long serialVersionUID = 1L;
    private final EngineOpener delegate;
    private final ServingVerification settings;

    VerifyingEngineOpener(EngineOpener delegate, ServingVerification settings) {
        this.delegate = Objects.requireNonNull(delegate);
        this.settings = Objects.requireNonNull(settings);
    }

    /**
     * @throws InferenceException if the engine fails verification (message: agreement, threshold, report file), or
     *     the reference or the frames cannot be used
     */
    @Override
    public InferenceEngine open(EngineSpec spec) {
        InferenceEngine engine = delegate.open(spec);
        try {
            ServingVerifier.verify(engine, spec, settings);
            return engine;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(engine);
            throw new InferenceException("interrupted while verifying the engine before serving", e);
        } catch (RuntimeException | Error e) {
            closeQuietly(engine);
            throw e;
        }
    }

    private static void closeQuietly(InferenceEngine engine) {
        try {
            engine.close();
        } catch (Exception ignored) {
            // the verification failure is what the user needs to see
        }
    }
}

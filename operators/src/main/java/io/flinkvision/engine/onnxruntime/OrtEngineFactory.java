package io.flinkvision.engine.onnxruntime;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.EngineStatus;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngineFactory;
import java.util.Optional;
import org.apache.flink.annotation.Internal;

/** {@link InferenceEngineFactory} of {@link OrtInferenceEngine}; always available (CPU). */
@Internal
public final class OrtEngineFactory implements InferenceEngineFactory {
    @Override
    public Backend backend() {
        return Backend.ONNXRUNTIME;
    }

    @Override
    public Optional<String> unavailableReason(EngineSpec spec) {
        return Optional.empty();
    }

    @Override
    public InferenceEngine open(EngineSpec spec) {
        EngineStatus.current().stage("creating the ONNX Runtime session");
        return OrtInferenceEngine.open(spec);
    }
}

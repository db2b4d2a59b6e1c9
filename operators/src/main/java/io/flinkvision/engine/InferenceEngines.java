package io.flinkvision.engine;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.apache.flink.annotation.PublicEvolving;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens engines by backend, resolving {@link Backend#AUTO}: TensorRT when it can run here, else ONNX Runtime. */
@PublicEvolving
public final class InferenceEngines {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceEngines.class);

    private InferenceEngines() {}

    /**
     * Opens the engine the spec asks for.
     *
     * @throws InferenceException if the requested backend is not available here (with the reason) or fails to open
     */
    public static InferenceEngine open(EngineSpec spec) {
        Map<Backend, InferenceEngineFactory> factories = factories();
        Backend chosen = resolve(spec, factories);
        InferenceEngineFactory f = factories.get(chosen);
        if (f == null) {
            throw new InferenceException("backend '" + chosen.id() + "' is not on the classpath");
        }
        if (spec.backend() != Backend.AUTO) {
            Optional<String> why = f.unavailableReason(spec);
            if (why.isPresent()) {
                throw new InferenceException("backend '" + chosen.id() + "' cannot run here: " + why.get()
                        + " (set the backend to onnxruntime or auto)");
            }
        }
        return f.open(spec.withBackend(chosen));
    }

    /** The backend {@link #open} would use for this spec (logs why for AUTO). */
    public static Backend resolve(EngineSpec spec) {
        return resolve(spec, factories());
    }

    private static Backend resolve(EngineSpec spec, Map<Backend, InferenceEngineFactory> factories) {
        if (spec.backend() != Backend.AUTO) {
            return spec.backend();
        }
        InferenceEngineFactory trt = factories.get(Backend.TENSORRT);
        if (trt == null) {
            LOG.info("backend auto: onnxruntime (TensorRT backend not on the classpath)");
            return Backend.ONNXRUNTIME;
        }
        Optional<String> why = trt.unavailableReason(spec);
        if (why.isPresent()) {
            LOG.info("backend auto: onnxruntime (TensorRT unavailable: {})", why.get());
            return Backend.ONNXRUNTIME;
        }
        LOG.info("backend auto: tensorrt on device {}", spec.deviceIndex());
        return Backend.TENSORRT;
    }

    private static Map<Backend, InferenceEngineFactory> factories() {
        Map<Backend, InferenceEngineFactory> m = new EnumMap<>(Backend.class);
        for (InferenceEngineFactory f : ServiceLoader.load(InferenceEngineFactory.class,
                InferenceEngines.class.getClassLoader())) {
            m.putIfAbsent(f.backend(), f);
        }
        return m;
    }
}

package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.plan.TrtVersions;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngineFactory;
import java.util.Optional;
import org.apache.flink.annotation.Internal;
import org.bytedeco.javacpp.Loader;

/**
 * {@link InferenceEngineFactory} of {@link TrtInferenceEngine}. Available when the CUDA runtime loads, the spec's
 * device exists, and the TensorRT libraries ({@code libnvinfer.so.10}, {@code libnvonnxparser.so.10}) load through
 * JavaCPP; {@code backend=auto} logs the reason otherwise and falls back to ONNX Runtime.
 */
@Internal
public final class TrtEngineFactory implements InferenceEngineFactory {
    private static volatile String trtLoadFailure;
    private static volatile boolean trtLoaded;

    @Override
    public Backend backend() {
        return Backend.TENSORRT;
    }

    @Override
    public Optional<String> unavailableReason(EngineSpec spec) {
        try {
            Optional<String> cuda = Cuda.unavailableReason(spec.deviceIndex());
            if (cuda.isPresent()) {
                return cuda;
            }
            return tensorrtLoadFailure();
        } catch (Throwable t) {
            return Optional.of("probing CUDA/TensorRT failed: " + t);
        }
    }

    /** Loads TensorRT once; the reason it does not load, or empty. Never throws. */
    static synchronized Optional<String> tensorrtLoadFailure() {
        if (trtLoaded) {
            return Optional.empty();
        }
        if (trtLoadFailure != null) {
            return Optional.of(trtLoadFailure);
        }
        try {
            Loader.load(org.bytedeco.tensorrt.global.nvinfer.class);
            Loader.load(org.bytedeco.tensorrt.global.nvonnxparser.class);
            TrtVersions.tensorrt();
            trtLoaded = true;
            return Optional.empty();
        } catch (Throwable t) {
            trtLoadFailure = "TensorRT 10 libraries (libnvinfer.so.10, libnvonnxparser.so.10) do not load: " + t;
            return Optional.of(trtLoadFailure);
        }
    }

    @Override
    public InferenceEngine open(EngineSpec spec) {
        return TrtInferenceEngine.open(spec);
    }
}

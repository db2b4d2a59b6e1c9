package io.flinkvision.engine.tensorrt.plan;

import org.apache.flink.annotation.Internal;
import org.bytedeco.tensorrt.global.nvinfer;

/** Versions of the native TensorRT library actually loaded (not the version the JavaCPP presets were built for). */
@Internal
public final class TrtVersions {
    private TrtVersions() {}

    /**
     * The loaded {@code libnvinfer} version, e.g. {@code 10.6.0} ({@code getInferLibVersion()} = major*10000 +
     * minor*100 + patch in TensorRT 10).
     *
     * @throws UnsatisfiedLinkError if TensorRT does not load
     */
    public static String tensorrt() {
        int v = nvinfer.getInferLibVersion();
        return (v / 10000) + "." + (v / 100) % 100 + "." + v % 100;
    }
}

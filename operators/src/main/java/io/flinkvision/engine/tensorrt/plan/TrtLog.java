package io.flinkvision.engine.tensorrt.plan;

import org.apache.flink.annotation.Internal;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide TensorRT {@link ILogger}: forwards TensorRT messages to SLF4J (logger
 * {@code io.flinkvision.engine.tensorrt.TensorRT}: errors at ERROR, warnings at WARN, info at DEBUG, verbose at TRACE)
 * and feeds the {@link BuildProgress} of the build in progress. One instance for the JVM: TensorRT keeps the pointer,
 * so it must never be garbage collected.
 */
@Internal
public final class TrtLog extends ILogger {
    private static final Logger LOG = LoggerFactory.getLogger("io.flinkvision.engine.tensorrt.TensorRT");

    /** The single instance (strongly reachable for the life of the JVM). */
    public static final TrtLog INSTANCE = new TrtLog();

    private volatile BuildProgress progress;
    private volatile String lastError;

    private TrtLog() {}

    /** Routes builder messages to {@code p} until {@link #stopProgress()}. */
    void startProgress(BuildProgress p) {
        progress = p;
    }

    void stopProgress() {
        progress = null;
    }

    /** Last ERROR message TensorRT logged (named in exceptions), or null. */
    public String lastError() {
        return lastError;
    }

    @Override
    public void log(Severity severity, String msg) {
        try {
            BuildProgress p = progress;
            if (p != null) {
                p.accept(msg);
            }
            // JavaCPP hands callbacks enum objects that are not the enum constants (ordinal 0): use the C++ value
            int v = severity == null ? Severity.kVERBOSE.value : severity.value;
            if (v <= Severity.kERROR.value) {
                lastError = msg;
                LOG.error("{}", msg);
            } else if (v == Severity.kWARNING.value) {
                LOG.warn("{}", msg);
            } else if (v == Severity.kINFO.value) {
                LOG.debug("{}", msg);
            } else {
                LOG.trace("{}", msg);
            }
        } catch (Throwable t) {
            // never let an exception cross back into TensorRT's native frames
        }
    }
}

package io.flinkvision.engine;

import io.flinkvision.tensor.OutputLayout;

import java.io.Serializable;
import java.util.Objects;

/**
 * Everything needed to open an {@link InferenceEngine}: serializable, so it travels with the Flink function and the
 * engine is opened in {@code open()} on the TaskManager. Build with {@link #builder()}.
 */
public final class EngineSpec implements Serializable {
    private static final long serialVersionUID = 3L;

    /**
     * Default of {@link #outputTopClasses()}: 3 classes per anchor, 10 floats per row instead of 85 for COCO. Three
     * covers the class-aware NMS of YOLOX (an anchor with more than three classes above a 0.3 score threshold is not
     * seen on COCO-like scenes; the operator counts and logs it when it happens).
     */
    public static final int DEFAULT_OUTPUT_TOP_CLASSES = 3;

    /** Model used when none is configured: shipped on the classpath (Apache-2.0, see NOTICE). */
    public static final String BUNDLED_MODEL = "classpath:/models/yolox_nano_dyn.onnx";

    private final String modelPath;
    private final Backend backend;
    private final Precision precision;
    private final int maxBatchSize;
    private final int optBatchSize;
    private final int maxInFlight;
    private final int intraOpThreads;
    private final int deviceIndex;
    private final String engineCacheDir;
    private final String sharedEngineCacheDir;
    private final boolean tf32;
    private final long workspaceBytes;
    private final String calibrationDir;
    private final int outputTopClasses;
    private final boolean cudaGraphs;

    private EngineSpec(Builder b) {
        this.modelPath = b.modelPath;
        this.backend = b.backend;
        this.precision = b.precision;
        this.maxBatchSize = b.maxBatchSize;
        this.optBatchSize = b.optBatchSize <= 0 ? b.maxBatchSize : b.optBatchSize;
        this.maxInFlight = b.maxInFlight;
        this.intraOpThreads = b.intraOpThreads;
        this.deviceIndex = b.deviceIndex;
        this.engineCacheDir = b.engineCacheDir;
        this.sharedEngineCacheDir = b.sharedEngineCacheDir;
        this.tf32 = b.tf32;
        this.workspaceBytes = b.workspaceBytes;
        this.calibrationDir = b.calibrationDir;
        this.outputTopClasses = b.outputTopClasses;
        this.cudaGraphs = b.cudaGraphs;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder pre-filled with this spec's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelPath = modelPath;
        b.backend = backend;
        b.precision = precision;
        b.maxBatchSize = maxBatchSize;
        b.optBatchSize = optBatchSize;
        b.maxInFlight = maxInFlight;
        b.intraOpThreads = intraOpThreads;
        b.deviceIndex = deviceIndex;
        b.engineCacheDir = engineCacheDir;
        b.sharedEngineCacheDir = sharedEngineCacheDir;
        b.tf32 = tf32;
        b.workspaceBytes = workspaceBytes;
        b.calibrationDir = calibrationDir;
        b.outputTopClasses = outputTopClasses;
        b.cudaGraphs = cudaGraphs;
        return b;
    }

    /** Model file path, or {@code classpath:/...} for a bundled resource. */
    public String modelPath() { return modelPath; }
    public Backend backend() { return backend; }
    public Precision precision() { return precision; }
    /** Largest micro-batch N (TensorRT: max of the optimization profile). */
    public int maxBatchSize() { return maxBatchSize; }
    /** TensorRT optimization profile's opt batch size (defaults to max). */
    public int optBatchSize() { return optBatchSize; }
    /** Execution slots: batches in flight at once. */
    public int maxInFlight() { return maxInFlight; }
    /** ONNX Runtime intra-op threads per session; 0 lets ONNX Runtime choose (one per core). */
    public int intraOpThreads() { return intraOpThreads; }
    /** CUDA device index used when Flink provides no GPU external resource. */
    public int deviceIndex() { return deviceIndex; }
    /** Local directory (path or {@code file:} URI) of the TensorRT engine cache. */
    public String engineCacheDir() { return engineCacheDir; }
    /**
     * Directory shared by the cluster's TaskManagers (any Flink file system URI: {@code hdfs://}, {@code s3://}, a
     * shared mount), where plans built by one are fetched by the others; null for none.
     */
    public String sharedEngineCacheDir() { return sharedEngineCacheDir; }
    /** TensorRT FP32: allow TF32 tensor-core math (faster, ~1% relative difference). */
    public boolean tf32() { return tf32; }
    /** TensorRT builder workspace limit in bytes. */
    public long workspaceBytes() { return workspaceBytes; }
    /** TensorRT INT8: folder of calibration images (JPEG/PNG); null for none. */
    public String calibrationDir() { return calibrationDir; }
    /**
     * TensorRT: classes kept per anchor by the output head added on the GPU ({@link OutputLayout#topK}); 0 reads
     * back the model's raw output ({@code [N, anchors, 5 + classes]}). ONNX Runtime always returns the raw output.
     */
    public int outputTopClasses() { return outputTopClasses; }
    /**
     * TensorRT: replay each execution slot's {@code enqueueV3} as a CUDA graph captured once per batch size (one driver
     * call per batch instead of one per kernel). Ignored by ONNX Runtime.
     */
    public boolean cudaGraphs() { return cudaGraphs; }

    /** Same spec on another backend. */
    public EngineSpec withBackend(Backend b) {
        return toBuilder().backend(b).build();
    }

    /** Same spec on another device index. */
    public EngineSpec withDeviceIndex(int index) {
        return toBuilder().deviceIndex(index).build();
    }

    @Override
    public String toString() {
        return "EngineSpec{model=" + modelPath + ", backend=" + backend.id() + ", precision=" + precision.id()
                + ", maxBatch=" + maxBatchSize + ", optBatch=" + optBatchSize + ", inFlight=" + maxInFlight
                + ", intraOpThreads=" + intraOpThreads + ", device=" + deviceIndex + ", cache=" + engineCacheDir
                + (sharedEngineCacheDir == null ? "" : ", sharedCache=" + sharedEngineCacheDir)
                + ", outputTopClasses=" + outputTopClasses + ", cudaGraphs=" + cudaGraphs + "}";
    }

    /** Builder with the defaults of {@code InferenceOptions}. */
    public static final class Builder {
        private String modelPath = BUNDLED_MODEL;
        private Backend backend = Backend.ONNXRUNTIME;
        private Precision precision = Precision.FP32;
        private int maxBatchSize = 8;
        private int optBatchSize = 0;
        private int maxInFlight = 2;
        private int intraOpThreads = 0;
        private int deviceIndex = 0;
        private String engineCacheDir = System.getProperty("java.io.tmpdir") + "/flinkvision-engines";
        private String sharedEngineCacheDir;
        private boolean tf32 = false;
        private long workspaceBytes = 1L << 30;
        private String calibrationDir;
        private int outputTopClasses = DEFAULT_OUTPUT_TOP_CLASSES;
        private boolean cudaGraphs = true;

        public Builder modelPath(String v) { this.modelPath = Objects.requireNonNull(v, "modelPath"); return this; }
        public Builder backend(Backend v) { this.backend = Objects.requireNonNull(v, "backend"); return this; }
        public Builder precision(Precision v) { this.precision = Objects.requireNonNull(v, "precision"); return this; }
        public Builder maxBatchSize(int v) { this.maxBatchSize = v; return this; }
        public Builder optBatchSize(int v) { this.optBatchSize = v; return this; }
        public Builder maxInFlight(int v) { this.maxInFlight = v; return this; }
        public Builder intraOpThreads(int v) { this.intraOpThreads = v; return this; }
        public Builder deviceIndex(int v) { this.deviceIndex = v; return this; }
        public Builder engineCacheDir(String v) { this.engineCacheDir = v; return this; }
        /** @param v shared plan directory URI, or null or blank for none */
        public Builder sharedEngineCacheDir(String v) {
            this.sharedEngineCacheDir = v == null || v.isBlank() ? null : v;
            return this;
        }
        public Builder tf32(boolean v) { this.tf32 = v; return this; }
        public Builder workspaceBytes(long v) { this.workspaceBytes = v; return this; }
        public Builder calibrationDir(String v) { this.calibrationDir = v; return this; }
        public Builder outputTopClasses(int v) { this.outputTopClasses = v; return this; }
        public Builder cudaGraphs(boolean v) { this.cudaGraphs = v; return this; }

        /** Checks the values; throws IllegalArgumentException naming the offending setting. */
        public EngineSpec build() {
            if (maxBatchSize < 1 || maxBatchSize > 1024) {
                throw new IllegalArgumentException("max batch size must be in 1..1024, got " + maxBatchSize);
            }
            if (optBatchSize < 0 || optBatchSize > maxBatchSize) {
                throw new IllegalArgumentException("opt batch size must be in 1..max batch size (" + maxBatchSize
                        + "), got " + optBatchSize);
            }
            if (maxInFlight < 1 || maxInFlight > 16) {
                throw new IllegalArgumentException("in-flight batches must be in 1..16, got " + maxInFlight);
            }
            if (intraOpThreads < 0) {
                throw new IllegalArgumentException("intra-op threads must be >= 0, got " + intraOpThreads);
            }
            if (deviceIndex < 0) {
                throw new IllegalArgumentException("device index must be >= 0, got " + deviceIndex);
            }
            if (outputTopClasses < 0) {
                throw new IllegalArgumentException("output top classes must be >= 0 (0: raw output), got "
                        + outputTopClasses);
            }
            return new EngineSpec(this);
        }
    }
}

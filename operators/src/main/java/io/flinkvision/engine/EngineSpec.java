package io.flinkvision.engine;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.OutputLayout;

import java.io.Serializable;
import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Everything needed to open an {@link InferenceEngine}: serializable, so it travels with the Flink function and the
 * engine is opened in {@code open()} on the TaskManager. Build with {@link #builder()}.
 */
@PublicEvolving
public final class EngineSpec implements Serializable {
    private static final long serialVersionUID = 4L;

    // The defaults below are those of the Builder and of the matching io.flinkvision.flink.InferenceOptions (which
    // declares its defaults with these constants: the engine layer cannot see Flink options).

    /** Default of {@link #backend()}: TensorRT when a GPU and its libraries load, else ONNX Runtime. */
    public static final Backend DEFAULT_BACKEND = Backend.AUTO;
    /** Default of {@link #precision()}. */
    public static final Precision DEFAULT_PRECISION = Precision.FP32;
    /** Default of {@link #maxBatchSize()}, frames per micro-batch. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 8;
    /** Largest accepted {@link #maxBatchSize()}. */
    public static final int MAX_BATCH_SIZE_LIMIT = 1024;
    /** Default of {@link #maxInFlight()}, execution slots. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 2;
    /** Largest accepted {@link #maxInFlight()}. */
    public static final int MAX_IN_FLIGHT_LIMIT = 16;
    /** Default local TensorRT engine cache: {@code flinkvision-engines} under {@code java.io.tmpdir}. */
    public static final String DEFAULT_ENGINE_CACHE_DIR = System.getProperty("java.io.tmpdir") + "/flinkvision-engines";
    /** Default of {@link #workspaceBytes()}: 1 GiB. */
    public static final long DEFAULT_WORKSPACE_BYTES = 1L << 30;
    /** Default of {@link #builderOptimizationLevel()} (TensorRT's own default). */
    public static final int DEFAULT_BUILDER_OPTIMIZATION_LEVEL = 3;
    /** Default of {@link #inputType()}: 1 byte per pixel value uploaded, cast to float32 on the GPU. */
    public static final ElementType DEFAULT_INPUT_TYPE = ElementType.UINT8;

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
    private final int builderOptimizationLevel;
    private final ElementType inputType;
    private final boolean int8QuantizeHead;
    private final CalibrationAlgorithm calibrationAlgorithm;
    private final CalibrationInput calibrationInput;

    /** TensorRT INT8 calibrator: {@code IInt8EntropyCalibrator2} or {@code IInt8MinMaxCalibrator}. */
    public enum CalibrationAlgorithm { ENTROPY, MINMAX }

    /**
     * Element type of the INT8 calibration batches: the network input's ({@link #NETWORK}, uint8 with the default
     * input type) or float32 pixel values ({@link #FLOAT32}).
     */
    public enum CalibrationInput { NETWORK, FLOAT32 }

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
        this.builderOptimizationLevel = b.builderOptimizationLevel;
        this.inputType = b.inputType;
        this.int8QuantizeHead = b.int8QuantizeHead;
        this.calibrationAlgorithm = b.calibrationAlgorithm;
        this.calibrationInput = b.calibrationInput;
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
        b.builderOptimizationLevel = builderOptimizationLevel;
        b.inputType = inputType;
        b.int8QuantizeHead = int8QuantizeHead;
        b.calibrationAlgorithm = calibrationAlgorithm;
        b.calibrationInput = calibrationInput;
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
    /** TensorRT builder optimization level, 0..5 (part of the plan cache key). */
    public int builderOptimizationLevel() { return builderOptimizationLevel; }
    /**
     * TensorRT: element type of the network input the host fills, {@link ElementType#UINT8} (pixel bytes, cast to
     * float32 on the GPU) or {@link ElementType#FLOAT32} (the model's own input; 4x the upload bytes).
     */
    public ElementType inputType() { return inputType; }
    /** TensorRT INT8: also quantize the output head (false keeps it in FP16). */
    public boolean int8QuantizeHead() { return int8QuantizeHead; }
    /** TensorRT INT8: the calibrator (part of the calibration id of the plan cache key unless entropy). */
    public CalibrationAlgorithm calibrationAlgorithm() { return calibrationAlgorithm; }
    /** TensorRT INT8: element type of the calibration batches (part of the calibration id unless network). */
    public CalibrationInput calibrationInput() { return calibrationInput; }

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
                + ", outputTopClasses=" + outputTopClasses + ", cudaGraphs=" + cudaGraphs
                + ", optimizationLevel=" + builderOptimizationLevel + ", inputType=" + inputType + "}";
    }

    /** Builder with the defaults of {@code InferenceOptions} (the {@code DEFAULT_*} constants of this class). */
    public static final class Builder {
        private String modelPath = BUNDLED_MODEL;
        private Backend backend = DEFAULT_BACKEND;
        private Precision precision = DEFAULT_PRECISION;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private int optBatchSize = 0;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int intraOpThreads = 0;
        private int deviceIndex = 0;
        private String engineCacheDir = DEFAULT_ENGINE_CACHE_DIR;
        private String sharedEngineCacheDir;
        private boolean tf32 = false;
        private long workspaceBytes = DEFAULT_WORKSPACE_BYTES;
        private String calibrationDir;
        private int outputTopClasses = DEFAULT_OUTPUT_TOP_CLASSES;
        private boolean cudaGraphs = true;
        private int builderOptimizationLevel = DEFAULT_BUILDER_OPTIMIZATION_LEVEL;
        private ElementType inputType = DEFAULT_INPUT_TYPE;
        private boolean int8QuantizeHead = false;
        private CalibrationAlgorithm calibrationAlgorithm = CalibrationAlgorithm.ENTROPY;
        private CalibrationInput calibrationInput = CalibrationInput.NETWORK;

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
        public Builder builderOptimizationLevel(int v) { this.builderOptimizationLevel = v; return this; }
        public Builder inputType(ElementType v) {
            this.inputType = Objects.requireNonNull(v, "inputType");
            return this;
        }
        public Builder int8QuantizeHead(boolean v) { this.int8QuantizeHead = v; return this; }
        public Builder calibrationAlgorithm(CalibrationAlgorithm v) {
            this.calibrationAlgorithm = Objects.requireNonNull(v, "calibrationAlgorithm");
            return this;
        }
        public Builder calibrationInput(CalibrationInput v) {
            this.calibrationInput = Objects.requireNonNull(v, "calibrationInput");
            return this;
        }

        /** Checks the values; throws IllegalArgumentException naming the offending setting. */
        public EngineSpec build() {
            if (maxBatchSize < 1 || maxBatchSize > MAX_BATCH_SIZE_LIMIT) {
                throw new IllegalArgumentException("max batch size must be in 1.." + MAX_BATCH_SIZE_LIMIT + ", got "
                        + maxBatchSize);
            }
            if (optBatchSize < 0 || optBatchSize > maxBatchSize) {
                throw new IllegalArgumentException("opt batch size must be in 1..max batch size (" + maxBatchSize
                        + "), got " + optBatchSize);
            }
            if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
                throw new IllegalArgumentException("in-flight batches must be in 1.." + MAX_IN_FLIGHT_LIMIT + ", got "
                        + maxInFlight);
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
            if (builderOptimizationLevel < 0 || builderOptimizationLevel > 5) {
                throw new IllegalArgumentException("builder optimization level must be in 0..5, got "
                        + builderOptimizationLevel);
            }
            return new EngineSpec(this);
        }
    }
}

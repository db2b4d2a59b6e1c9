package io.flinkvision.flink;

import io.flinkvision.pipeline.JpegDecodeDevice;
import io.flinkvision.pipeline.LetterboxDevice;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.Precision;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.postprocess.PostprocessConfig;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.verification.VerificationSettings;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Configuration options of the inference operator, as Flink {@link ConfigOption}s (settable in the Flink
 * configuration, {@code -D} on the command line, or through {@link GpuInferenceFunction.Builder}): the one source of
 * their defaults. Code that needs a default reads {@code OPTION.defaultValue()}; engine-level defaults are declared
 * with {@link EngineSpec}'s {@code DEFAULT_*} constants, which {@link EngineSpec.Builder} starts from (the engine layer
 * cannot import Flink). {@link InferenceSettings} turns a configuration of these options into the engine spec, the
 * batch policy, the post-processing and the decode limits.
 */
@PublicEvolving
public final class InferenceOptions {
    private InferenceOptions() {}

    public static final ConfigOption<String> MODEL_PATH = ConfigOptions.key("inference.model.path").stringType()
            .defaultValue(EngineSpec.BUNDLED_MODEL)
            .withDescription("ONNX model file ([batch,3,H,W] -> [batch,anchors,5+classes], YOLOX layout);"
                    + " 'classpath:/models/yolox_nano_dyn.onnx' is the bundled YOLOX-Nano.");
    public static final ConfigOption<Backend> BACKEND = ConfigOptions.key("inference.backend")
            .enumType(Backend.class).defaultValue(EngineSpec.DEFAULT_BACKEND)
            .withDescription("onnxruntime (CPU), tensorrt (CUDA GPU) or auto (TensorRT when a GPU and its libraries"
                    + " load, else ONNX Runtime).");
    public static final ConfigOption<Precision> PRECISION = ConfigOptions.key("inference.precision")
            .enumType(Precision.class).defaultValue(EngineSpec.DEFAULT_PRECISION)
            .withDescription("fp32, fp16 or int8 (TensorRT only for fp16/int8).");
    public static final ConfigOption<Integer> MAX_BATCH_SIZE = ConfigOptions.key("inference.batch.max-size")
            .intType().defaultValue(EngineSpec.DEFAULT_MAX_BATCH_SIZE)
            .withDescription("Largest micro-batch, 1.." + EngineSpec.MAX_BATCH_SIZE_LIMIT
                    + " (Triton max_batch_size).");
    public static final ConfigOption<Double> MAX_QUEUE_DELAY_MS = ConfigOptions.key("inference.batch.max-queue-delay-ms")
            .doubleType().defaultValue(20d)
            .withDescription("Longest wait in ms of a batch's first frame for others (Triton max_queue_delay).");
    public static final ConfigOption<Integer> IN_FLIGHT = ConfigOptions.key("inference.batch.in-flight")
            .intType().defaultValue(EngineSpec.DEFAULT_MAX_IN_FLIGHT)
            .withDescription("Batches in flight per subtask, 1.." + EngineSpec.MAX_IN_FLIGHT_LIMIT
                    + " (execution slots: context + stream + buffers on the GPU).");
    public static final ConfigOption<Integer> INTRA_OP_THREADS = ConfigOptions.key("inference.onnxruntime.intra-op-threads")
            .intType().defaultValue(0)
            .withDescription("ONNX Runtime intra-op threads per subtask; 0 = one per core.");
    public static final ConfigOption<Integer> PREPROCESS_THREADS = ConfigOptions.key("inference.preprocess-threads")
            .intType().defaultValue(2)
            .withDescription("Threads per subtask decoding and letterboxing frames.");
    public static final ConfigOption<Integer> OPENCV_THREADS = ConfigOptions.key("inference.preprocess.opencv-threads")
            .intType().defaultValue(1)
            .withDescription("Threads of OpenCV's own pool (cv::setNumThreads, JVM-wide). 1 (default) turns it"
                    + " off: frames are already letterboxed in parallel on the pre-processing threads, and"
                    + " OpenCV's pool on top of them costs host-side throughput. -1 leaves OpenCV's default.");
    public static final ConfigOption<LetterboxDevice> LETTERBOX = ConfigOptions.key("inference.preprocess.letterbox")
            .enumType(LetterboxDevice.class).defaultValue(LetterboxDevice.AUTO)
            .withDescription("Where frames are resized and padded to the model input: CPU (OpenCV on the pre-processing"
                    + " threads, the reference), GPU (one CUDA kernel per batch on the engine's stream, same bytes as"
                    + " OpenCV; TensorRT only: the host just copies the decoded pixels into pinned memory), AUTO (GPU"
                    + " when the engine can, else CPU) or HYBRID (CPU while the pre-processing threads keep up, frames"
                    + " beyond inference.preprocess.hybrid-backlog on the GPU; batches mixed). AUTO is the default:"
                    + " the GPU letterbox is steadier across hosts, with a lower p99 latency, and leaves the host"
                    + " cores free (docs/DESIGN.md#letterbox).");
    public static final ConfigOption<JpegDecodeDevice> JPEG_DECODE = ConfigOptions
            .key("inference.preprocess.jpeg-decode").enumType(JpegDecodeDevice.class)
            .defaultValue(JpegDecodeDevice.AUTO)
            .withDescription("Where JPEG frames letterboxed on the GPU are decoded: CPU (OpenCV on the pre-processing"
                    + " threads, the reference), GPU (the GPU's hardware JPEG decoder through nvJPEG, one batched call"
                    + " per micro-batch; the host only checks the header and stages the file; A100/A30/H100/H200-class"
                    + " GPUs; progressive, gray and CMYK files still go to the CPU) or AUTO (GPU when the letterbox runs"
                    + " on the GPU and the GPU has the decoder, else CPU; the default). A batch the hardware decoder"
                    + " refuses is decoded again on the CPU, frame by frame.");
    public static final ConfigOption<Integer> HYBRID_BACKLOG = ConfigOptions
            .key("inference.preprocess.hybrid-backlog").intType()
            .defaultValue(io.flinkvision.pipeline.DetectionPipeline.DEFAULT_HYBRID_BACKLOG)
            .withDescription("With inference.preprocess.letterbox=HYBRID: a frame is only decoded and left to the GPU"
                    + " letterbox when more than this many frames wait for pre-processing (the cores are behind);"
                    + " otherwise it is letterboxed on its pre-processing thread.");
    public static final ConfigOption<Float> SCORE_THRESHOLD = ConfigOptions.key("inference.score-threshold")
            .floatType().defaultValue(PostprocessConfig.DEFAULT.scoreThreshold())
            .withDescription("Minimum detection score (objectness * class probability).");
    public static final ConfigOption<Float> NMS_IOU_THRESHOLD = ConfigOptions.key("inference.nms-iou-threshold")
            .floatType().defaultValue(PostprocessConfig.DEFAULT.nmsIouThreshold())
            .withDescription("Class-aware NMS IoU threshold.");
    public static final ConfigOption<Integer> DEVICE_INDEX = ConfigOptions.key("inference.device-index")
            .intType().defaultValue(0)
            .withDescription("CUDA device used when Flink provides no 'gpu' external resource (e.g. MiniCluster); with"
                    + " one, each subtask takes the TaskManager's GPU with the fewest subtasks on it.");
    public static final ConfigOption<String> ENGINE_CACHE_DIR = ConfigOptions.key("inference.tensorrt.engine-cache-dir")
            .stringType().defaultValue(EngineSpec.DEFAULT_ENGINE_CACHE_DIR)
            .withDescription("Local directory of cached TensorRT plans (a path or file: URI).");
    public static final ConfigOption<String> ENGINE_CACHE_SHARED_DIR = ConfigOptions
            .key("inference.tensorrt.engine-cache-shared-dir").stringType().noDefaultValue()
            .withDescription("Directory shared by the cluster, on any Flink file system (hdfs://, s3://, gs://, a shared"
                    + " mount): a TaskManager missing a plan locally fetches it from here before building it, and"
                    + " uploads the plans it builds. Unset: each TaskManager builds its own.");
    public static final ConfigOption<Integer> OUTPUT_TOP_CLASSES = ConfigOptions
            .key("inference.tensorrt.output-top-classes").intType().defaultValue(EngineSpec.DEFAULT_OUTPUT_TOP_CLASSES)
            .withDescription("TensorRT: classes per anchor the GPU keeps (objectness * class probability, best first);"
                    + " the engine then copies back 4 + 2K floats per anchor instead of 5 + classes. 0 copies back the"
                    + " raw model output.");
    public static final ConfigOption<Boolean> CUDA_GRAPHS = ConfigOptions.key("inference.tensorrt.cuda-graphs")
            .booleanType().defaultValue(true)
            .withDescription("TensorRT: capture each execution slot's enqueueV3 as a CUDA graph once per batch size and"
                    + " replay it (one driver call per batch instead of one per kernel, which cuts the host time the"
                    + " dispatch thread spends queueing each batch). If a capture fails the slot logs why and goes on"
                    + " without graphs.");
    public static final ConfigOption<Boolean> TF32 = ConfigOptions.key("inference.tensorrt.tf32")
            .booleanType().defaultValue(false)
            .withDescription("TensorRT FP32: allow TF32 tensor-core math (faster, about 1% relative difference).");
    public static final ConfigOption<Long> WORKSPACE_BYTES = ConfigOptions.key("inference.tensorrt.workspace-bytes")
            .longType().defaultValue(EngineSpec.DEFAULT_WORKSPACE_BYTES)
            .withDescription("TensorRT builder workspace pool limit, bytes (default 1 GiB); raise it when a build"
                    + " fails for lack of workspace.");
    public static final ConfigOption<String> CALIBRATION_DIR = ConfigOptions.key("inference.tensorrt.calibration-dir")
            .stringType().noDefaultValue()
            .withDescription("TensorRT INT8: folder of representative JPEG/PNG frames to calibrate with; not needed"
                    + " once the calibration cache beside the engine cache holds the scales.");
    public static final ConfigOption<Integer> BUILDER_OPTIMIZATION_LEVEL = ConfigOptions
            .key("inference.tensorrt.builder-optimization-level").intType()
            .defaultValue(EngineSpec.DEFAULT_BUILDER_OPTIMIZATION_LEVEL)
            .withDescription("TensorRT builder optimization level, 0..5 (higher: longer builds, maybe faster plans);"
                    + " part of the engine cache key.");
    public static final ConfigOption<ElementType> INPUT_TYPE = ConfigOptions.key("inference.tensorrt.input-type")
            .enumType(ElementType.class).defaultValue(EngineSpec.DEFAULT_INPUT_TYPE)
            .withDescription("TensorRT: element type the host uploads, UINT8 (pixel bytes, cast to float32 on the GPU)"
                    + " or FLOAT32 (the model's own input, 4x the bytes); part of the engine cache key.");
    public static final ConfigOption<Boolean> INT8_QUANTIZE_HEAD = ConfigOptions
            .key("inference.tensorrt.int8-quantize-head").booleanType().defaultValue(false)
            .withDescription("TensorRT INT8: quantize the output head too (false keeps the layers from the output back"
                    + " to the last convolutions in FP16); part of the engine cache key.");
    public static final ConfigOption<EngineSpec.CalibrationAlgorithm> INT8_CALIBRATOR = ConfigOptions
            .key("inference.tensorrt.int8-calibrator").enumType(EngineSpec.CalibrationAlgorithm.class)
            .defaultValue(EngineSpec.CalibrationAlgorithm.ENTROPY)
            .withDescription("TensorRT INT8 calibrator: ENTROPY (IInt8EntropyCalibrator2) or MINMAX"
                    + " (IInt8MinMaxCalibrator).");
    public static final ConfigOption<EngineSpec.CalibrationInput> INT8_CALIBRATION_INPUT = ConfigOptions
            .key("inference.tensorrt.int8-calibration-input").enumType(EngineSpec.CalibrationInput.class)
            .defaultValue(EngineSpec.CalibrationInput.NETWORK)
            .withDescription("TensorRT INT8: element type of the calibration batches, NETWORK (the network input's,"
                    + " uint8 by default) or FLOAT32 (docs/DESIGN.md#int8).");
    public static final ConfigOption<Integer> MAX_FRAME_BYTES = ConfigOptions.key("inference.max-frame-bytes")
            .intType().defaultValue(DecodeLimits.DEFAULT.maxFrameBytes())
            .withDescription("Largest encoded frame accepted, bytes; larger ones become dead letters.");
    public static final ConfigOption<Long> MAX_PIXELS = ConfigOptions.key("inference.max-pixels")
            .longType().defaultValue(DecodeLimits.DEFAULT.maxPixels())
            .withDescription("Largest image accepted (width*height from its header), refused before decoding.");
    public static final ConfigOption<Long> TIMEOUT_MS = ConfigOptions.key("inference.async.timeout-ms")
            .longType().defaultValue(30_000L)
            .withDescription("Async timeout per frame, ms, counted from entering the operator (batch wait included).");
    public static final ConfigOption<Integer> CAPACITY = ConfigOptions.key("inference.async.capacity")
            .intType().defaultValue(64)
            .withDescription("Frames in flight per subtask in the async operator (also what checkpoints hold).");
    public static final ConfigOption<TimeoutOutput> TIMEOUT_OUTPUT = ConfigOptions.key("inference.async.timeout-output")
            .enumType(TimeoutOutput.class).defaultValue(TimeoutOutput.ERROR_RECORD)
            .withDescription("What a timed-out frame becomes: ERROR_RECORD (detections topic, status=error) or"
                    + " DEAD_LETTER.");
    public static final ConfigOption<Integer> DEAD_LETTER_MAX_RECORD_BYTES = ConfigOptions
            .key("inference.dead-letter.max-record-bytes").intType().defaultValue(1024 * 1024)
            .withDescription("Largest dead-letter record, bytes, as Kafka's producer estimates it (key + value +"
                    + " headers + record and batch overhead); also the dead-letter sink's max.request.size. A dead"
                    + " letter that would be larger keeps only its dlq.* headers and a prefix of the value"
                    + " (dlq.truncated=true). The default, 1 MiB, is Kafka's default max.request.size and fits a topic"
                    + " with the broker's default max.message.bytes; raise it together with the dead-letter topic's"
                    + " max.message.bytes to keep large frames whole. At least 16384.");
    public static final ConfigOption<Integer> DEAD_LETTER_MAX_HEADERS_BYTES = ConfigOptions
            .key("inference.dead-letter.max-headers-bytes").intType().defaultValue(64 * 1024)
            .withDescription("Largest total of the original headers (keys in UTF-8 + values, bytes) a dead letter"
                    + " copies; a record with more is dead-lettered truncated (no original headers).");
    public static final ConfigOption<Integer> DEAD_LETTER_MAX_MESSAGE_BYTES = ConfigOptions
            .key("inference.dead-letter.max-message-bytes").intType().defaultValue(2048)
            .withDescription("Largest dlq.message header, bytes of UTF-8; a longer message is cut at a character"
                    + " boundary and ends with '...'.");
    public static final ConfigOption<Boolean> VERIFY_ON_BUILD = ConfigOptions.key("inference.verify-on-build")
            .booleanType().defaultValue(false).withFallbackKeys("inference.tensorrt.verify-on-build")
            .withDescription("Compare each subtask's engine with ONNX Runtime on real frames before it serves (for"
                    + " TensorRT: the plan just built, or loaded from the cache or the shared store) and fail the job"
                    + " when it matches fewer reference detections at IoU >= 0.9 than inference.verify.min-agreement."
                    + " The verdict is stored in <engine cache dir>/verdicts and reused for the same plan. INT8 engines"
                    + " are always verified: to serve one that matches less, set inference.verify.min-agreement to the"
                    + " agreement you accept.");
    public static final ConfigOption<String> VERIFY_REFERENCE_MODEL = ConfigOptions
            .key("inference.verify.reference-model").stringType().noDefaultValue()
            .withDescription("ONNX model ONNX Runtime runs as the reference of inference.verify-on-build; unset: the"
                    + " served model (inference.model.path).");
    public static final ConfigOption<Double> VERIFY_MIN_AGREEMENT = ConfigOptions
            .key("inference.verify.min-agreement").doubleType()
            .defaultValue(VerificationSettings.DEFAULT_MIN_AGREEMENT)
            .withDescription("Fraction of the reference detections, in [0, 1], the engine must match (same class, IoU"
                    + " >= 0.9) for inference.verify-on-build to pass.");
    public static final ConfigOption<String> VERIFY_FRAMES_DIR = ConfigOptions.key("inference.verify.frames-dir")
            .stringType().noDefaultValue()
            .withDescription("Folder of JPEG/PNG frames inference.verify-on-build runs on; unset: the bundled golden"
                    + " frames (5 images).");
}

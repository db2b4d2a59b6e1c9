package io.flinkvision.jobs.cli;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.Precision;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.flink.InferenceProfile;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The inference flags shared by every command that opens an engine ({@code @Mixin InferenceFlags}): the model, the
 * backend, the precision, the micro-batch size and queue delay, the execution slots, the device, the TensorRT engine
 * cache and calibration folder, {@code -D inference.*=...} and {@code --profile}. The flags have no defaults of their
 * own: the help shows, and an unset flag takes, the default of its {@link InferenceOptions} option
 * ({@link OptionDefaults}). {@link #options()} maps the command line onto {@code inference.*} keys, the profile's
 * values under {@code -D} under the flags given, and {@link #configuration()} is those keys as the operator reads them.
 *
 * <p>{@link #FLAG_OPTIONS} names every flag of the project that sets an inference option, the command-specific ones
 * too (a command declares those itself, e.g. {@code detect --score-threshold}): they get their default the same way
 * and are mapped by {@link #options()} when given.
 */
@Command(defaultValueProvider = InferenceFlags.OptionDefaults.class)
public final class InferenceFlags {
    /** Flag name -> the option it sets, for the flags of this mixin and those commands declare themselves. */
    public static final Map<String, ConfigOption<?>> FLAG_OPTIONS = flagOptions();

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--model", paramLabel = "FILE", description = "ONNX model file ([batch,3,H,W] -> [batch,anchors,"
            + "5+classes]); default: ${DEFAULT-VALUE} (the bundled YOLOX-Nano).")
    String model;
    @Option(names = "--backend", converter = OptionValues.BackendName.class,
            description = "onnxruntime, tensorrt or auto (TensorRT when a GPU and its libraries load, else ONNX"
                    + " Runtime) (default: ${DEFAULT-VALUE}).")
    Backend backend;
    @Option(names = "--precision", converter = OptionValues.PrecisionName.class,
            description = "fp32, fp16 or int8 (fp16 and int8: TensorRT) (default: ${DEFAULT-VALUE}).")
    Precision precision;
    @Option(names = "--batch-size", paramLabel = "N", converter = OptionValues.PositiveInt.class,
            description = "Max micro-batch size (default: ${DEFAULT-VALUE}).")
    Integer batchSize;
    @Option(names = "--max-queue-delay-ms", paramLabel = "MS", converter = OptionValues.NonNegativeDouble.class,
            description = "Longest wait of a micro-batch's first frame for others, ms (default: ${DEFAULT-VALUE}).")
    Double maxQueueDelayMs;
    @Option(names = "--in-flight", paramLabel = "N", converter = OptionValues.PositiveInt.class,
            description = "Batches in flight per engine: execution slots (default: ${DEFAULT-VALUE}).")
    Integer inFlight;
    @Option(names = "--device-index", paramLabel = "N", converter = OptionValues.NonNegativeInt.class,
            description = "CUDA device when Flink provides no 'gpu' resource (default: ${DEFAULT-VALUE}).")
    Integer deviceIndex;
    @Option(names = "--engine-cache-dir", paramLabel = "DIR", description = "Directory of the TensorRT engine cache"
            + " (plans, timing cache), kept across runs so only the first run builds (default: ${DEFAULT-VALUE}).")
    String engineCacheDir;
    @Option(names = "--calibration-dir", paramLabel = "DIR", description = "TensorRT INT8: folder of representative"
            + " JPEG/PNG frames to calibrate with (default: none; the calibration cache may hold the scales).")
    String calibrationDir;
    @Option(names = "--tf32", description = "TensorRT FP32: allow TF32 tensor-core math.")
    Boolean tf32;
    @Option(names = {"-D", "--inference"}, paramLabel = "KEY=VALUE",
            description = "Any inference.* option (README, Configuration); a flag above wins over it.")
    Map<String, String> inference = new LinkedHashMap<>();
    @Option(names = "--profile", paramLabel = "NAME", defaultValue = "default",
            description = "Set of inference.* values under -D and the flags: default (the options' defaults) or gpu"
                    + " (TensorRT FP16, batch 32, 5 ms, 8 slots, capacity 512, 8 pre-processing threads; 2 subtasks"
                    + " per GPU) (default: ${DEFAULT-VALUE}).")
    String profile;

    /** The profile named by {@code --profile}, {@link InferenceProfile#DEFAULT} without it. */
    public InferenceProfile profile() {
        return profile == null ? InferenceProfile.DEFAULT : InferenceProfile.parse(profile);
    }

    /**
     * The {@code inference.*} values of the command line, in the order they win over each other: the profile's, then
     * {@code -D}, then every flag of {@link #FLAG_OPTIONS} that was given (the command's own ones included). A flag
     * left out adds nothing, so the profile's or the option's default stays.
     *
     * @throws IllegalArgumentException for an unknown profile
     */
    public Map<String, String> options() {
        Map<String, String> m = new LinkedHashMap<>(profile().options());
        m.putAll(inference);
        ParseResult parsed = mixee == null || mixee.commandLine() == null ? null
                : mixee.commandLine().getParseResult();
        if (parsed != null) {
            FLAG_OPTIONS.forEach((flag, option) -> {
                if (parsed.hasMatchedOption(flag)) {
                    m.put(option.key(), text(parsed.matchedOptionValue(flag, null)));
                }
            });
        } else { // built without parsing: the fields set are the flags given
            putIf(m, InferenceOptions.MODEL_PATH, model);
            putIf(m, InferenceOptions.BACKEND, backend);
            putIf(m, InferenceOptions.PRECISION, precision);
            putIf(m, InferenceOptions.MAX_BATCH_SIZE, batchSize);
            putIf(m, InferenceOptions.MAX_QUEUE_DELAY_MS, maxQueueDelayMs);
            putIf(m, InferenceOptions.IN_FLIGHT, inFlight);
            putIf(m, InferenceOptions.DEVICE_INDEX, deviceIndex);
            putIf(m, InferenceOptions.ENGINE_CACHE_DIR, engineCacheDir);
            putIf(m, InferenceOptions.CALIBRATION_DIR, calibrationDir);
            putIf(m, InferenceOptions.TF32, tf32);
        }
        return m;
    }

    /** {@link #options()} as a Flink configuration: what the operator and the engine read (defaults for unset keys). */
    public Configuration configuration() {
        return Configuration.fromMap(options());
    }

    private static void putIf(Map<String, String> m, ConfigOption<?> option, Object value) {
        if (value != null) {
            m.put(option.key(), text(value));
        }
    }

    /** A flag's value as an option value: enum constants by name, anything else as its string. */
    private static String text(Object value) {
        return value instanceof Enum<?> e ? e.name() : String.valueOf(value);
    }

    private static Map<String, ConfigOption<?>> flagOptions() {
        Map<String, ConfigOption<?>> m = new LinkedHashMap<>();
        // this mixin's flags
        m.put("--model", InferenceOptions.MODEL_PATH);
        m.put("--backend", InferenceOptions.BACKEND);
        m.put("--precision", InferenceOptions.PRECISION);
        m.put("--batch-size", InferenceOptions.MAX_BATCH_SIZE);
        m.put("--max-queue-delay-ms", InferenceOptions.MAX_QUEUE_DELAY_MS);
        m.put("--in-flight", InferenceOptions.IN_FLIGHT);
        m.put("--device-index", InferenceOptions.DEVICE_INDEX);
        m.put("--engine-cache-dir", InferenceOptions.ENGINE_CACHE_DIR);
        m.put("--calibration-dir", InferenceOptions.CALIBRATION_DIR);
        m.put("--tf32", InferenceOptions.TF32);
        // job
        m.put("--timeout-ms", InferenceOptions.TIMEOUT_MS);
        m.put("--capacity", InferenceOptions.CAPACITY);
        // detect
        m.put("--score-threshold", InferenceOptions.SCORE_THRESHOLD);
        m.put("--nms-iou-threshold", InferenceOptions.NMS_IOU_THRESHOLD);
        m.put("--max-frame-bytes", InferenceOptions.MAX_FRAME_BYTES);
        m.put("--max-pixels", InferenceOptions.MAX_PIXELS);
        // benchmark (--batch and --device: its earlier names of --batch-size and --device-index)
        m.put("--batch", InferenceOptions.MAX_BATCH_SIZE);
        m.put("--device", InferenceOptions.DEVICE_INDEX);
        m.put("--shared-engine-cache-dir", InferenceOptions.ENGINE_CACHE_SHARED_DIR);
        m.put("--top-classes", InferenceOptions.OUTPUT_TOP_CLASSES);
        m.put("--opencv-threads", InferenceOptions.OPENCV_THREADS);
        m.put("--letterbox", InferenceOptions.LETTERBOX);
        m.put("--hybrid-backlog", InferenceOptions.HYBRID_BACKLOG);
        m.put("--jpeg-decode", InferenceOptions.JPEG_DECODE);
        m.put("--cuda-graphs", InferenceOptions.CUDA_GRAPHS);
        return Collections.unmodifiableMap(m);
    }

    /**
     * picocli default provider of the mixee command: a flag of {@link #FLAG_OPTIONS} defaults to its option's
     * default (enum constants in lower case, as typed on the command line); any other option keeps its own.
     */
    public static final class OptionDefaults implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec o)) {
                return null;
            }
            ConfigOption<?> option = FLAG_OPTIONS.get(o.longestName());
            if (option == null || !option.hasDefaultValue()) {
                return null;
            }
            Object v = option.defaultValue();
            return v instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : String.valueOf(v);
        }
    }
}

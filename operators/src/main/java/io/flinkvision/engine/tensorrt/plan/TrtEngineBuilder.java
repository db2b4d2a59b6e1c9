package io.flinkvision.engine.tensorrt.plan;

import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.tensorrt.SharedEngine;
import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.tensor.OutputLayout;

import static org.bytedeco.tensorrt.global.nvinfer.createInferBuilder;
import static org.bytedeco.tensorrt.global.nvonnxparser.createParser;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.engine.EngineStatus;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.engine.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.annotation.Internal;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tensorrt.global.nvinfer.BuilderFlag;
import org.bytedeco.tensorrt.global.nvinfer.DataType;
import org.bytedeco.tensorrt.global.nvinfer.ElementWiseOperation;
import org.bytedeco.tensorrt.global.nvinfer.LayerType;
import org.bytedeco.tensorrt.global.nvinfer.MemoryPoolType;
import org.bytedeco.tensorrt.global.nvinfer.OptProfileSelector;
import org.bytedeco.tensorrt.global.nvinfer.TopKOperation;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.ICastLayer;
import org.bytedeco.tensorrt.nvinfer.IConcatenationLayer;
import org.bytedeco.tensorrt.nvinfer.IConstantLayer;
import org.bytedeco.tensorrt.nvinfer.IGatherLayer;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILayer;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvinfer.ITopKLayer;
import org.bytedeco.tensorrt.nvinfer.Weights;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.bytedeco.tensorrt.nvonnxparser.IParserError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX model -> serialized TensorRT plan (builder -> network -> ONNX parser -> config -> {@code buildSerializedNetwork}),
 * the sequence of TensorRT's SampleOnnxMNIST.
 *
 * <ul>
 *   <li>Input: the ONNX input must be float32 {@code [batch, 3, H, W]} and the output float32
 *       {@code [batch, rows, columns]}. With {@link ElementType#UINT8} the network gets a new uint8 input of the same
 *       name and shape followed by a cast layer to float32 that feeds every consumer of the original input (which is
 *       removed): the host uploads 1 byte per pixel value instead of 4.</li>
 *   <li>Precision: FP32 (TF32 tensor-core math cleared unless asked), FP16 ({@code kFP16}), INT8 ({@code kINT8} +
 *       {@code kFP16} for layers without INT8 kernels, entropy calibration with {@link Int8Calibrator}).</li>
 *   <li>One optimization profile {@code min 1, opt, max} on the batch dimension; workspace pool limit; a timing cache
 *       file read before and written after every build (atomically), shared by builds of one GPU model.</li>
 *   <li>Output: unless {@code outputTopClasses} is 0, an output head on the GPU reduces the raw YOLOX rows to the
 *       box and the top-K class scores ({@link #addTopClassesHead}).</li>
 *   <li>Progress: TensorRT log lines -> {@link BuildProgress} -> INFO lines with phase and percent, plus a heartbeat
 *       every 15 s, and the calling thread's {@link EngineStatus}.</li>
 * </ul>
 * Parser errors are listed with their ONNX node index, name and operator. Builds are serialized per JVM (one at a time):
 * a build saturates the GPU and the CPU anyway.
 */
@Internal
public final class TrtEngineBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(TrtEngineBuilder.class);
    private static final Object BUILD_LOCK = new Object();

    private TrtEngineBuilder() {}

    /**
     * What to build.
     *
     * @param model the ONNX model
     * @param key the cache key (precision, batch profile, input type, optimization level are taken from it)
     * @param device CUDA device ordinal to build on
     * @param workspaceBytes builder workspace pool limit in bytes
     * @param timingCacheFile timing cache file (read if present, rewritten after the build); null for none
     * @param calibrationImages INT8 only: calibration image files (JPEG/PNG)
     * @param calibrationCacheFile INT8 only: calibration cache file (read if present, else written)
     * @param int8QuantizeHead INT8 only: quantize the output head too (false keeps it in FP16)
     * @param calibrationAlgorithm INT8 only: entropy or min-max calibrator
     * @param calibrationInput INT8 only: element type of the calibration batches
     */
    public record Request(ModelSource model, PlanCacheKey key, int device, long workspaceBytes, Path timingCacheFile,
            List<Path> calibrationImages, Path calibrationCacheFile, boolean int8QuantizeHead,
            EngineSpec.CalibrationAlgorithm calibrationAlgorithm, EngineSpec.CalibrationInput calibrationInput) {}

    /**
     * Builds a serialized plan.
     *
     * @return the plan bytes
     * @throws InferenceException naming the parser errors (with node names), the TensorRT error, or the CUDA call that
     *     failed, and the device
     */
    public static byte[] build(Request req) {
        synchronized (BUILD_LOCK) {
            return buildLocked(req);
        }
    }

    private static byte[] buildLocked(Request req) {
        PlanCacheKey key = req.key();
        String devLabel = Cuda.deviceLabel(req.device());
        Cuda.setDevice(req.device());
        // the opening thread's engine status: the console and the operator's gauges follow the build
        BuildProgress progress = new BuildProgress(key.fileName(), LOG::info, EngineStatus.current());
        TrtLog.INSTANCE.startProgress(progress);
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trt-build-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleAtFixedRate(progress::heartbeat, 15, 15, TimeUnit.SECONDS);
        // Objects made by createXxx are not freed by JavaCPP's deallocate() (javacpp-presets#1699); a build happens
        // once per cache key and process, so the builder's host memory is an accepted one-time cost.
        IBuilder builder = null;
        List<Pointer> keepAlive = new ArrayList<>(); // constant weights: TensorRT reads them during the build
        Int8Calibrator calibrator = null;
        org.bytedeco.tensorrt.nvinfer.IInt8Calibrator trtCalibrator = null; // reachable until the build ends
        try {
            builder = createInferBuilder(TrtLog.INSTANCE);
            if (builder == null || builder.isNull()) {
                throw new InferenceException("createInferBuilder failed on " + devLabel + ": "
                        + TrtLog.INSTANCE.lastError());
            }
            INetworkDefinition network = builder.createNetworkV2(0); // TensorRT 10: explicit batch always
            IParser parser = createParser(network, TrtLog.INSTANCE);
            byte[] onnx = req.model().bytes();
            BytePointer onnxPtr = new BytePointer(onnx);
            if (!parser.parse(onnxPtr, onnx.length)) {
                throw new InferenceException("TensorRT ONNX parser refused model '" + req.model().name() + "' (sha256 "
                        + req.model().sha256() + "): " + parserErrors(parser)
                        + " (check inference.model.path: a YOLOX ONNX export, opset 11+)");
            }
            Geometry g = checkGeometry(network, req.model().name());
            if (key.inputType() == ElementType.UINT8) {
                try {
                    addUint8Input(network, g);
                } catch (InferenceException e) {
                    // Defensive: the plan then has a float32 input, which SharedEngine reads back from the engine and
                    // EngineInfo.inputType() reports, so the host fills float32 and stays correct (4x more H2D bytes).
                    LOG.warn("cannot give the network a uint8 input ({}): building with the model's float32 input",
                            e.getMessage());
                }
            }
            IBuilderConfig config = builder.createBuilderConfig();
            config.setMemoryPoolLimit(MemoryPoolType.kWORKSPACE, req.workspaceBytes());
            config.setBuilderOptimizationLevel(key.builderOptimizationLevel());
            switch (key.precision()) {
                case FP32:
                    if (!key.tf32()) {
                        config.clearFlag(BuilderFlag.kTF32);
                    }
                    break;
                case FP16:
                    config.setFlag(BuilderFlag.kFP16);
                    break;
                case INT8:
                    config.setFlag(BuilderFlag.kINT8);
                    config.setFlag(BuilderFlag.kFP16);
                    if (!req.int8QuantizeHead()) {
                        int kept = keepOutputHeadInFp16(network);
                        config.setFlag(BuilderFlag.kPREFER_PRECISION_CONSTRAINTS);
                        LOG.info("INT8: {} output-head layers (from the output back to the last convolutions) kept"
                                + " in FP16 (inference.tensorrt.int8-quantize-head=true quantizes them too)", kept);
                    }
                    break;
                default:
                    throw new IllegalStateException();
            }
            if (key.outputTopClasses() > 0) {
                addTopClassesHead(network, g, key.outputTopClasses(), keepAlive);
                if (key.precision() != Precision.FP32) {
                    config.setFlag(BuilderFlag.kPREFER_PRECISION_CONSTRAINTS);
                }
            }
            IOptimizationProfile profile = builder.createOptimizationProfile();
            setProfile(profile, g.inputName, key.minBatch(), key.optBatch(), key.maxBatch(), g);
            config.addOptimizationProfile(profile);
            if (key.precision() == Precision.INT8) {
                int calBatch = Math.min(8, key.maxBatch());
                calibrator = new Int8Calibrator(req.calibrationImages(), req.calibrationCacheFile(), calBatch,
                        g.height, g.width, key.inputType(), req.device(), req.calibrationAlgorithm(),
                        req.calibrationInput());
                IOptimizationProfile calProfile = builder.createOptimizationProfile();
                setProfile(calProfile, g.inputName, calBatch, calBatch, calBatch, g);
                config.setCalibrationProfile(calProfile);
                trtCalibrator = calibrator.asTensorRt();
                config.setInt8Calibrator(trtCalibrator);
            }
            ITimingCache timingCache = loadTimingCache(config, req.timingCacheFile());
            if (!config.setTimingCache(timingCache, false)) {
                LOG.warn("TensorRT refused the timing cache {}; building without it", req.timingCacheFile());
            }
            LOG.info("TensorRT build starting on {}: {} (input {} {}x3x{}x{}, output {}x{}, workspace {} MB,"
                            + " optimization level {}, TensorRT {})", devLabel, key.describe(),
                    key.inputType().name().toLowerCase(Locale.ROOT), "N", g.height, g.width, g.rows, g.columns,
                    req.workspaceBytes() >> 20, key.builderOptimizationLevel(), TrtVersions.tensorrt());
            progress.phase("optimize");
            long t0 = System.nanoTime();
            IHostMemory plan = builder.buildSerializedNetwork(network, config);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (plan == null || plan.isNull() || plan.size() == 0) {
                throw new InferenceException("TensorRT buildSerializedNetwork failed on " + devLabel + " for "
                        + key.describe() + ": " + TrtLog.INSTANCE.lastError()
                        + " (try a larger workspace: inference.tensorrt.workspace-bytes)");
            }
            byte[] bytes = new byte[(int) plan.size()];
            new BytePointer(plan.data()).capacity(plan.size()).get(bytes);
            saveTimingCache(config, req.timingCacheFile());
            LOG.info("TensorRT build done on {} in {} s: {} bytes", devLabel,
                    String.format(Locale.ROOT, "%.1f", seconds), bytes.length);
            return bytes;
        } finally {
            heartbeat.shutdownNow();
            TrtLog.INSTANCE.stopProgress();
            if (calibrator != null) {
                calibrator.release();
            }
            if (trtCalibrator != null) {
                LOG.debug("released {}", trtCalibrator.getClass().getSimpleName());
            }
            keepAlive.forEach(Pointer::close);
        }
    }

    /** The network's I/O as the ONNX parser produced it. */
    static final class Geometry {
        String inputName;
        String outputName;
        int height;
        int width;
        int rows;
        int columns;
    }

    private static Geometry checkGeometry(INetworkDefinition network, String model) {
        if (network.getNbInputs() != 1 || network.getNbOutputs() != 1) {
            throw new InferenceException("model '" + model + "' has " + network.getNbInputs() + " inputs and "
                    + network.getNbOutputs() + " outputs; expected 1 input [batch,3,H,W] and 1 output"
                    + " [batch,rows,columns] (check inference.model.path)");
        }
        ITensor in = network.getInput(0);
        ITensor out = network.getOutput(0);
        Dims64 id = in.getDimensions();
        Dims64 od = out.getDimensions();
        if (in.getType().value != DataType.kFLOAT.value || id.nbDims() != 4 || id.d(1) != 3 || id.d(2) <= 0 || id.d(3) <= 0) {
            throw new InferenceException("model '" + model + "' input '" + in.getName() + "' is " + in.getType() + " "
                    + dims(id) + "; expected float32 [batch,3,H,W] with fixed H and W (check inference.model.path)");
        }
        if (id.d(0) != -1) {
            throw new InferenceException("model '" + model + "' has a fixed batch dimension " + id.d(0)
                    + "; the TensorRT backend needs a dynamic batch (export with dynamic axis 0, e.g."
                    + " yolox_nano_dyn.onnx)");
        }
        if (out.getType().value != DataType.kFLOAT.value || od.nbDims() != 3 || od.d(1) <= 0 || od.d(2) < 6) {
            throw new InferenceException("model '" + model + "' output is " + out.getType() + " " + dims(od)
                    + "; expected float32 [batch,rows,columns] with columns = 5 + classes");
        }
        Geometry g = new Geometry();
        g.inputName = in.getName();
        g.outputName = out.getName();
        g.height = (int) id.d(2);
        g.width = (int) id.d(3);
        g.rows = (int) od.d(1);
        g.columns = (int) od.d(2);
        return g;
    }

    /**
     * Makes the network input uint8 (same name and shape) and inserts a cast to float32 that feeds every layer which
     * read the input: {@code images:uint8 -> Cast(float32) -> (the ONNX graph)}. TensorRT requires a uint8 network
     * input to feed a cast layer directly, which this does.
     */
    private static void addUint8Input(INetworkDefinition network, Geometry g) {
        ITensor input = network.getInput(0);
        long inputAddress = input.address();
        List<ILayer> consumers = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < network.getNbLayers(); i++) {
            ILayer layer = network.getLayer(i);
            for (int j = 0; j < layer.getNbInputs(); j++) {
                ITensor t = layer.getInput(j);
                if (t != null && !t.isNull() && t.address() == inputAddress) {
                    consumers.add(layer);
                    slots.add(j);
                }
            }
        }
        if (consumers.isEmpty()) {
            throw new InferenceException("no layer reads the model input '" + g.inputName
                    + "': cannot add the uint8 cast");
        }
        input.setType(DataType.kUINT8);
        ICastLayer cast = network.addCast(input, DataType.kFLOAT);
        cast.setName("flinkvision_uint8_to_float");
        ITensor f32 = cast.getOutput(0);
        f32.setName(g.inputName + "__as_float");
        for (int k = 0; k < consumers.size(); k++) {
            consumers.get(k).setInput(slots.get(k), f32);
        }
        LOG.info("network input '{}' is now uint8 [N,3,{},{}] with a cast to float32 on the GPU ({} consumer(s)"
                + " rewired)", g.inputName, g.height, g.width, consumers.size());
    }

    /** Name prefix of the reduced output tensor: {@code detections_top<K>_of_<classes>}. */
    public static final String TOP_CLASSES_OUTPUT_PREFIX = "detections_top";

    /**
     * Replaces the network output {@code [N, rows, 5 + C]} (raw YOLOX: box, objectness, class probabilities) by
     * {@code [N, rows, 4 + 2K]} computed on the GPU (layout {@link io.flinkvision.tensor.OutputLayout.Kind#YOLOX_TOP_K}):
     * <pre>
     * box    = Gather(out, [0..3], axis 2)                      [N, rows, 4]
     * scores = Gather(out, [5..4+C], axis 2) * Gather(out, [4]) [N, rows, C]   objectness * class probability
     * top    = TopK(scores, MAX, K, axis 2)                     values [N, rows, K], indices int32 [N, rows, K]
     * output = Concat(box, top.values, Cast(top.indices, float), axis 2)
     * </pre>
     * The score is the product the CPU decoder computes (YOLOX {@code demo_postprocess}), so the CPU keeps the same
     * candidates from 4 + 2K floats per anchor instead of 5 + C: for COCO and K = 3, 10 instead of 85 (8.5x fewer
     * bytes copied device-to-host and read by post-processing). These layers are constrained to FP32.
     *
     * @throws InferenceException if K is not in 1..C
     */
    static void addTopClassesHead(INetworkDefinition network, Geometry g, int k, List<Pointer> keepAlive) {
        int classes = g.columns - 5;
        if (k < 1 || k > classes) {
            throw new InferenceException("output top classes " + k + " is outside 1.." + classes + " for a model with "
                    + classes + " classes (inference.tensorrt.output-top-classes; 0 reads the raw output)");
        }
        ITensor out = network.getOutput(0);
        ITensor box = gather(network, out, 0, 4, keepAlive, "box");
        ITensor obj = gather(network, out, 4, 1, keepAlive, "objectness");
        ITensor cls = gather(network, out, 5, classes, keepAlive, "class_prob");
        ILayer scores = network.addElementWise(cls, obj, ElementWiseOperation.kPROD);
        fp32(scores, "flinkvision_scores");
        ITopKLayer top = network.addTopK(scores.getOutput(0), TopKOperation.kMAX, k, 1 << 2);
        fp32(top, "flinkvision_top_classes");
        ICastLayer ids = network.addCast(top.getOutput(1), DataType.kFLOAT);
        fp32(ids, "flinkvision_top_class_ids");
        PointerPointer<ITensor> parts = new PointerPointer<>(box, top.getOutput(0), ids.getOutput(0));
        keepAlive.add(parts);
        IConcatenationLayer concat = network.addConcatenation(parts, 3);
        concat.setAxis(2);
        fp32(concat, "flinkvision_detections");
        ITensor reduced = concat.getOutput(0);
        reduced.setName(TOP_CLASSES_OUTPUT_PREFIX + k + "_of_" + classes);
        network.unmarkOutput(out);
        network.markOutput(reduced);
        LOG.info("output head on the GPU: '{}' [N,{},{}] -> '{}' [N,{},{}] (box, top-{} scores and classes: {}x fewer"
                + " bytes to copy back)", g.outputName, g.rows, g.columns, reduced.getName(), g.rows, 4 + 2 * k, k,
                String.format(Locale.ROOT, "%.1f", g.columns / (double) (4 + 2 * k)));
    }

    /** {@code Gather(t, [first .. first+count-1], axis 2)} with a constant int32 index tensor. */
    private static ITensor gather(INetworkDefinition network, ITensor t, int first, int count, List<Pointer> keepAlive,
            String what) {
        IntPointer idx = new IntPointer(count);
        for (int i = 0; i < count; i++) {
            idx.put(i, first + i);
        }
        Weights w = new Weights();
        w.type(DataType.kINT32).values(idx).count(count);
        keepAlive.add(idx);
        keepAlive.add(w);
        Dims64 d = new Dims64();
        d.nbDims(1).d(0, count);
        IConstantLayer indices = network.addConstant(d, w);
        indices.setName("flinkvision_" + what + "_indices");
        IGatherLayer gather = network.addGather(t, indices.getOutput(0), 2);
        fp32(gather, "flinkvision_" + what);
        return gather.getOutput(0);
    }

    private static void fp32(ILayer layer, String name) {
        if (layer == null || layer.isNull()) {
            throw new InferenceException("TensorRT refused to add layer " + name + ": " + TrtLog.INSTANCE.lastError());
        }
        layer.setName(name);
        layer.setPrecision(DataType.kFLOAT);
        for (int i = 0; i < layer.getNbOutputs(); i++) {
            if (layer.getOutput(i).getType().value == DataType.kFLOAT.value) {
                layer.setOutputType(i, DataType.kFLOAT);
            }
        }
    }

    /**
     * Marks the output head FP16: every float layer on the paths from the network output back to, and including, the
     * last convolution of each path (YOLOX: the 1x1 box/objectness/class prediction convolutions, their sigmoids and
     * the concatenations and reshapes after them), the usual practice since quantizing them puts box offsets, log
     * sizes and 0..1 probabilities under one scale per tensor, while they are a tiny share of the compute. For
     * YOLOX-Nano the INT8 accuracy loss is in the quantized backbone, not here (docs/DESIGN.md#int8).
     *
     * @return the number of layers constrained
     */
    static int keepOutputHeadInFp16(INetworkDefinition network) {
        java.util.Map<Long, ILayer> producer = new java.util.HashMap<>();
        for (int i = 0; i < network.getNbLayers(); i++) {
            ILayer l = network.getLayer(i);
            for (int j = 0; j < l.getNbOutputs(); j++) {
                producer.put(l.getOutput(j).address(), l);
            }
        }
        java.util.Set<Long> outputs = new java.util.HashSet<>();
        java.util.ArrayDeque<ITensor> work = new java.util.ArrayDeque<>();
        for (int i = 0; i < network.getNbOutputs(); i++) {
            outputs.add(network.getOutput(i).address());
            work.add(network.getOutput(i));
        }
        java.util.Set<Long> seen = new java.util.HashSet<>();
        int kept = 0;
        while (!work.isEmpty()) {
            ITensor t = work.poll();
            if (t.getType().value != DataType.kFLOAT.value) {
                continue; // shape/index tensors
            }
            ILayer l = producer.get(t.address());
            if (l == null || !seen.add(l.address())) {
                continue;
            }
            int type = l.getType().value;
            if (type == LayerType.kCONSTANT.value || type == LayerType.kSHAPE.value) {
                continue;
            }
            l.setPrecision(DataType.kHALF);
            for (int j = 0; j < l.getNbOutputs(); j++) {
                if (!outputs.contains(l.getOutput(j).address())
                        && l.getOutput(j).getType().value == DataType.kFLOAT.value) {
                    l.setOutputType(j, DataType.kHALF);
                }
            }
            kept++;
            if (type != LayerType.kCONVOLUTION.value) {
                for (int j = 0; j < l.getNbInputs(); j++) {
                    ITensor in = l.getInput(j);
                    if (in != null && !in.isNull()) {
                        work.add(in);
                    }
                }
            }
        }
        return kept;
    }

    private static void setProfile(IOptimizationProfile p, String input, int min, int opt, int max, Geometry g) {
        boolean ok = p.setDimensions(input, OptProfileSelector.kMIN, nchw(min, g))
                && p.setDimensions(input, OptProfileSelector.kOPT, nchw(opt, g))
                && p.setDimensions(input, OptProfileSelector.kMAX, nchw(max, g));
        if (!ok || !p.isValid()) {
            throw new InferenceException("TensorRT refused the optimization profile " + min + "/" + opt + "/" + max
                    + " for input '" + input + "': " + TrtLog.INSTANCE.lastError());
        }
    }

    static Dims64 nchw(int n, Geometry g) {
        Dims64 d = new Dims64();
        d.nbDims(4).d(0, n).d(1, 3).d(2, g.height).d(3, g.width);
        return d;
    }

    private static ITimingCache loadTimingCache(IBuilderConfig config, Path file) {
        Optional<byte[]> bytes = file == null ? Optional.empty() : PlanCache.readIfPresent(file);
        ITimingCache cache;
        if (bytes.isPresent() && bytes.get().length > 0) {
            BytePointer p = new BytePointer(bytes.get());
            cache = config.createTimingCache(p, bytes.get().length);
            if (cache == null || cache.isNull()) {
                LOG.warn("timing cache {} is unusable (other TensorRT version?): starting an empty one", file);
                cache = config.createTimingCache(null, 0);
            } else {
                LOG.info("timing cache: using {} ({} bytes)", file, bytes.get().length);
            }
        } else {
            cache = config.createTimingCache(null, 0);
            if (file != null) {
                LOG.info("timing cache: none at {}, starting an empty one", file);
            }
        }
        return cache;
    }

    private static void saveTimingCache(IBuilderConfig config, Path file) {
        if (file == null) {
            return;
        }
        try {
            ITimingCache cache = config.getTimingCache();
            IHostMemory mem = cache == null || cache.isNull() ? null : cache.serialize();
            if (mem == null || mem.isNull() || mem.size() == 0) {
                return;
            }
            byte[] b = new byte[(int) mem.size()];
            new BytePointer(mem.data()).capacity(mem.size()).get(b);
            PlanCache.writeAtomically(file, b);
            LOG.info("timing cache: wrote {} ({} bytes)", file, b.length);
        } catch (RuntimeException e) {
            LOG.warn("timing cache: cannot save {}: {}", file, e.toString());
        }
    }

    private static String parserErrors(IParser parser) {
        int n = parser.getNbErrors();
        if (n == 0) {
            return "no parser error reported (" + TrtLog.INSTANCE.lastError() + ")";
        }
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            IParserError e = parser.getError(i);
            errors.add("[" + (i + 1) + "] node " + e.node() + " '" + e.nodeName() + "' (" + e.nodeOperator() + "): "
                    + e.desc() + " (" + e.code() + ")");
        }
        return n + " error(s): " + String.join("; ", errors);
    }

    static String dims(Dims64 d) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < d.nbDims(); i++) {
            sb.append(i == 0 ? "" : ",").append(d.d(i));
        }
        return sb.append(']').toString();
    }
}

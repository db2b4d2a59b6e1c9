package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.cuda.CudaEvent;
import io.flinkvision.engine.tensorrt.cuda.CudaStream;
import io.flinkvision.engine.tensorrt.cuda.DeviceBuffer;
import io.flinkvision.engine.tensorrt.cuda.PinnedBuffer;
import io.flinkvision.engine.tensorrt.device.DeviceJpegDecoder;
import io.flinkvision.engine.tensorrt.device.DeviceLetterbox;
import io.flinkvision.engine.tensorrt.device.NvJpeg;
import io.flinkvision.engine.tensorrt.plan.TrtVersions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.pipeline.DetectionPipeline;
import io.flinkvision.pipeline.LetterboxCounts;
import io.flinkvision.pipeline.JpegDecodeDevice;
import io.flinkvision.pipeline.LetterboxDevice;
import io.flinkvision.pipeline.PipelineListener;
import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.DeviceProbe;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.engine.Precision;
import io.flinkvision.tensor.SourceBatch;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.LetterboxedImage;
import io.flinkvision.imaging.SourceImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The GPU checks of the TensorRT backend, shared by the {@code @Tag("gpu")} JUnit tests ({@link TrtEngineGpuTest}) and
 * {@code jobs/src/test/gpu/run-gpu-checks.sh} (through {@link #main}, since the GPU machine has no Maven):
 *
 * <ul>
 *   <li>{@link #golden}: the operator path (decode -> letterbox -> micro-batch -> TensorRT -> YOLOX decode -> NMS) on
 *       the golden images against {@code golden/golden.json} (ONNX Runtime FP32 reference), with the tolerances of
 *       {@code golden/README.md}: FP32 must meet the CPU tolerance, FP16/INT8 report the fraction matched at
 *       IoU >= 0.9 (FP16 target: 95%).</li>
 *   <li>{@link #openCloseCycles}: GPU memory used (all processes, {@code cudaMemGetInfo}) and this process's resident
 *       memory after each of N open / one batch / close cycles of an engine.</li>
 * </ul>
 */
public final class TrtGpuChecks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrtGpuChecks() {}

    /** Why the GPU checks cannot run here, or empty. */
    public static Optional<String> unavailable() {
        Optional<String> cuda = Cuda.unavailableReason(0);
        if (cuda.isPresent()) {
            return cuda;
        }
        return TrtEngineFactory.tensorrtLoadFailure();
    }

    /**
     * Comparison of one run with the golden detections.
     *
     * @param precision precision id
     * @param golden golden detections
     * @param matched90 golden detections matched (same class) at IoU >= 0.9
     * @param matchedCpuTolerance golden detections matched at IoU >= 0.95 and |score diff| <= 0.01
     * @param meanIou mean IoU of the matched pairs
     * @param maxScoreDiff largest |score diff| of the matched pairs
     * @param extraHighScore our detections matched to nothing with score >= 0.35
     * @param cpuTolerancePass every golden detection matched within the CPU tolerance and no extra >= 0.35
     * @param engineOpenSeconds engine open time (plan build or cache load included)
     * @param cacheHit whether the plan came from the cache
     */
    public record GoldenResult(String precision, int golden, int matched90, int matchedCpuTolerance, double meanIou,
            double maxScoreDiff, int extraHighScore, boolean cpuTolerancePass, double engineOpenSeconds,
            boolean cacheHit) {
        /** {@code matched90 / golden}. */
        public double matchedFraction() {
            return golden == 0 ? 0 : matched90 / (double) golden;
        }
    }

    /** Loads {@code golden/golden.json} and the images it names from the test classpath. */
    static Map<String, byte[]> goldenImages(JsonNode golden) throws IOException {
        Map<String, byte[]> images = new LinkedHashMap<>();
        for (Iterator<String> it = golden.get("detections").fieldNames(); it.hasNext(); ) {
            String name = it.next();
            try (InputStream in = TrtGpuChecks.class.getResourceAsStream("/flinkvision/golden/" + name)) {
                if (in == null) {
                    throw new IOException("golden image /golden/" + name + " is not on the classpath");
                }
                images.put(name, in.readAllBytes());
            }
        }
        return images;
    }

    static JsonNode goldenJson() throws IOException {
        try (InputStream in = TrtGpuChecks.class.getResourceAsStream("/flinkvision/golden/golden.json")) {
            if (in == null) {
                throw new IOException("/flinkvision/golden/golden.json is not on the classpath");
            }
            return JSON.readTree(in);
        }
    }

    /**
     * Runs the golden images through the operator path on TensorRT and compares.
     *
     * @param spec a tensorrt spec (precision, cache dir, ...)
     */
    public static GoldenResult golden(EngineSpec spec) throws Exception {
        return golden(spec, LetterboxDevice.CPU);
    }

    /**
     * Runs the golden images through the operator path on TensorRT, letterboxed where asked, and compares.
     *
     * @param spec a tensorrt spec (precision, cache dir, ...)
     * @param letterbox CPU (OpenCV, the reference pre-processing) or GPU (the letterbox kernel)
     */
    public static GoldenResult golden(EngineSpec spec, LetterboxDevice letterbox) throws Exception {
        return golden(spec, letterbox, JpegDecodeDevice.CPU);
    }

    /**
     * As {@link #golden(EngineSpec, LetterboxDevice)}, choosing where the JPEG files are decoded (GPU: the hardware
     * decoder, with the GPU letterbox).
     */
    public static GoldenResult golden(EngineSpec spec, LetterboxDevice letterbox, JpegDecodeDevice jpegDecode)
            throws Exception {
        JsonNode golden = goldenJson();
        Map<String, byte[]> images = goldenImages(golden);
        long t0 = System.nanoTime();
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            double openSeconds = (System.nanoTime() - t0) / 1e9;
            boolean hit = engine instanceof TrtInferenceEngine t && t.shared().cacheHit();
            Map<String, List<Detection>> ours = new LinkedHashMap<>();
            try (DetectionPipeline p = DetectionPipeline.builder(engine).batchPolicy(new BatchPolicy(8, 2000, 2))
                    .preprocessThreads(2).letterbox(letterbox).jpegDecode(jpegDecode).build()) {
                List<CompletableFuture<InferenceOutcome>> fs = new ArrayList<>();
                long i = 0;
                for (byte[] jpeg : images.values()) {
                    fs.add(p.submit(new Frame("golden", i++, 0L, FrameEncoding.JPEG, jpeg)));
                }
                int k = 0;
                for (String name : images.keySet()) {
                    InferenceOutcome o = fs.get(k++).get(120, TimeUnit.SECONDS);
                    if (o.isDeadLetter()) {
                        throw new IllegalStateException(name + " became a dead letter: " + o);
                    }
                    ours.put(name, o.getDetections().getDetections());
                }
            }
            String label = spec.precision().id() + (letterbox == LetterboxDevice.GPU ? "+gpu-letterbox" : "")
                    + (jpegDecode == JpegDecodeDevice.GPU ? "+nvjpeg" : "");
            return compare(label, golden, ours, openSeconds, hit);
        }
    }

    /** Greedy per-image matching of golden detections to ours (same class, best IoU, each of ours used once). */
    static GoldenResult compare(String precision, JsonNode golden, Map<String, List<Detection>> ours,
            double openSeconds, boolean hit) {
        int total = 0;
        int m90 = 0;
        int mCpu = 0;
        int extra = 0;
        double iouSum = 0;
        int iouN = 0;
        double maxDiff = 0;
        for (Map.Entry<String, List<Detection>> e : ours.entrySet()) {
            List<Detection> mine = e.getValue();
            boolean[] used = new boolean[mine.size()];
            for (JsonNode g : golden.get("detections").get(e.getKey())) {
                total++;
                int cls = g.get("classId").asInt();
                float score = (float) g.get("score").asDouble();
                JsonNode b = g.get("box");
                BoundingBox gb = new BoundingBox((float) b.get(0).asDouble(), (float) b.get(1).asDouble(),
                        (float) b.get(2).asDouble(), (float) b.get(3).asDouble());
                int best = -1;
                float bestIou = 0;
                for (int i = 0; i < mine.size(); i++) {
                    if (!used[i] && mine.get(i).getClassId() == cls) {
                        float iou = mine.get(i).getBox().iou(gb);
                        if (iou > bestIou) {
                            bestIou = iou;
                            best = i;
                        }
                    }
                }
                if (best < 0 || bestIou < 0.5f) {
                    continue;
                }
                used[best] = true;
                double diff = Math.abs(mine.get(best).getScore() - score);
                iouSum += bestIou;
                iouN++;
                maxDiff = Math.max(maxDiff, diff);
                if (bestIou >= 0.9f) {
                    m90++;
                }
                if (bestIou >= 0.95f && diff <= 0.01) {
                    mCpu++;
                }
            }
            for (int i = 0; i < mine.size(); i++) {
                if (!used[i] && mine.get(i).getScore() >= 0.35f) {
                    extra++;
                }
            }
        }
        return new GoldenResult(precision, total, m90, mCpu, iouN == 0 ? 0 : iouSum / iouN, maxDiff, extra,
                mCpu == total && extra == 0, openSeconds, hit);
    }

    /**
     * Device letterbox against the host one on one image.
     *
     * @param image golden image name
     * @param sourceWidth source width, pixels
     * @param sourceHeight source height, pixels
     * @param maxAbsDiff largest |device - host| over the 3x416x416 input bytes
     * @param meanAbsDiff mean |device - host|
     * @param over2 fraction of bytes differing by more than 2 levels
     * @param paddingMismatches padding bytes (outside the resized image) that are not 114
     */
    public record LetterboxDiff(String image, int sourceWidth, int sourceHeight, int maxAbsDiff, double meanAbsDiff,
            double over2, long paddingMismatches) {}

    /**
     * Letterboxes the golden images with {@link DeviceLetterbox} (the CUDA kernel, one batch) and with {@link Letterbox} (OpenCV)
     * and compares the model inputs byte by byte.
     */
    public static List<LetterboxDiff> letterboxDiff(int device, int width, int height) throws Exception {
        return letterboxDiff(device, width, height, false);
    }

    /**
     * As {@link #letterboxDiff(int, int, int)}; with {@code deviceJpeg} the JPEG files go to the device undecoded and
     * the GPU's hardware decoder (nvJPEG) decodes them before the kernel, against OpenCV's decode and letterbox on the
     * host: the whole GPU pre-processing of a JPEG frame against the reference.
     */
    public static List<LetterboxDiff> letterboxDiff(int device, int width, int height, boolean deviceJpeg)
            throws Exception {
        Map<String, byte[]> images = goldenImages(goldenJson());
        ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
        List<SourceImage> sources = new ArrayList<>();
        List<LetterboxDiff> diffs = new ArrayList<>();
        int n = images.size();
        long plane = (long) width * height;
        try (Letterbox host = new Letterbox(width, height); CudaStream stream = new CudaStream(device);
                DeviceLetterbox gpu = new DeviceLetterbox(device, 0, stream, width, height, n,
                        deviceJpeg ? new DeviceJpegDecoder(device, 0, n) : null);
                DeviceBuffer input = new DeviceBuffer(device, 3 * plane * n, "letterbox check input");
                PinnedBuffer back = new PinnedBuffer(device, 3 * plane * n, "letterbox check readback")) {
            for (byte[] jpeg : images.values()) {
                sources.add(decoder.decodeSource("jpeg", jpeg, 0, 0, deviceJpeg));
            }
            SourceBatch batch = new SourceBatch(gpu, n);
            host.stage(sources, batch, Letterbox.IndexLoop.SEQUENTIAL);
            gpu.enqueue(batch, n, input.pointer().address());
            Cuda.check(org.bytedeco.cuda.global.cudart.cudaMemcpyAsync(back.pointer(), input.pointer(), 3 * plane * n,
                    org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost, stream.handle()), "cudaMemcpyAsync(D2H)",
                    device);
            stream.synchronize();
            int i = 0;
            for (String name : images.keySet()) {
                SourceImage s = sources.get(i);
                try (Mat bgr = decoder.decode("jpeg", images.get(name), 0, 0);
                        LetterboxedImage ref = host.apply(bgr)) {
                    ByteBuffer mine = back.buffer();
                    ByteBuffer theirs = ref.chw();
                    int[] r = host.resizedSize(s.width(), s.height());
                    int max = 0;
                    long sum = 0;
                    long over2 = 0;
                    long pad = 0;
                    for (int k = 0; k < 3 * plane; k++) {
                        int a = mine.get((int) (i * 3 * plane + k)) & 0xFF;
                        int b = theirs.get(k) & 0xFF;
                        int d = Math.abs(a - b);
                        max = Math.max(max, d);
                        sum += d;
                        if (d > 2) {
                            over2++;
                        }
                        int x = (int) (k % width);
                        int y = (int) ((k % plane) / width);
                        if ((x >= r[0] || y >= r[1]) && a != Letterbox.PAD_VALUE) {
                            pad++;
                        }
                    }
                    diffs.add(new LetterboxDiff(name + (s.isJpeg() ? " (nvJPEG)" : ""), s.width(), s.height(), max,
                            sum / (3.0 * plane),
                            over2 / (3.0 * plane), pad));
                }
                i++;
            }
        } finally {
            sources.forEach(SourceImage::close);
        }
        return diffs;
    }

    /**
     * Cost of the device letterbox for one batch, alone on the GPU.
     *
     * @param batch frames per batch
     * @param sourceWidth source width, pixels
     * @param sourceHeight source height, pixels
     * @param stagedMb bytes copied to the device per batch, MB
     * @param letterboxMs H2D of the frames + geometry table + kernel, per batch, ms
     * @param copyOnlyMs a plain pinned-to-device copy of the same bytes, per batch, ms
     * @param kernelMs {@code letterboxMs - copyOnlyMs}: the kernel (and the small table copy)
     */
    public record LetterboxTiming(int batch, int sourceWidth, int sourceHeight, double stagedMb, double letterboxMs,
            double copyOnlyMs, double kernelMs) {}

    /**
     * Times {@link DeviceLetterbox#enqueue} on one stream, back to back, for a batch of copies of the first golden
     * image, against a plain copy of the same bytes.
     */
    public static LetterboxTiming letterboxTiming(int device, int width, int height, int batch, int iterations)
            throws Exception {
        byte[] jpeg = goldenImages(goldenJson()).values().iterator().next();
        long plane = (long) width * height;
        try (Letterbox host = new Letterbox(width, height);
                SourceImage s = new ImageDecoder(DecodeLimits.DEFAULT).decodeSource("jpeg", jpeg, 0, 0);
                CudaStream stream = new CudaStream(device);
                DeviceLetterbox gpu = new DeviceLetterbox(device, 0, stream, width, height, batch, null);
                DeviceBuffer input = new DeviceBuffer(device, 3 * plane * batch, "letterbox timing input");
                CudaEvent start = new CudaEvent(device, false);
                CudaEvent end = new CudaEvent(device, true)) {
            SourceBatch sources = new SourceBatch(gpu, batch);
            host.stage(java.util.Collections.nCopies(batch, s), sources, Letterbox.IndexLoop.SEQUENTIAL);
            for (int i = 0; i < 5; i++) {
                gpu.enqueue(sources, batch, input.pointer().address());
            }
            start.record(stream);
            for (int i = 0; i < iterations; i++) {
                gpu.enqueue(sources, batch, input.pointer().address());
            }
            end.record(stream);
            end.synchronize();
            double letterboxMs = end.nanosSince(start) / 1e6 / iterations;
            long used = sources.usedBytes();
            try (PinnedBuffer from = new PinnedBuffer(device, used, "copy timing source");
                    DeviceBuffer to = new DeviceBuffer(device, used, "copy timing target")) {
                start.record(stream);
                for (int i = 0; i < iterations; i++) {
                    Cuda.check(org.bytedeco.cuda.global.cudart.cudaMemcpyAsync(to.pointer(), from.pointer(), used,
                            org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice, stream.handle()),
                            "cudaMemcpyAsync(H2D)", device);
                }
                end.record(stream);
                end.synchronize();
            }
            double copyMs = end.nanosSince(start) / 1e6 / iterations;
            return new LetterboxTiming(batch, s.width(), s.height(), used / 1e6, letterboxMs, copyMs,
                    letterboxMs - copyMs);
        }
    }

    /**
     * Engine-only throughput (images/s) alone and while another stream copies {@code copyMb} MB from pinned memory to
     * the device back to back: whether host-to-device traffic of the size the GPU letterbox moves slows the engine.
     *
     * @return {alone, with copies, copy GB/s achieved meanwhile}
     */
    public static double[] engineOnlyUnderCopies(EngineSpec spec, int batch, long copyMb) throws Exception {
        try (InferenceEngine e = InferenceEngines.open(spec)) {
            DeviceProbe trt = e.probe().orElseThrow();
            double alone = trt.measureEngineOnly(batch, 300);
            int dev = spec.deviceIndex();
            long bytes = copyMb << 20;
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong copied = new java.util.concurrent.atomic.AtomicLong();
            try (PinnedBuffer from = new PinnedBuffer(dev, bytes, "contention source");
                    DeviceBuffer to = new DeviceBuffer(dev, bytes, "contention target");
                    CudaStream copyStream = new CudaStream(dev)) {
                Thread copier = new Thread(() -> {
                    Cuda.setDevice(dev);
                    while (!stop.get()) {
                        Cuda.check(org.bytedeco.cuda.global.cudart.cudaMemcpyAsync(to.pointer(), from.pointer(),
                                bytes, org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice, copyStream.handle()),
                                "cudaMemcpyAsync(H2D)", dev);
                        copyStream.synchronize();
                        copied.addAndGet(bytes);
                    }
                }, "contention-copier");
                copier.start();
                Thread.sleep(200);
                long c0 = copied.get();
                long t0 = System.nanoTime();
                double withCopies = trt.measureEngineOnly(batch, 300);
                double gbps = (copied.get() - c0) / ((System.nanoTime() - t0) / 1e9) / 1e9;
                stop.set(true);
                copier.join();
                return new double[] {alone, withCopies, gbps};
            }
        }
    }

    /**
     * What each part of an operator launch costs the device: engine-only throughput (images/s, launches back to back
     * on every slot) with the parts added one at a time, in one engine.
     *
     * @param engineOnly the engine alone
     * @param withEvents plus the four timing events of each launch
     * @param withCopyIn plus the H2D copy of the uint8 input (no events)
     * @param withCopies plus the H2D and D2H copies (no events)
     * @param fullLaunch copies and events: what the operator queues
     */
    public record LaunchParts(double engineOnly, double withEvents, double withCopyIn, double withCopies,
            double fullLaunch) {}

    /** Measures {@link LaunchParts} at {@code batch}, {@code iterations} launches each, in an interleaved order twice. */
    public static LaunchParts launchParts(EngineSpec spec, int batch, int iterations) throws Exception {
        try (InferenceEngine e = InferenceEngines.open(spec)) {
            TrtDeviceProbe trt = ((TrtInferenceEngine) e).deviceProbe();
            double[] sum = new double[5];
            boolean[][] parts = {{false, false, false}, {false, true, false}, {true, false, false},
                {true, false, true}, {true, true, true}};
            for (int round = 0; round < 2; round++) {
                for (int v = 0; v < parts.length; v++) {
                    sum[v] += trt.measureLaunchParts(batch, iterations, parts[v][0], parts[v][1], parts[v][2]) / 2;
                }
            }
            return new LaunchParts(sum[0], sum[1], sum[2], sum[3], sum[4]);
        }
    }

    /**
     * The hybrid letterbox on the GPU: the golden images repeated {@code copies} times go through one pipeline with the
     * CPU letterbox and one with {@code hybrid} (all submitted at once to one pre-processing thread, backlog 4: the
     * frames that find more than 4 others queued are letterboxed by the kernel, the last ones on the host, so the last
     * batch is mixed) on the same engine; each frame's detections are
     * compared (same count and classes, IoU and score differences reported).
     *
     * @param frames frames per run
     * @param hostImages hybrid run: images letterboxed on the host
     * @param deviceImages hybrid run: images letterboxed by the kernel
     * @param mixedBatches hybrid run: batches holding both kinds
     * @param framesDiffering frames whose detection count or classes differ from the CPU run's
     * @param minIou lowest IoU between matching detections
     * @param maxScoreDiff largest score difference between matching detections
     */
    public record HybridCheck(int frames, long hostImages, long deviceImages, long mixedBatches, int framesDiffering,
            double minIou, double maxScoreDiff) {
        /** Same detections frame by frame (IoU >= 0.99, score within 1e-3) over batches of both kinds. */
        public boolean pass() {
            return framesDiffering == 0 && minIou >= 0.99 && maxScoreDiff <= 1e-3 && mixedBatches > 0;
        }
    }

    /** See {@link HybridCheck}. */
    public static HybridCheck hybridVsCpu(EngineSpec spec, int copies) throws Exception {
        List<byte[]> images = new ArrayList<>(goldenImages(goldenJson()).values());
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < copies * images.size(); i++) {
            frames.add(new Frame("hybrid", i, 0L, FrameEncoding.JPEG, images.get(i % images.size())));
        }
        LetterboxCounts count = new LetterboxCounts();
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            List<InferenceOutcome> cpu = runAll(engine, LetterboxDevice.CPU, PipelineListener.NONE, frames);
            List<InferenceOutcome> hybrid = runAll(engine, LetterboxDevice.HYBRID, count, frames);
            int differing = 0;
            double minIou = 1;
            double maxScore = 0;
            for (int k = 0; k < frames.size(); k++) {
                List<Detection> a = cpu.get(k).getDetections().getDetections();
                List<Detection> b = hybrid.get(k).getDetections().getDetections();
                boolean same = a.size() == b.size();
                for (int i = 0; same && i < a.size(); i++) {
                    same = a.get(i).getClassId() == b.get(i).getClassId();
                    if (same) {
                        minIou = Math.min(minIou, a.get(i).getBox().iou(b.get(i).getBox()));
                        maxScore = Math.max(maxScore, Math.abs(a.get(i).getScore() - b.get(i).getScore()));
                    }
                }
                differing += same ? 0 : 1;
            }
            return new HybridCheck(frames.size(), count.hostImages(), count.deviceImages(), count.mixedBatches(),
                    differing, minIou, maxScore);
        }
    }

    /** Runs {@code frames} through a pipeline letterboxing {@code where}; JPEG always decoded on the CPU (OpenCV). */
    private static List<InferenceOutcome> runAll(InferenceEngine engine, LetterboxDevice where,
            PipelineListener listener, List<Frame> frames) throws Exception {
        // 1 s queue delay: batches close by size (16) or at the end, so the last one holds both the backlog's device
        // frames and the host frames of the drained queue (with 50 ms a slow host closed it early: 0 mixed batches)
        try (DetectionPipeline p = DetectionPipeline.builder(engine).batchPolicy(new BatchPolicy(16, 1000, 3))
                .preprocessThreads(1).letterbox(where).hybridBacklog(4).jpegDecode(JpegDecodeDevice.CPU)
                .listener(listener).build()) {
            List<CompletableFuture<InferenceOutcome>> fs = new ArrayList<>();
            for (Frame f : frames) {
                fs.add(p.submit(f));
            }
            List<InferenceOutcome> out = new ArrayList<>();
            for (CompletableFuture<InferenceOutcome> f : fs) {
                InferenceOutcome o = f.get(120, TimeUnit.SECONDS);
                if (o.isDeadLetter()) {
                    throw new IllegalStateException("frame became a dead letter: " + o);
                }
                out.add(o);
            }
            return out;
        }
    }

    /**
     * CUDA graphs against plain {@code enqueueV3}: the same batch of letterboxed golden images run {@code runs} times
     * on an engine without graphs and on one with them (more runs than slots, so that every slot captures its graph
     * and then replays it); the raw outputs of the last runs are compared.
     *
     * @param batch images per run (golden images repeated)
     * @param runs batches submitted per engine
     * @param maxAbsDiff largest |difference| between the two engines' output floats
     * @param graphsCaptured graphs captured by the graph engine's slots
     */
    public record GraphCheck(int batch, int runs, double maxAbsDiff, int graphsCaptured) {}

    /** See {@link GraphCheck}. */
    public static GraphCheck graphsVsPlain(EngineSpec spec, int batch) throws Exception {
        int runs = 2 * spec.maxInFlight() + 1;
        float[] plain = lastOutput(spec.toBuilder().cudaGraphs(false).build(), batch, runs, null);
        int[] captured = new int[1];
        float[] graphs = lastOutput(spec.toBuilder().cudaGraphs(true).build(), batch, runs, captured);
        double max = 0;
        for (int i = 0; i < plain.length; i++) {
            max = Math.max(max, Math.abs(plain[i] - graphs[i]));
        }
        return new GraphCheck(batch, runs, max, captured[0]);
    }

    private static float[] lastOutput(EngineSpec spec, int batch, int runs, int[] captured) throws Exception {
        List<byte[]> images = new ArrayList<>(goldenImages(goldenJson()).values());
        ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
        try (InferenceEngine e = InferenceEngines.open(spec);
                Letterbox lb = new Letterbox(e.info().inputWidth(), e.info().inputHeight())) {
            float[] last = null;
            for (int r = 0; r < runs; r++) {
                InputBatch in = e.acquire();
                for (int i = 0; i < batch; i++) {
                    try (Mat m = decoder.decode("jpeg", images.get(i % images.size()), 0, 0);
                            LetterboxedImage li = lb.apply(m)) {
                        io.flinkvision.imaging.TensorLayout.writeNchw(li, in, i);
                    }
                }
                in.setSize(batch);
                try (OutputBatch out = e.submit(in).get(60, TimeUnit.SECONDS)) {
                    last = new float[batch * out.rows() * out.columns()];
                    out.data().get(0, last);
                }
            }
            if (captured != null) {
                captured[0] = e.probe().orElseThrow().graphsCaptured();
            }
            return last;
        }
    }

    /**
     * Memory after open/close cycles.
     *
     * @param cycles number of cycles
     * @param gpuUsedBeforeMb GPU memory used before the first open (MB, all processes)
     * @param gpuUsedAfterMb GPU memory used after each close (MB)
     * @param rssAfterMb this process's resident memory after each close and a GC (MB, pinned host memory included)
     * @param heapUsedAfterMb Java heap in use after each close and a GC (MB)
     * @param physicalBytesAfterMb JavaCPP's reading of the process's physical memory after each close (MB)
     * @param gpuUsedWhileOpenMb GPU memory used while the first engine was open (MB)
     * @param contextsCreated execution contexts ever created (pooled across cycles)
     */
    public record CycleResult(int cycles, long gpuUsedBeforeMb, List<Long> gpuUsedAfterMb, List<Long> rssAfterMb,
            List<Long> heapUsedAfterMb, List<Long> physicalBytesAfterMb, long gpuUsedWhileOpenMb, int contextsCreated) {
        /** GPU MB used after the last close minus after the first close: ~0 when nothing leaks. */
        public long gpuGrowthMb() {
            return gpuUsedAfterMb.get(gpuUsedAfterMb.size() - 1) - gpuUsedAfterMb.get(0);
        }

        /** RSS growth between the first and the last close, MB. */
        public long rssGrowthMb() {
            return rssAfterMb.get(rssAfterMb.size() - 1) - rssAfterMb.get(0);
        }
    }

    /** Opens the engine, runs one full batch, closes it; {@code cycles} times. */
    public static CycleResult openCloseCycles(EngineSpec spec, int cycles) throws Exception {
        int dev = spec.deviceIndex();
        long before = Cuda.memory(dev).usedBytes() >> 20;
        List<Long> gpu = new ArrayList<>();
        List<Long> rss = new ArrayList<>();
        List<Long> heap = new ArrayList<>();
        List<Long> nativeMb = new ArrayList<>();
        long whileOpen = 0;
        int contexts = 0;
        for (int c = 0; c < cycles; c++) {
            try (InferenceEngine engine = InferenceEngines.open(spec)) {
                InputBatch in = engine.acquire();
                in.setSize(in.capacity());
                try (OutputBatch out = engine.submit(in).get(60, TimeUnit.SECONDS)) {
                    if (out.size() != in.capacity()) {
                        throw new IllegalStateException("output of " + out.size() + " images for " + in.capacity());
                    }
                }
                if (c == 0) {
                    whileOpen = Cuda.memory(dev).usedBytes() >> 20;
                }
                contexts = ((TrtInferenceEngine) engine).shared().contextsCreated();
            }
            System.gc(); // so that RSS growth is not just garbage waiting for a collection
            gpu.add(Cuda.memory(dev).usedBytes() >> 20);
            rss.add(rssMb());
            heap.add((Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
            nativeMb.add(org.bytedeco.javacpp.Pointer.physicalBytes() >> 20);
        }
        return new CycleResult(cycles, before, gpu, rss, heap, nativeMb, whileOpen, contexts);
    }

    static long rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    /** A TensorRT spec for the checks. */
    static EngineSpec spec(Precision p, String cacheDir, String calibrationDir, int batch, int inFlight) {
        return EngineSpec.builder().backend(Backend.TENSORRT).precision(p).tf32(false).maxBatchSize(batch)
                .optBatchSize(batch).maxInFlight(inFlight).engineCacheDir(cacheDir).calibrationDir(calibrationDir)
                .build();
    }

    /**
     * {@code TrtGpuChecks --cache DIR --out DIR [--precisions fp32,fp16,int8] [--calibration DIR] [--cycles 20]
     * [--batch 32]}: runs the golden comparison per precision and the open/close cycles, prints a table, writes
     * {@code gpu-checks.json}; exit code 0 when FP32 meets the CPU tolerance and FP16 matches >= 95%.
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String cache = a.getOrDefault("cache", "/tmp/flinkvision-engines");
        Path out = Path.of(a.getOrDefault("out", "."));
        int batch = Integer.parseInt(a.getOrDefault("batch", "32"));
        int cycles = Integer.parseInt(a.getOrDefault("cycles", "20"));
        String calibration = a.get("calibration");
        Optional<String> why = unavailable();
        if (why.isPresent()) {
            System.out.println("GPU checks skipped: " + why.get());
            System.exit(2);
        }
        Cuda.DeviceInfo d = Cuda.device(0);
        System.out.println("device: " + d.describe() + ", " + (d.totalMemoryBytes() >> 20) + " MB, CUDA "
                + Cuda.versions() + ", TensorRT " + TrtVersions.tensorrt());
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("device", d.describe());
        report.put("tensorrt", TrtVersions.tensorrt());
        report.put("cuda", Cuda.versions());
        List<GoldenResult> results = new ArrayList<>();
        boolean ok = true;
        List<LetterboxDiff> diffs = new ArrayList<>(letterboxDiff(0, 416, 416));
        List<LetterboxDiff> jpegDiffs = NvJpeg.unavailableReason(0).isEmpty() ? letterboxDiff(0, 416, 416, true)
                : List.of();
        NvJpeg.unavailableReason(0).ifPresent(w -> System.out.println("nvJPEG check skipped: " + w));
        diffs.addAll(jpegDiffs);
        report.put("letterboxDiff", diffs);
        for (LetterboxDiff ld : diffs) {
            System.out.println("letterbox " + ld);
            ok &= ld.paddingMismatches() == 0;
        }
        LetterboxTiming timing = letterboxTiming(0, 416, 416, batch, 50);
        report.put("letterboxTiming", timing);
        System.out.println("letterbox " + timing);
        double[] contention = engineOnlyUnderCopies(spec(Precision.FP16, cache, calibration, batch, 3), batch, 42);
        report.put("engineOnlyFp16Alone", contention[0]);
        report.put("engineOnlyFp16WithH2dCopies", contention[1]);
        report.put("concurrentH2dGBps", contention[2]);
        LaunchParts parts = launchParts(spec(Precision.FP16, cache, calibration, batch, 8), batch, 400);
        report.put("launchPartsFp16", parts);
        System.out.println("contention " + java.util.Arrays.toString(contention));
        GraphCheck graphs = graphsVsPlain(spec(Precision.FP16, cache, calibration, batch, 3), batch);
        report.put("cudaGraphs", graphs);
        System.out.println("cuda graphs " + graphs);
        ok &= graphs.graphsCaptured() == 3 && graphs.maxAbsDiff() <= 1e-3;
        HybridCheck hybrid = hybridVsCpu(spec(Precision.FP16, cache, calibration, batch, 3), 8);
        report.put("hybridLetterbox", hybrid);
        System.out.println("hybrid letterbox " + hybrid);
        ok &= hybrid.pass();
        for (String ps : a.getOrDefault("precisions", "fp32,fp16").split(",")) {
            Precision p = Precision.parse(ps);
            List<Object[]> paths = new ArrayList<>(List.of(new Object[] {LetterboxDevice.CPU, JpegDecodeDevice.CPU},
                    new Object[] {LetterboxDevice.GPU, JpegDecodeDevice.CPU}));
            if (NvJpeg.unavailableReason(0).isEmpty()) {
                paths.add(new Object[] {LetterboxDevice.GPU, JpegDecodeDevice.GPU});
            }
            for (Object[] path : paths) {
                LetterboxDevice where = (LetterboxDevice) path[0];
                GoldenResult g = golden(spec(p, cache, calibration, batch, 3), where, (JpegDecodeDevice) path[1]);
                results.add(g);
                System.out.println("golden " + g);
                if (p == Precision.FP32 && where == LetterboxDevice.CPU) {
                    ok &= g.cpuTolerancePass(); // the reference pre-processing: must match ONNX Runtime
                } else if (p != Precision.INT8) {
                    ok &= g.matchedFraction() >= 0.95;
                }
            }
            JSON.enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("gpu-checks.json").toFile(),
                    report);
        }
        report.put("golden", results);
        CycleResult cyc = null;
        if (cycles > 0) {
            Precision p = Precision.parse(a.getOrDefault("cycle-precision", "fp16"));
            // with CUDA graphs on, so that the graphs captured per cycle are shown freed too
            cyc = openCloseCycles(spec(p, cache, calibration, batch, 3).toBuilder().cudaGraphs(true).build(), cycles);
            report.put("openCloseCycles", cyc);
            report.put("gpuGrowthMb", cyc.gpuGrowthMb());
            report.put("rssGrowthMb", cyc.rssGrowthMb());
        }
        StringBuilder t = new StringBuilder("\n| check | precision | result |\n| --- | --- | --- |\n");
        for (GoldenResult g : results) {
            t.append(String.format(Locale.ROOT, "| golden (%d detections) | %s | matched@IoU>=0.9 %d/%d (%.1f%%), "
                            + "CPU tolerance %d/%d, mean IoU %.4f, max |score diff| %.4f, extra>=0.35: %d -> %s;"
                            + " engine open %.1f s (%s) |\n", g.golden(), g.precision(), g.matched90(), g.golden(),
                    100 * g.matchedFraction(), g.matchedCpuTolerance(), g.golden(), g.meanIou(), g.maxScoreDiff(),
                    g.extraHighScore(), g.precision().equals("fp32") ? (g.cpuTolerancePass() ? "PASS" : "FAIL")
                            : (g.matchedFraction() >= 0.95 ? "PASS (>=95%)" : "below 95%"),
                    g.engineOpenSeconds(), g.cacheHit() ? "cache hit" : "built"));
        }
        for (LetterboxDiff ld : diffs) {
            t.append(String.format(Locale.ROOT, "| letterbox GPU kernel vs OpenCV, %s %dx%d | uint8 input | max |diff| %d,"
                            + " mean %.3f, bytes off by > 2: %.2f%%, padding bytes not 114: %d -> %s |\n", ld.image(),
                    ld.sourceWidth(), ld.sourceHeight(), ld.maxAbsDiff(), ld.meanAbsDiff(), 100 * ld.over2(),
                    ld.paddingMismatches(), ld.paddingMismatches() == 0 ? "PASS" : "FAIL"));
        }
        t.append(String.format(Locale.ROOT, "| GPU letterbox timing, %d x %dx%d frames (%.1f MB staged) | uint8 input |"
                        + " H2D + kernel %.3f ms per batch; plain H2D of the same bytes %.3f ms; kernel ~%.3f ms |\n",
                timing.batch(), timing.sourceWidth(), timing.sourceHeight(), timing.stagedMb(), timing.letterboxMs(),
                timing.copyOnlyMs(), timing.kernelMs()));
        t.append(String.format(Locale.ROOT, "| engine-only while another stream copies 42 MB H2D back to back | fp16 |"
                + " alone %.0f img/s, with copies %.0f img/s (%.2f), copies meanwhile %.1f GB/s |\n", contention[0],
                contention[1], contention[1] / contention[0], contention[2]));
        t.append(String.format(Locale.ROOT, "| device cost of a launch's parts, 8 slots back to back, batch %d | fp16 |"
                        + " engine-only %.0f img/s; + timing events %.0f (%.3f); + H2D %.0f (%.3f); + H2D and D2H %.0f"
                        + " (%.3f); full launch %.0f (%.3f) |\n", batch, parts.engineOnly(), parts.withEvents(),
                parts.withEvents() / parts.engineOnly(), parts.withCopyIn(), parts.withCopyIn() / parts.engineOnly(),
                parts.withCopies(), parts.withCopies() / parts.engineOnly(), parts.fullLaunch(),
                parts.fullLaunch() / parts.engineOnly()));
        t.append(String.format(Locale.ROOT, "| CUDA graphs vs enqueueV3, batch %d, %d runs | fp16 | graphs captured %d,"
                        + " max |output diff| %.2e -> %s |\n", graphs.batch(), graphs.runs(), graphs.graphsCaptured(),
                graphs.maxAbsDiff(), graphs.graphsCaptured() == 3 && graphs.maxAbsDiff() <= 1e-3 ? "PASS" : "FAIL"));
        t.append(String.format(Locale.ROOT, "| hybrid letterbox vs CPU letterbox, %d frames | fp16 | host %d + kernel %d"
                        + " images, %d mixed batches, frames differing %d, min IoU %.4f, max |score diff| %.2e -> %s |\n",
                hybrid.frames(), hybrid.hostImages(), hybrid.deviceImages(), hybrid.mixedBatches(),
                hybrid.framesDiffering(), hybrid.minIou(), hybrid.maxScoreDiff(), hybrid.pass() ? "PASS" : "FAIL"));
        if (cyc != null) {
            t.append(String.format(Locale.ROOT, "| %d open/close cycles | %s | GPU used MB: before %d, while open %d,"
                            + " after closes %s (growth %d MB); RSS MB after closes %s (growth %d MB); heap MB %s; contexts"
                            + " created %d -> %s |\n", cyc.cycles(), a.getOrDefault("cycle-precision", "fp16"),
                    cyc.gpuUsedBeforeMb(), cyc.gpuUsedWhileOpenMb(), cyc.gpuUsedAfterMb(), cyc.gpuGrowthMb(),
                    cyc.rssAfterMb(), cyc.rssGrowthMb(), cyc.heapUsedAfterMb(), cyc.contextsCreated(),
                    Math.abs(cyc.gpuGrowthMb()) <= 8 ? "FLAT" : "GROWS"));
            ok &= Math.abs(cyc.gpuGrowthMb()) <= 8;
        }
        System.out.println(t);
        report.put("pass", ok);
        JSON.enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("gpu-checks.json").toFile(), report);
        System.exit(ok ? 0 : 1);
    }
}

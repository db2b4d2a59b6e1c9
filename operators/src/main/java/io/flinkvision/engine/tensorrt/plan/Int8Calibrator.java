package io.flinkvision.engine.tensorrt.plan;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.cuda.DeviceBuffer;
import io.flinkvision.engine.tensorrt.cuda.PinnedBuffer;

import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.LetterboxedImage;
import io.flinkvision.imaging.TensorLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.flink.annotation.Internal;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.tensorrt.nvinfer.IInt8Calibrator;
import org.bytedeco.tensorrt.nvinfer.IInt8EntropyCalibrator2;
import org.bytedeco.tensorrt.nvinfer.IInt8MinMaxCalibrator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INT8 calibration data fed from real frames, for TensorRT's entropy ({@code IInt8EntropyCalibrator2}, default) or
 * min-max ({@code IInt8MinMaxCalibrator}) calibrator ({@link EngineSpec#calibrationAlgorithm()}, option
 * {@code inference.tensorrt.int8-calibrator}): every JPEG/PNG of the
 * calibration directory is decoded (OpenCV), letterboxed and laid out NCHW exactly as the operator does
 * ({@link Letterbox}, {@link TensorLayout}), in batches of {@code batchSize} uploaded to one device buffer. The
 * calibration cache (per-tensor scales) is written to {@code cacheFile} and read back by later builds, which then
 * skip calibration.
 *
 * <p>Callbacks run on TensorRT's builder thread; exceptions never cross into native code (they end calibration and
 * are logged).
 */
@Internal
public final class Int8Calibrator {
    private static final Logger LOG = LoggerFactory.getLogger(Int8Calibrator.class);
    /**
     * Element type of the calibration batches handed to TensorRT: the network input's type (uint8) by default, or
     * float32 pixel values with {@link EngineSpec.CalibrationInput#FLOAT32}. Which one TensorRT 10.6 reads for a
     * uint8 network input is not documented; with entropy calibration the network's type matched best
     * (docs/DESIGN.md#int8).
     */
    static ElementType feedType(ElementType networkInput, EngineSpec.CalibrationInput input) {
        return input == EngineSpec.CalibrationInput.FLOAT32 ? ElementType.FLOAT32 : networkInput;
    }

    /** The TensorRT calibrator object (kept reachable by the caller while the build runs). */
    IInt8Calibrator asTensorRt() {
        return algorithm == EngineSpec.CalibrationAlgorithm.MINMAX ? new MinMax(this) : new Entropy(this);
    }

    /** Entropy calibration (TensorRT's recommended default for CNNs). */
    static final class Entropy extends IInt8EntropyCalibrator2 {
        private final Int8Calibrator feed;

        Entropy(Int8Calibrator feed) {
            this.feed = feed;
        }

        @Override
        public int getBatchSize() {
            return feed.getBatchSize();
        }

        @Override
        public boolean getBatch(PointerPointer bindings, PointerPointer names, int nbBindings) {
            return feed.getBatch(bindings, names, nbBindings);
        }

        @Override
        public Pointer readCalibrationCache(LongPointer length) {
            return feed.readCalibrationCache(length);
        }

        @Override
        public void writeCalibrationCache(Pointer ptr, long length) {
            feed.writeCalibrationCache(ptr, length);
        }
    }

    /** Min-max calibration (keeps the full activation range; often better for detection heads). */
    static final class MinMax extends IInt8MinMaxCalibrator {
        private final Int8Calibrator feed;

        MinMax(Int8Calibrator feed) {
            this.feed = feed;
        }

        @Override
        public int getBatchSize() {
            return feed.getBatchSize();
        }

        @Override
        public boolean getBatch(PointerPointer bindings, PointerPointer names, int nbBindings) {
            return feed.getBatch(bindings, names, nbBindings);
        }

        @Override
        public Pointer readCalibrationCache(LongPointer length) {
            return feed.readCalibrationCache(length);
        }

        @Override
        public void writeCalibrationCache(Pointer ptr, long length) {
            feed.writeCalibrationCache(ptr, length);
        }
    }

    private final List<Path> images;
    private final EngineSpec.CalibrationAlgorithm algorithm;
    private final Path cacheFile;
    private final int batchSize;
    private final int device;
    private final Letterbox letterbox;
    private final PinnedBuffer host;
    private final DeviceBuffer dev;
    private final InputBatch batch;
    private int next;
    private BytePointer cacheBytes; // kept reachable while TensorRT reads it

    Int8Calibrator(List<Path> images, Path cacheFile, int batchSize, int height, int width, ElementType type,
            int device, EngineSpec.CalibrationAlgorithm algorithm, EngineSpec.CalibrationInput input) {
        boolean cached = cacheFile != null && Files.isRegularFile(cacheFile);
        if (!cached && (images == null || images.isEmpty())) {
            throw new InferenceException("INT8 needs calibration images: set inference.tensorrt.calibration-dir to a"
                    + " folder of representative JPEG/PNG frames (no calibration cache at " + cacheFile + ")");
        }
        this.images = images == null ? List.of() : images;
        this.algorithm = algorithm;
        this.cacheFile = cacheFile;
        this.batchSize = batchSize;
        this.device = device;
        this.letterbox = new Letterbox(width, height);
        type = feedType(type, input);
        int perImage = 3 * height * width;
        long bytes = (long) batchSize * perImage * type.bytes();
        this.host = new PinnedBuffer(device, bytes, "calibration input");
        this.dev = new DeviceBuffer(device, bytes, "calibration input");
        this.batch = new InputBatch(0, host.buffer(), type, batchSize, perImage);
        LOG.info("INT8 {} calibration: {} images in batches of {}, cache {}{}", algorithmId(algorithm),
                this.images.size(),
                batchSize, cacheFile,
                cached ? " (present: calibration will be skipped)" : "");
    }

    /**
     * Lists calibration images (jpg, jpeg, png; sorted by name) of a directory.
     *
     * @throws InferenceException if the directory cannot be listed
     */
    public static List<Path> listImages(String dir) {
        if (dir == null || dir.isBlank()) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(Path.of(dir))) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new InferenceException("calibration directory '" + dir + "' cannot be listed: " + e
                    + " (set inference.tensorrt.calibration-dir)", e);
        }
    }

    /**
     * Identity of an INT8 build for the cache key: the image count, 12 hex digits over file names and sizes, the
     * calibrator and batch element type where they are not the defaults, and {@code -qhead} when the output head is
     * quantized too ({@code inference.tensorrt.int8-quantize-head}: another plan from the same calibration set).
     */
    public static String calibrationId(List<Path> images, EngineSpec.CalibrationAlgorithm algorithm,
            EngineSpec.CalibrationInput input, boolean quantizeHead) {
        if (images.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (Path p : images) {
            long size;
            try {
                size = Files.size(p);
            } catch (IOException e) {
                size = -1;
            }
            sb.append(p.getFileName()).append(':').append(size).append('\n');
        }
        return images.size() + "img-" + ModelSource.sha256(sb.toString().getBytes(StandardCharsets.UTF_8))
                .substring(0, 12) + (algorithm == EngineSpec.CalibrationAlgorithm.ENTROPY ? "" : "-"
                + algorithmId(algorithm))
                + (feedType(ElementType.UINT8, input) == ElementType.FLOAT32 ? "-float32in" : "")
                + (quantizeHead ? "-qhead" : "");
    }

    /** {@code entropy} or {@code minmax}, as in logs and calibration ids. */
    private static String algorithmId(EngineSpec.CalibrationAlgorithm algorithm) {
        return algorithm.name().toLowerCase(Locale.ROOT);
    }

    int getBatchSize() {
        return batchSize;
    }

    boolean getBatch(PointerPointer bindings, PointerPointer names, int nbBindings) {
        try {
            if (next >= images.size()) {
                return false;
            }
            int filled = 0;
            while (filled < batchSize) {
                Path p = images.get((next++) % images.size()); // the last batch wraps around to stay full
                try (Mat bgr = imread(p.toString(), IMREAD_COLOR)) {
                    if (bgr == null || bgr.empty()) {
                        LOG.warn("INT8 calibration: cannot read {}, skipped", p);
                        if (next >= images.size() && filled == 0) {
                            return false;
                        }
                        continue;
                    }
                    try (LetterboxedImage img = letterbox.apply(bgr)) {
                        TensorLayout.writeNchw(img, batch, filled++);
                    }
                }
            }
            Cuda.setDevice(device);
            Cuda.check(cudaMemcpy(dev.pointer(), host.pointer(), dev.bytes(), cudaMemcpyHostToDevice),
                    "cudaMemcpy(calibration batch H2D)", device);
            bindings.put(0, dev.pointer());
            if (next % (batchSize * 8) < batchSize) {
                LOG.info("INT8 calibration: {} of {} images", Math.min(next, images.size()), images.size());
            }
            return true;
        } catch (Throwable t) {
            LOG.error("INT8 calibration batch failed, ending calibration: {}", t.toString());
            return false;
        }
    }

    Pointer readCalibrationCache(LongPointer length) {
        try {
            Optional<byte[]> b = cacheFile == null ? Optional.empty() : PlanCache.readIfPresent(cacheFile);
            if (b.isEmpty() || b.get().length == 0) {
                length.put(0L);
                return null;
            }
            cacheBytes = new BytePointer(b.get());
            length.put((long) b.get().length);
            LOG.info("INT8 calibration: using cache {} ({} bytes)", cacheFile, b.get().length);
            return cacheBytes;
        } catch (Throwable t) {
            LOG.warn("INT8 calibration cache {} unreadable: {}", cacheFile, t.toString());
            length.put(0L);
            return null;
        }
    }

    void writeCalibrationCache(Pointer ptr, long length) {
        if (cacheFile == null || length <= 0) {
            return;
        }
        try {
            byte[] b = new byte[(int) length];
            new BytePointer(ptr).capacity(length).get(b);
            PlanCache.writeAtomically(cacheFile, b);
            LOG.info("INT8 calibration: wrote cache {} ({} bytes)", cacheFile, length);
        } catch (Throwable t) {
            LOG.warn("INT8 calibration: cannot write cache {}: {}", cacheFile, t.toString());
        }
    }

    /** Frees the calibration buffers (after the build). */
    void release() {
        try {
            host.close();
            dev.close();
        } catch (RuntimeException e) {
            LOG.warn("freeing calibration buffers: {}", e.toString());
        }
    }
}

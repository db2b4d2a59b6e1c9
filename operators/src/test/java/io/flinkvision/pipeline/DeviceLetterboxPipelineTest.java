package io.flinkvision.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.imaging.SourceImage;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.SourceBatch;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pipeline's device-letterbox path ({@link LetterboxDevice#GPU}): frames are only decoded on the host, their pixels
 * packed into the slot's {@link SourceBatch} with the letterbox geometry, and the engine letterboxes. Here the engine
 * is {@link HostSourceLetterboxEngine} (the real ONNX Runtime model behind a host letterbox of the staged bytes), so the
 * detections must equal the host-letterbox path's exactly: any wrong offset, size, stride or scale shows up as
 * different boxes. Real golden JPEGs and real raw-bgr frames of several sizes, mixed in one batch, with bad frames.
 */
class DeviceLetterboxPipelineTest {
    private static InferenceEngine ort;
    private static final List<byte[]> JPEGS = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        ort = InferenceEngines.open(EngineSpec.builder().backend(Backend.ONNXRUNTIME)
                .maxBatchSize(8).maxInFlight(2).build());
        for (String name : List.of("vtest_000.jpg", "messi5.jpg", "fruits.jpg", "vtest_100.jpg")) {
            try (InputStream in = DeviceLetterboxPipelineTest.class.getResourceAsStream("/flinkvision/golden/" + name)) {
                JPEGS.add(in.readAllBytes());
            }
        }
    }

    @AfterAll
    static void tearDown() {
        ort.close();
    }

    /** Raw BGR frame of the image scaled to w x h (OpenCV), with its width/height headers. */
    private static Frame raw(byte[] jpeg, int w, int h, long index) throws Exception {
        try (Mat src = new ImageDecoder(DecodeLimits.DEFAULT).decode("jpeg", jpeg, 0, 0); Mat dst = new Mat();
                Size size = new Size(w, h)) {
            resize(src, dst, size, 0, 0, INTER_LINEAR);
            byte[] bytes = new byte[w * h * 3];
            dst.data().get(bytes);
            Frame f = new Frame("cam-raw", index, 0L, FrameEncoding.RAW_BGR, bytes);
            f.setWidth(w);
            f.setHeight(h);
            return f;
        }
    }

    private static List<Frame> frames() throws Exception {
        List<Frame> frames = new ArrayList<>();
        long i = 0;
        for (byte[] jpeg : JPEGS) {
            frames.add(new Frame("cam-jpeg", i++, 0L, FrameEncoding.JPEG, jpeg));
        }
        frames.add(raw(JPEGS.get(0), 768, 576, i++));   // downscale 0.542
        frames.add(raw(JPEGS.get(0), 1280, 720, i++));  // wide: resized 416x234
        frames.add(raw(JPEGS.get(1), 300, 500, i++));   // tall, upscale: resized 249x416
        frames.add(raw(JPEGS.get(3), 417, 311, i++));   // odd sizes, unaligned rows
        Frame truncated = raw(JPEGS.get(0), 64, 48, i++);
        truncated.setPayload(java.util.Arrays.copyOf(truncated.getPayload(), 100));
        frames.add(truncated);
        frames.add(new Frame("cam-bad", i++, 0L, FrameEncoding.JPEG, new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2}));
        return frames;
    }

    private static List<InferenceOutcome> run(InferenceEngine engine, LetterboxDevice where, List<Frame> frames)
            throws Exception {
        return run(engine, where, frames, new BatchPolicy(8, 2000, 2), 2, PipelineListener.NONE);
    }

    private static List<InferenceOutcome> run(InferenceEngine engine, LetterboxDevice where, List<Frame> frames,
            BatchPolicy policy, int threads, PipelineListener listener) throws Exception {
        try (DetectionPipeline p = DetectionPipeline.builder(engine).batchPolicy(policy).preprocessThreads(threads)
                .letterbox(where).hybridBacklog(1).listener(listener).build()) {
            assertThat(p.letterboxesOnDevice()).isEqualTo(where != LetterboxDevice.CPU);
            assertThat(p.letterboxMode()).isEqualTo(where);
            return submitAll(p, frames);
        }
    }

    /** Submits every frame at once and waits for each outcome, in the frames' order. */
    private static List<InferenceOutcome> submitAll(DetectionPipeline p, List<Frame> frames) throws Exception {
        List<CompletableFuture<InferenceOutcome>> fs = new ArrayList<>();
        for (Frame f : frames) {
            fs.add(p.submit(f));
        }
        List<InferenceOutcome> out = new ArrayList<>();
        for (CompletableFuture<InferenceOutcome> f : fs) {
            out.add(f.get(120, TimeUnit.SECONDS));
        }
        return out;
    }

    @Test
    void deviceLetterboxPathGivesTheHostPathsDetectionsForMixedSizesAndEncodings() throws Exception {
        List<Frame> frames = frames();
        List<InferenceOutcome> host = run(ort, LetterboxDevice.CPU, frames);
        HostSourceLetterboxEngine device = new HostSourceLetterboxEngine(ort);
        List<InferenceOutcome> staged;
        try {
            staged = run(device, LetterboxDevice.GPU, frames);
        } finally {
            device.close();
        }
        assertThat(device.sourceBatches.get()).as("batches that went through the source staging").isGreaterThan(0);
        assertThat(staged).hasSameSizeAs(frames);
        assertSameOutcomes(host, staged);
        long deadLetters = staged.stream().filter(InferenceOutcome::isDeadLetter).count();
        long detections = staged.size() - deadLetters;
        // counts balance: every frame is a detections record or a dead letter with its reason
        assertThat(detections + deadLetters).isEqualTo(frames.size());
        assertThat(deadLetters).isEqualTo(2);
        assertThat(staged.get(frames.size() - 2).getDeadLetter().getReason())
                .isEqualTo(DeadLetterReason.SIZE_MISMATCH.code());
    }

    /** Same detections (or dead letter reason), frame index and image size, frame by frame. */
    private static void assertSameOutcomes(List<InferenceOutcome> expected, List<InferenceOutcome> actual) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int k = 0; k < expected.size(); k++) {
            InferenceOutcome a = expected.get(k);
            InferenceOutcome b = actual.get(k);
            assertThat(b.isDeadLetter()).as("frame %d: %s", k, b).isEqualTo(a.isDeadLetter());
            if (a.isDeadLetter()) {
                assertThat(b.getDeadLetter().getReason()).isEqualTo(a.getDeadLetter().getReason());
                continue;
            }
            assertThat(b.getDetections().getFrameIndex()).isEqualTo(a.getDetections().getFrameIndex());
            assertThat(b.getDetections().getImageWidth()).isEqualTo(a.getDetections().getImageWidth());
            assertThat(b.getDetections().getImageHeight()).isEqualTo(a.getDetections().getImageHeight());
            List<Detection> x = a.getDetections().getDetections();
            List<Detection> y = b.getDetections().getDetections();
            assertThat(y).as("frame %d", k).hasSameSizeAs(x).isNotEmpty();
            for (int i = 0; i < x.size(); i++) {
                assertThat(y.get(i).getClassId()).isEqualTo(x.get(i).getClassId());
                assertThat(y.get(i).getScore()).isCloseTo(x.get(i).getScore(), Offset.offset(1e-4f));
                assertThat(y.get(i).getBox().iou(x.get(i).getBox())).isGreaterThan(0.999f);
            }
        }
    }

    @Test
    void hybridLetterboxSendsMixedBatchesAndKeepsEachFramesDetections() throws Exception {
        // The corpus, then its valid frames again, submitted at once to one pre-processing thread: while the queue
        // holds more than one frame (backlog 1), frames are only decoded (device letterbox); the last two (queue drained) are
        // letterboxed on the host. Batches of up to 8 frames (2 s delay) hold both kinds.
        List<Frame> frames = new ArrayList<>(frames());
        long i = frames.size();
        for (Frame f : frames().subList(0, 8)) {
            Frame copy = new Frame(f.getCameraId(), i++, 0L, FrameEncoding.fromWireName(f.getEncoding()).orElseThrow(),
                    f.getPayload());
            copy.setWidth(f.getWidth());
            copy.setHeight(f.getHeight());
            frames.add(copy);
        }
        List<InferenceOutcome> host = run(ort, LetterboxDevice.CPU, frames);
        LetterboxCounts count = new LetterboxCounts();
        HostSourceLetterboxEngine device = new HostSourceLetterboxEngine(ort);
        List<InferenceOutcome> hybrid;
        try {
            hybrid = run(device, LetterboxDevice.HYBRID, frames, new BatchPolicy(8, 2000, 2), 1, count);
        } finally {
            device.close();
        }
        assertSameOutcomes(host, hybrid);
        long dead = hybrid.stream().filter(InferenceOutcome::isDeadLetter).count();
        assertThat(dead).isEqualTo(2);
        assertThat(count.hostImages() + count.deviceImages() + dead).as("counts balance").isEqualTo(frames.size());
        assertThat(count.hostImages()).as("host-letterboxed images").isGreaterThan(0);
        assertThat(count.deviceImages()).as("device-letterboxed images").isGreaterThan(0);
        assertThat(count.mixedBatches()).as("batches with both kinds (pipeline)").isGreaterThan(0);
        assertThat(device.mixedBatches.get()).as("batches with both kinds (engine)").isGreaterThan(0);
    }

    /** Counts the pipeline's JPEG callbacks; {@code pipelineFallbacks} is its own count at close. */
    private static final class JpegCounts implements PipelineListener {
        final java.util.concurrent.atomic.AtomicLong deviceFiles = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong retried = new java.util.concurrent.atomic.AtomicLong();
        long pipelineFallbacks;

        @Override
        public void onBatchDeviceJpeg(int files) {
            deviceFiles.addAndGet(files);
        }

        @Override
        public void onRetriedOnCpu(Throwable cause) {
            assertThat(cause).isInstanceOf(io.flinkvision.engine.JpegDecodeException.class);
            retried.incrementAndGet();
        }
    }

    private static List<InferenceOutcome> runJpeg(InferenceEngine engine, LetterboxDevice where,
            JpegDecodeDevice jpeg, List<Frame> frames, JpegCounts counts) throws Exception {
        try (DetectionPipeline p = DetectionPipeline.builder(engine).batchPolicy(new BatchPolicy(8, 2000, 2))
                .preprocessThreads(2).letterbox(where).hybridBacklog(1).jpegDecode(jpeg).listener(counts).build()) {
            List<InferenceOutcome> out = submitAll(p, frames);
            counts.pipelineFallbacks = p.jpegFallbacks();
            return out;
        }
    }

    @Test
    void jpegDecodedOnTheDeviceGivesTheHostPathsDetections() throws Exception {
        // JPEG files staged undecoded next to raw frames; the stand-in engine decodes them as nvJPEG would (OpenCV
        // here), so the detections must equal the all-host path's: a wrong file offset, length or size shows.
        List<Frame> frames = frames();
        List<InferenceOutcome> host = run(ort, LetterboxDevice.CPU, frames);
        HostSourceLetterboxEngine device = new HostSourceLetterboxEngine(ort, true);
        JpegCounts counts = new JpegCounts();
        List<InferenceOutcome> staged;
        try {
            staged = runJpeg(device, LetterboxDevice.GPU, JpegDecodeDevice.AUTO, frames, counts);
        } finally {
            device.close();
        }
        assertSameOutcomes(host, staged);
        assertThat(device.jpegFiles.get()).as("JPEG files the engine decoded").isEqualTo(JPEGS.size());
        assertThat(counts.deviceFiles.get()).as("listener: files sent to the device decoder").isEqualTo(JPEGS.size());
        assertThat(counts.retried.get()).isZero();
        assertThat(counts.pipelineFallbacks).isZero();
        assertThat(staged.stream().filter(o -> !o.isDeadLetter()).count()).isEqualTo(frames.size() - 2);
    }

    @Test
    void batchTheDeviceDecoderRefusesIsDecodedAgainOnTheCpuFrameByFrame() throws Exception {
        // Every batch holding a JPEG file fails on the device (as nvjpegDecodeBatched does for one bad file): all its
        // frames are decoded and letterboxed on the CPU and batched again; none is lost, none fails twice.
        List<Frame> frames = frames();
        List<InferenceOutcome> host = run(ort, LetterboxDevice.CPU, frames);
        HostSourceLetterboxEngine device = new HostSourceLetterboxEngine(ort, true);
        device.refuseJpegBatches = true;
        JpegCounts counts = new JpegCounts();
        List<InferenceOutcome> staged;
        try {
            staged = runJpeg(device, LetterboxDevice.GPU, JpegDecodeDevice.GPU, frames, counts);
        } finally {
            device.close();
        }
        assertThat(device.refusedBatches.get()).isGreaterThan(0);
        assertThat(device.jpegFiles.get()).isZero();
        // every frame of a refused batch (JPEG or raw) goes through the CPU once more and gets the host path's outcome
        assertSameOutcomes(host, staged);
        long refusedFrames = frames.size() - 2; // the two bad frames never reach a batch
        assertThat(counts.pipelineFallbacks).as("frames decoded again on the CPU").isPositive()
                .isLessThanOrEqualTo(refusedFrames);
        assertThat(counts.pipelineFallbacks).as("at least the JPEG frames").isGreaterThanOrEqualTo(JPEGS.size());
        assertThat(counts.retried.get()).as("listener: frames retried on the CPU").isEqualTo(counts.pipelineFallbacks);
    }

    @Test
    void jpegDecodeResolvesToWhereItCanRun() {
        assertThat(JpegDecodeDevice.AUTO.resolve(true, LetterboxDevice.GPU, "x")).isEqualTo(JpegDecodeDevice.GPU);
        assertThat(JpegDecodeDevice.AUTO.resolve(true, LetterboxDevice.HYBRID, "x")).isEqualTo(JpegDecodeDevice.GPU);
        assertThat(JpegDecodeDevice.AUTO.resolve(true, LetterboxDevice.CPU, "x")).isEqualTo(JpegDecodeDevice.CPU);
        assertThat(JpegDecodeDevice.AUTO.resolve(false, LetterboxDevice.GPU, "x")).isEqualTo(JpegDecodeDevice.CPU);
        assertThat(JpegDecodeDevice.CPU.resolve(true, LetterboxDevice.GPU, "x")).isEqualTo(JpegDecodeDevice.CPU);
        assertThatThrownBy(() -> JpegDecodeDevice.GPU.resolve(false, LetterboxDevice.GPU, "onnxruntime"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("onnxruntime cannot");
        assertThatThrownBy(() -> JpegDecodeDevice.GPU.resolve(true, LetterboxDevice.CPU, "tensorrt"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("letterboxes on the CPU");
        // an engine without the decoder: AUTO decodes on the CPU, GPU is refused at start
        try (DetectionPipeline p = DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2))
                .preprocessThreads(1).letterbox(LetterboxDevice.AUTO).hybridBacklog(1)
                .jpegDecode(JpegDecodeDevice.AUTO).build()) {
            assertThat(p.jpegDecodeMode()).isEqualTo(JpegDecodeDevice.CPU);
        }
        assertThatThrownBy(() -> DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2))
                .preprocessThreads(1).letterbox(LetterboxDevice.AUTO).hybridBacklog(1)
                .jpegDecode(JpegDecodeDevice.GPU).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hybridOnAnEngineThatCannotLetterboxesOnTheHost() {
        try (DetectionPipeline p = DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2))
                .preprocessThreads(1).letterbox(LetterboxDevice.HYBRID).build()) {
            assertThat(p.letterboxesOnDevice()).isFalse();
            assertThat(p.letterboxMode()).isEqualTo(LetterboxDevice.CPU);
        }
    }

    @Test
    void mixedSizeIsCheckedAndSplitsTheBatch() {
        SourceBatch sources = new SourceBatch(bytes -> ByteBuffer.allocateDirect((int) bytes), 4);
        InputBatch in = new InputBatch(0, ByteBuffer.allocateDirect(4 * 12), io.flinkvision.tensor.ElementType.UINT8,
                4, 12, sources);
        in.setMixedSize(3, 1);
        assertThat(in.size()).isEqualTo(4);
        assertThat(in.hostImages()).isEqualTo(3);
        assertThat(in.sourceImages()).isEqualTo(1);
        assertThat(in.fromSources()).isTrue();
        assertThat(in.filledBytes()).isEqualTo(36);
        in.setSize(2);
        assertThat(in.fromSources()).isFalse();
        assertThat(in.sourceImages()).isZero();
        assertThatThrownBy(() -> in.setMixedSize(3, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> in.setMixedSize(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> in.setMixedSize(-1, 2)).isInstanceOf(IllegalArgumentException.class);
        InputBatch hostOnly = new InputBatch(0, ByteBuffer.allocateDirect(48), io.flinkvision.tensor.ElementType.UINT8,
                4, 12);
        assertThatThrownBy(() -> hostOnly.setMixedSize(1, 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void gpuLetterboxOnAnEngineThatCannotIsRefusedAndAutoFallsBackToTheHost() {
        assertThatThrownBy(() -> DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2))
                .preprocessThreads(1).letterbox(LetterboxDevice.GPU).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("onnxruntime cannot");
        try (DetectionPipeline p = DetectionPipeline.builder(ort).batchPolicy(new BatchPolicy(8, 10, 2))
                .preprocessThreads(1).letterbox(LetterboxDevice.AUTO).build()) {
            assertThat(p.letterboxesOnDevice()).isFalse();
        }
    }

    @Test
    void rawPayloadIsWrappedAndCopiedIntoStagingAsIs() throws Exception {
        Frame f = raw(JPEGS.get(2), 33, 17, 0);
        try (SourceImage s = new ImageDecoder(DecodeLimits.DEFAULT).decodeSource("raw-bgr", f.getPayload(), 33, 17)) {
            assertThat(s.bytes()).isEqualTo(33 * 17 * 3);
            ByteBuffer staging = ByteBuffer.allocateDirect(4096);
            s.copyTo(staging, 512);
            byte[] back = new byte[(int) s.bytes()];
            staging.get(512, back);
            assertThat(back).isEqualTo(f.getPayload());
        }
    }

    @Test
    void sourceBatchRejectsUnalignedOrOverflowingImages() {
        SourceBatch b = new SourceBatch(bytes -> ByteBuffer.allocateDirect((int) bytes), 2);
        b.reserve(SourceBatch.align(SourceBatch.imageBytes(10, 10)) + SourceBatch.imageBytes(10, 10));
        b.set(0, 0, 10, 10, 5, 5);
        b.set(1, SourceBatch.ALIGNMENT * 2, 10, 10, 5, 5);
        assertThat(b.offset(1)).isEqualTo(512);
        assertThatThrownBy(() -> b.set(1, 100, 10, 10, 5, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unaligned");
        assertThatThrownBy(() -> b.set(1, 512, 20, 20, 5, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside");
        assertThatThrownBy(() -> b.set(2, 0, 10, 10, 5, 5)).isInstanceOf(IllegalArgumentException.class);
    }
}

package io.flinkvision.pipeline;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.JpegDecodeException;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.LetterboxedImage;
import io.flinkvision.imaging.TensorLayout;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.tensor.SourceBatch;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Test stand-in for an engine that letterboxes on its device (the TensorRT engine with its letterbox kernel), where CI has no GPU: it
 * wraps a real engine (ONNX Runtime with the real model), offers a {@link SourceBatch} per slot backed by a direct
 * buffer, and at {@link #submit} does on the host what {@code DeviceLetterbox} does on the GPU: for each recorded
 * image (placed after the batch's host-letterboxed images, as in a mixed batch), read the BGR HWC bytes at its offset, resize to the recorded size (OpenCV, the host {@link Letterbox}), pad
 * with 114, then run the wrapped engine. It checks the recorded resized size against the letterbox's own, so a pipeline
 * that staged wrong geometry fails here. Made with {@code decodesJpeg}, it also stands in for the GPU's hardware JPEG
 * decoder: a staged JPEG file is decoded with OpenCV (checked against the recorded size) before the letterbox, and
 * {@link #refuseJpegBatches} makes it fail every batch holding a JPEG file, as {@code nvjpegDecodeBatched} does for
 * a file it cannot decode. The CUDA kernel and nvJPEG themselves are exercised by {@code TrtGpuChecks} on the GPU
 * machine.
 */
final class HostSourceLetterboxEngine implements InferenceEngine {
    private final InferenceEngine inner;
    private final Letterbox letterbox;
    private final Map<Integer, InputBatch> innerBatches = new ConcurrentHashMap<>();
    private final Map<Integer, InputBatch> outerBatches = new ConcurrentHashMap<>();
    final AtomicInteger sourceBatches = new AtomicInteger();
    final AtomicInteger mixedBatches = new AtomicInteger();
    final AtomicInteger stagingGrowths = new AtomicInteger();
    final AtomicInteger jpegFiles = new AtomicInteger();
    final AtomicInteger refusedBatches = new AtomicInteger();
    volatile boolean refuseJpegBatches;
    private final boolean decodesJpeg;

    HostSourceLetterboxEngine(InferenceEngine inner) {
        this(inner, false);
    }

    /** @param decodesJpeg whether it takes JPEG files among the source images ({@link #decodesJpegOnDevice()}) */
    HostSourceLetterboxEngine(InferenceEngine inner, boolean decodesJpeg) {
        this.inner = inner;
        this.decodesJpeg = decodesJpeg;
        this.letterbox = new Letterbox(inner.info().inputWidth(), inner.info().inputHeight());
    }

    @Override
    public boolean decodesJpegOnDevice() {
        return decodesJpeg;
    }

    @Override
    public EngineInfo info() {
        return inner.info();
    }

    @Override
    public boolean letterboxesOnDevice() {
        return true;
    }

    @Override
    public InputBatch acquire() throws InterruptedException {
        InputBatch in = inner.acquire();
        innerBatches.put(in.slot(), in);
        return outerBatches.computeIfAbsent(in.slot(), slot -> new InputBatch(slot, in.data(), in.type(),
                in.capacity(), in.elementsPerImage(), new SourceBatch(new GrowingStaging(), in.capacity())));
    }

    @Override
    public CompletableFuture<OutputBatch> submit(InputBatch batch) {
        InputBatch in = innerBatches.get(batch.slot());
        if (!batch.fromSources()) {
            in.setSize(batch.size());
            return inner.submit(in);
        }
        sourceBatches.incrementAndGet();
        if (batch.hostImages() > 0) {
            mixedBatches.incrementAndGet();
        }
        SourceBatch s = batch.sources();
        int host = batch.hostImages();
        for (int i = 0; i < batch.sourceImages(); i++) {
            int[] expected = letterbox.resizedSize(s.width(i), s.height(i));
            if (expected[0] != s.resizedWidth(i) || expected[1] != s.resizedHeight(i)) {
                inner.release(in);
                return CompletableFuture.failedFuture(new IllegalStateException("image " + i + " staged with resized"
                        + " size " + s.resizedWidth(i) + "x" + s.resizedHeight(i) + ", letterbox says " + expected[0]
                        + "x" + expected[1]));
            }
            if (s.isJpeg(i)) {
                if (!decodesJpeg || refuseJpegBatches) {
                    inner.release(in);
                    refusedBatches.incrementAndGet();
                    return CompletableFuture.failedFuture(new JpegDecodeException("nvjpegDecodeBatched(" + i
                            + ", test device) failed: NVJPEG_STATUS_JPEG_NOT_SUPPORTED (emulated)"));
                }
                jpegFiles.incrementAndGet();
                byte[] file = new byte[s.jpegLength(i)];
                s.staging().get((int) s.offset(i), file);
                try (Mat buf = new Mat(new BytePointer(file)); Mat bgr = imdecode(buf, IMREAD_COLOR)) {
                    if (bgr.empty()) { // as nvJPEG fails a batch holding a file it cannot decode
                        inner.release(in);
                        refusedBatches.incrementAndGet();
                        return CompletableFuture.failedFuture(new JpegDecodeException("nvjpegDecodeBatched(" + i
                                + ", test device) failed: NVJPEG_STATUS_BAD_JPEG (emulated: OpenCV cannot decode it)"));
                    }
                    if (bgr.cols() != s.width(i) || bgr.rows() != s.height(i)) {
                        inner.release(in);
                        return CompletableFuture.failedFuture(new IllegalStateException("JPEG " + i + " staged as "
                                + s.width(i) + "x" + s.height(i) + ", decodes to " + bgr.cols() + "x" + bgr.rows()));
                    }
                    try (LetterboxedImage image = letterbox.apply(bgr)) {
                        TensorLayout.writeNchw(image, in, host + i);
                    }
                }
                continue;
            }
            BytePointer pixels = new BytePointer(s.staging()).position(s.offset(i));
            try (Mat bgr = new Mat(s.height(i), s.width(i), CV_8UC3, pixels);
                    LetterboxedImage image = letterbox.apply(bgr)) {
                TensorLayout.writeNchw(image, in, host + i);
            }
        }
        in.setSize(batch.size());
        return inner.submit(in);
    }

    @Override
    public void release(InputBatch batch) {
        inner.release(innerBatches.get(batch.slot()));
    }

    @Override
    public void close() {
        letterbox.close();
    }

    /** Staging that grows like the pinned one of an execution slot (contents not kept). */
    private final class GrowingStaging implements SourceBatch.Staging {
        private ByteBuffer buffer;

        @Override
        public ByteBuffer ensureCapacity(long bytes) {
            if (buffer == null || buffer.capacity() < bytes) {
                buffer = ByteBuffer.allocateDirect((int) bytes);
                stagingGrowths.incrementAndGet();
            }
            return buffer;
        }
    }
}

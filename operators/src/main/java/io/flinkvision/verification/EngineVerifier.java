package io.flinkvision.verification;

import io.flinkvision.detection.Detection;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.tensor.OutputLayout;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.LetterboxedImage;
import io.flinkvision.imaging.TensorLayout;
import io.flinkvision.postprocess.YoloxPostprocessor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.annotation.PublicEvolving;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Runs a reference engine (ONNX Runtime) and an engine under test on the same pre-processed inputs and compares them:
 * each image is letterboxed once on the host ({@link Letterbox}) and written into both engines' input batches
 * ({@link TensorLayout}), both run the batch, and then every element of the raw output {@code [N, anchors, 5 + classes]}
 * is compared ({@link TensorComparison}) and both outputs are decoded with the same thresholds
 * ({@link YoloxPostprocessor}) and their detections matched ({@link DetectionAgreement}).
 *
 * <p>The engine under test must return the raw YOLOX output (for TensorRT: {@code outputTopClasses} 0), so that the
 * tensors can be compared element by element. What is verified is the engine (its plan and runtime), not the
 * letterbox: a device letterbox is not used.
 */
@PublicEvolving
public final class EngineVerifier {
    /** How long one batch may take on an engine; a first TensorRT build happens at open, not here. */
    private static final long BATCH_TIMEOUT_SECONDS = 600;

    private EngineVerifier() {}

    /**
     * Verifies {@code test} against {@code reference}.
     *
     * @param reference the reference engine (raw output)
     * @param test the engine under test (raw output)
     * @param frames BGR {@code CV_8UC3} images of any size; not modified, not closed
     * @param sources one description per frame for the report (file name, video frame)
     * @param settings tolerance, agreement threshold, post-processing thresholds
     * @return the report; {@link VerificationReport#passed()} is the verdict
     * @throws IllegalArgumentException if the engines' input or output geometry differ, an output is not the raw YOLOX
     *     layout, there are no frames, or {@code sources} does not have one entry per frame
     * @throws InferenceException if an engine fails or a batch takes longer than 10 minutes
     * @throws InterruptedException if interrupted while waiting for an engine
     */
    public static VerificationReport verify(InferenceEngine reference, InferenceEngine test, List<Mat> frames,
            List<String> sources, VerificationSettings settings) throws InterruptedException {
        return run(reference, test, frames, sources, settings, true);
    }

    /**
     * Verifies the detections of {@code test} against {@code reference}, whatever output layout {@code test} serves
     * (for TensorRT the serving plan reduces the head to the top classes on the GPU, so its tensors cannot be compared
     * element by element with ONNX Runtime's raw output). The report's {@code tensor} is null; the verdict is the
     * detection agreement at IoU >= 0.9 against {@link VerificationSettings#minAgreement()}.
     *
     * @param reference the reference engine (raw output)
     * @param test the engine under test, any {@link OutputLayout}
     * @throws IllegalArgumentException if the engines take different inputs, the reference is not raw, there are no
     *     frames, or {@code sources} does not have one entry per frame
     * @throws InferenceException if an engine fails or a batch takes longer than 10 minutes
     * @throws InterruptedException if interrupted while waiting for an engine
     */
    public static VerificationReport verifyDetections(InferenceEngine reference, InferenceEngine test,
            List<Mat> frames, List<String> sources, VerificationSettings settings) throws InterruptedException {
        return run(reference, test, frames, sources, settings, false);
    }

    private static VerificationReport run(InferenceEngine reference, InferenceEngine test, List<Mat> frames,
            List<String> sources, VerificationSettings settings, boolean compareTensors) throws InterruptedException {
        EngineInfo ri = reference.info();
        EngineInfo ti = test.info();
        checkCompatible(ri, ti, compareTensors);
        if (frames.isEmpty() || frames.size() != sources.size()) {
            throw new IllegalArgumentException("verification needs at least one frame and one source per frame, got "
                    + frames.size() + " frames and " + sources.size() + " sources");
        }
        TensorComparison tensors = new TensorComparison(settings.tolerance(), ri.inputWidth(), ri.inputHeight(),
                ri.outputRows(), ri.outputColumns(), settings.worstElements());
        DetectionAgreement agreement = new DetectionAgreement(settings.worstFrames());
        YoloxPostprocessor refPost = new YoloxPostprocessor(ri.inputWidth(), ri.inputHeight(), ri.outputRows(),
                ri.outputLayout(), settings.postprocess());
        YoloxPostprocessor testPost = new YoloxPostprocessor(ti.inputWidth(), ti.inputHeight(), ti.outputRows(),
                ti.outputLayout(), settings.postprocess());
        int batchSize = Math.min(ri.maxBatchSize(), ti.maxBatchSize());
        int perImage = ri.outputElementsPerImage();
        float[] actual = new float[perImage];
        float[] expected = new float[perImage];
        List<ImageResult> images = new ArrayList<>();
        try (Letterbox letterbox = new Letterbox(ri.inputWidth(), ri.inputHeight())) {
            for (int start = 0; start < frames.size(); start += batchSize) {
                int n = Math.min(batchSize, frames.size() - start);
                List<LetterboxedImage> inputs = new ArrayList<>(n);
                try {
                    for (int i = 0; i < n; i++) {
                        inputs.add(letterbox.apply(frames.get(start + i)));
                    }
                    try (OutputBatch refOut = run(reference, inputs); OutputBatch testOut = run(test, inputs)) {
                        for (int i = 0; i < n; i++) {
                            int image = start + i;
                            LetterboxedImage in = inputs.get(i);
                            refOut.data().get(refOut.offset(i), expected, 0, perImage);
                            double maxAbs = 0;
                            long outside = 0;
                            if (compareTensors) {
                                testOut.data().get(testOut.offset(i), actual, 0, perImage);
                                TensorComparison one = new TensorComparison(settings.tolerance(), ri.inputWidth(),
                                        ri.inputHeight(), ri.outputRows(), ri.outputColumns(), 0);
                                one.add(actual, expected);
                                tensors.add(actual, expected);
                                TensorReport mine = one.report();
                                maxAbs = mine.maxAbsError();
                                outside = mine.elements() - mine.within();
                            }
                            List<Detection> rd = refPost.process(refOut.data(), refOut.offset(i), in.scale(),
                                    in.sourceWidth(), in.sourceHeight());
                            List<Detection> td = testPost.process(testOut.data(), testOut.offset(i), in.scale(),
                                    in.sourceWidth(), in.sourceHeight());
                            FrameAgreement fa = agreement.add(sources.get(image), rd, td);
                            images.add(new ImageResult(image, sources.get(image), maxAbs, outside, fa.reference(),
                                    fa.test(), fa.matched90()));
                        }
                    }
                } finally {
                    inputs.forEach(LetterboxedImage::close);
                }
            }
        }
        return new VerificationReport(ri, ti, settings.minAgreement(), compareTensors ? tensors.report() : null,
                agreement.report(),
                List.copyOf(images));
    }

    private static void checkCompatible(EngineInfo r, EngineInfo t, boolean compareTensors) {
        if (r.inputWidth() != t.inputWidth() || r.inputHeight() != t.inputHeight() || r.channels() != t.channels()) {
            throw new IllegalArgumentException("the engines take different inputs: reference " + r.channels() + "x"
                    + r.inputHeight() + "x" + r.inputWidth() + ", under test " + t.channels() + "x" + t.inputHeight()
                    + "x" + t.inputWidth());
        }
        for (EngineInfo e : compareTensors ? List.of(r, t) : List.of(r)) {
            if (e.outputLayout().kind() != OutputLayout.Kind.YOLOX_RAW) {
                throw new IllegalArgumentException("engine " + e.backend().id() + " returns the " + e.outputLayout().id()
                        + " output; verification compares the raw YOLOX output (open it with output top classes 0,"
                        + " inference.tensorrt.output-top-classes=0)");
            }
        }
        if (compareTensors && (r.outputRows() != t.outputRows() || r.outputColumns() != t.outputColumns())) {
            throw new IllegalArgumentException("the engines' outputs differ: reference [" + r.outputRows() + ", "
                    + r.outputColumns() + "], under test [" + t.outputRows() + ", " + t.outputColumns() + "]");
        }
    }

    /** Fills one batch of the engine from the letterboxed images, runs it, waits for its output. */
    private static OutputBatch run(InferenceEngine engine, List<LetterboxedImage> inputs)
            throws InterruptedException {
        InputBatch batch = engine.acquire();
        try {
            for (int i = 0; i < inputs.size(); i++) {
                TensorLayout.writeNchw(inputs.get(i), batch, i);
            }
            batch.setSize(inputs.size());
        } catch (RuntimeException e) {
            engine.release(batch);
            throw e;
        }
        CompletableFuture<OutputBatch> future = engine.submit(batch);
        try {
            return future.get(BATCH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof InferenceException ? (InferenceException) cause
                    : new InferenceException(engine.info().backend().id() + " failed on a batch of " + inputs.size()
                            + ": " + cause, cause);
        } catch (TimeoutException e) {
            future.whenComplete((out, err) -> {
                if (out != null) {
                    out.close();
                }
            });
            throw new InferenceException(engine.info().backend().id() + " did not return a batch of " + inputs.size()
                    + " within " + BATCH_TIMEOUT_SECONDS + " s");
        }
    }
}

package io.flinkvision.pipeline;

import io.flinkvision.detection.Detection;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.detection.LatencyBreakdown;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.postprocess.PostprocessConfig;
import io.flinkvision.postprocess.YoloxPostprocessor;
import io.flinkvision.tensor.OutputBatch;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an engine's output of one micro-batch into one detection record per frame: YOLOX decode, class-aware NMS and
 * boxes to source pixels ({@link YoloxPostprocessor}), in parallel for larger batches, then the record with its
 * latencies ({@link OutcomeFactory}). Warns (at 1, 10, 100, ... anchors) when a top-classes output may have hidden a
 * class above the score threshold. Thread-safe.
 */
final class BatchPostprocessor {
    private static final Logger LOG = LoggerFactory.getLogger(BatchPostprocessor.class);

    private final EngineInfo info;
    private final YoloxPostprocessor postprocessor;
    private final OutcomeFactory outcomes;
    private final PipelineListener listener;
    private final AtomicLong saturationWarnAt = new AtomicLong(1);

    /**
     * @param info the engine's input size, output rows and layout
     * @param config score and NMS thresholds
     */
    BatchPostprocessor(EngineInfo info, PostprocessConfig config, OutcomeFactory outcomes,
            PipelineListener listener) {
        this.info = info;
        this.postprocessor = new YoloxPostprocessor(info.inputWidth(), info.inputHeight(), info.outputRows(),
                info.outputLayout(), config);
        this.outcomes = outcomes;
        this.listener = listener;
    }

    /**
     * The outcomes of a batch, in its order.
     *
     * @param outIndex image index in the engine's batch of each frame, or null when it is the frame's index
     * @param out the engine's output {@code [N, rows, columns]} (not closed here)
     * @param dispatchNanos when the batch was dispatched, {@link System#nanoTime()}: the end of each frame's queue time
     */
    List<InferenceOutcome> process(List<PreparedFrame> batch, int[] outIndex, OutputBatch out, long dispatchNanos) {
        double inferenceMs = out.times().totalNanos() / 1e6;
        double[] queueMs = new double[batch.size()];
        InferenceOutcome[] result = new InferenceOutcome[batch.size()];
        ParallelFor.run(batch.size(), i -> {
            PreparedFrame p = batch.get(i);
            queueMs[i] = (dispatchNanos - p.enteredNanos()) / 1e6;
            int image = outIndex == null ? i : outIndex[i];
            List<Detection> detections = postprocessor.process(out.data(), out.offset(image), p.scale(), p.sourceWidth(),
                    p.sourceHeight());
            long now = System.nanoTime();
            LatencyBreakdown latency = new LatencyBreakdown(round(queueMs[i]), round(inferenceMs),
                    round((now - p.enteredNanos()) / 1e6));
            result[i] = outcomes.detections(p.frame(), p.sourceWidth(), p.sourceHeight(), detections, batch.size(),
                    latency);
        });
        listener.onBatchCompleted(batch.size(), queueMs, out.times());
        warnIfSaturated();
        return Arrays.asList(result);
    }

    private void warnIfSaturated() {
        long n = postprocessor.saturatedAnchors();
        long next = saturationWarnAt.get();
        if (n >= next && saturationWarnAt.compareAndSet(next, next * 10)) {
            LOG.warn("{} anchor(s) so far had all {} top classes above the score threshold {}: a further class may"
                    + " have been cut (raise inference.tensorrt.output-top-classes, or 0 for the raw output)", n,
                    info.outputLayout().topK(), postprocessor.config().scoreThreshold());
        }
    }

    private static double round(double ms) {
        return Math.round(ms * 1000d) / 1000d;
    }
}

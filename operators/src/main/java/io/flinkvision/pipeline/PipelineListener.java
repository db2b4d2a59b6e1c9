package io.flinkvision.pipeline;

import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.tensor.OutputBatch;
import org.apache.flink.annotation.Internal;

/**
 * Observer of a {@link DetectionPipeline}, e.g. for metrics. Callbacks run on pipeline threads: keep them cheap and
 * never throw.
 */
@Internal
public interface PipelineListener {
    /** A listener that ignores everything. */
    PipelineListener NONE = new PipelineListener() {};

    /**
     * A micro-batch was dispatched to the engine.
     *
     * @param size frames in the batch
     * @param batchesInFlight batches in flight including this one
     */
    default void onBatchStarted(int size, int batchesInFlight) {}

    /**
     * Host time of dispatching a micro-batch, measured on the batcher's dispatch thread.
     *
     * @param size frames in the batch
     * @param slotWaitNanos waiting for a free execution slot ({@code engine.acquire()}), ns: the engine's back-pressure
     * @param fillNanos writing the batch into the slot's input (NCHW fill or source staging), ns
     */
    default void onBatchDispatched(int size, long slotWaitNanos, long fillNanos) {}

    /**
     * Where the images of a dispatched micro-batch were letterboxed.
     *
     * @param hostImages letterboxed on the pre-processing threads (OpenCV)
     * @param deviceImages letterboxed by the engine on its device
     */
    default void onBatchLetterboxed(int hostImages, int deviceImages) {}

    /**
     * Host-side path of a micro-batch between its launch and its post-processing, to see where a batch waits. All
     * times are {@link System#nanoTime()} values.
     *
     * @param size frames in the batch
     * @param launchedNanos when the launch returned on the dispatch thread
     * @param completedNanos when the engine handed the output over ({@link OutputBatch#completedNanos()}): after the
     *     device work, waiting behind other batches and the completion thread's wake-up
     * @param postprocessStartNanos when its post-processing started on the common fork-join pool
     * @param times the engine's stage times of the batch (device clock)
     */
    default void onBatchReturned(int size, long launchedNanos, long completedNanos, long postprocessStartNanos,
            OutputBatch.StageTimes times) {}

    /**
     * Host time of post-processing a micro-batch (YOLOX decode, NMS, records), on the common fork-join pool.
     *
     * @param size frames in the batch
     * @param nanos duration, ns
     */
    default void onBatchPostprocessed(int size, long nanos) {}

    /**
     * A micro-batch came back from the engine.
     *
     * @param size frames in the batch
     * @param queueDelaysMs per frame, ms from entering the pipeline to the batch's dispatch
     * @param times engine stage times of the batch
     */
    default void onBatchCompleted(int size, double[] queueDelaysMs, OutputBatch.StageTimes times) {}

    /**
     * A micro-batch was filled with {@code files} JPEG files for the engine's device decoder (0 when none; only called
     * when the pipeline decodes JPEG on the device).
     */
    default void onBatchDeviceJpeg(int files) {}

    /**
     * A frame whose batch the device's JPEG decoder refused ({@code cause}) is being decoded and letterboxed again on
     * the CPU.
     */
    default void onRetriedOnCpu(Throwable cause) {}

    /** A micro-batch failed in the engine. */
    default void onBatchFailed(int size, Throwable error) {}

    /** A frame's outcome is final (detections or dead letter). */
    default void onOutcome(InferenceOutcome outcome) {}
}

package io.flinkvision.flink;

import io.flinkvision.frame.Frame;
import java.io.Serializable;
import org.apache.flink.annotation.Internal;

/**
 * Fault-injection hook for tests of the failure behaviour (exactly-once across restarts, chaos tests): called by
 * {@link GpuInferenceFunction#asyncInvoke} for every frame before it enters the pipeline. An exception thrown here
 * fails the task exactly as a bug or a lost resource inside the operator would: Flink cancels the task, restores the
 * last checkpoint and re-invokes the frames that were queued in the async operator.
 *
 * <p>Not for production jobs: leave it unset ({@link GpuInferenceFunction.Builder#failureInjector} defaults to none).
 * Serializable, so it travels with the function; state shared across restarts must live outside the instance (e.g. in
 * a static field of the test in a MiniCluster).
 */
@Internal
@FunctionalInterface
public interface FailureInjector extends Serializable {
    /**
     * Called before a frame enters the pipeline.
     *
     * @param frame the frame about to be processed
     * @param subtaskIndex index of this parallel subtask
     * @param attemptNumber the task's attempt number (0 on the first run, incremented by every restart)
     * @param batchesInFlight micro-batches handed to the engine and not yet completed at this moment
     * @throws Exception to fail the task
     */
    void beforeInvoke(Frame frame, int subtaskIndex, int attemptNumber, int batchesInFlight) throws Exception;
}

package io.flinkvision.pipeline;

import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.JpegDecodeException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU retry of frames whose micro-batch the device's JPEG decoder refused ({@link JpegDecodeException}: nvJPEG
 * fails the whole batch for one file). Each frame of such a batch is decoded and letterboxed again on the CPU and
 * batched again, once, so that the other frames of that batch are not lost; the file the device could not decode then
 * gets OpenCV's verdict (detections, or a {@code decode-failed} dead letter). Counts the retries and logs them at 1,
 * 10, 100, ... frames. Thread-safe.
 */
final class JpegRetry {
    private static final Logger LOG = LoggerFactory.getLogger(JpegRetry.class);

    private final Preprocessor preprocessor;
    private final PipelineListener listener;
    private final AtomicLong fallbacks = new AtomicLong();
    private final AtomicLong warnAt = new AtomicLong(1);

    JpegRetry(Preprocessor preprocessor, PipelineListener listener) {
        this.preprocessor = preprocessor;
        this.listener = listener;
    }

    /** Frames sent back to the CPU so far. */
    long fallbacks() {
        return fallbacks.get();
    }

    /**
     * Queues the CPU decode and letterbox of {@code failed} when its batch failed for the device's JPEG decoder and
     * it was not retried already; the prepared frame goes to {@code requeue}, a frame that cannot be prepared to
     * {@code deadLetter}.
     *
     * @param cause why the frame's batch failed
     * @return true when the retry is queued (the caller then leaves the frame's outcome to it); false when this is
     *     no JPEG refusal, the frame was retried already, or the pre-processing pool is shut down
     */
    boolean retry(PreparedFrame failed, Throwable cause, Consumer<PreparedFrame> requeue,
            Consumer<InferenceOutcome> deadLetter) {
        if (!(cause instanceof JpegDecodeException) || failed.retried()) {
            return false;
        }
        long n = fallbacks.incrementAndGet();
        listener.onRetriedOnCpu(cause);
        long next = warnAt.get();
        if (n >= next && warnAt.compareAndSet(next, next * 10)) {
            LOG.warn("{} frame(s) so far were in a batch the device's JPEG decoder refused ({}); decoding them again"
                    + " on the CPU", n, cause.toString());
        }
        try {
            preprocessor.submitCpuRetry(failed.frame(), failed.enteredNanos(), requeue, deadLetter);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }
}

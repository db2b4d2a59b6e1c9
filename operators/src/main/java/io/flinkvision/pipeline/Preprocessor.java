package io.flinkvision.pipeline;

import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.InvalidFrameException;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.SourceImage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pre-processing pool and the choice of where each frame is letterboxed. On a pool thread a frame is decoded and
 * letterboxed on the host ({@link LetterboxDevice#CPU}), or only decoded, a baseline JPEG only checked and staged
 * ({@link JpegDecodeDevice#GPU}), for the engine's letterbox ({@link LetterboxDevice#GPU}); with
 * {@link LetterboxDevice#HYBRID} the pool's backlog decides per frame. A frame that cannot be prepared becomes its dead
 * letter. Thread-safe.
 */
final class Preprocessor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Preprocessor.class);

    private final ImageDecoder decoder;
    private final Letterbox letterbox;
    private final LetterboxDevice letterboxMode;
    private final JpegDecodeDevice jpegMode;
    private final int hybridBacklog;
    private final ThreadPoolExecutor pool;

    /**
     * Resolves the letterbox and JPEG decode placement for {@code engine} and starts the pool.
     *
     * @param letterbox the model input's letterbox (not closed here)
     * @param threads pool threads, {@code >= 1}
     * @param hybridBacklog frames waiting above which a {@link LetterboxDevice#HYBRID} frame goes to the device, {@code >= 0}
     * @throws IllegalArgumentException for {@code hybridBacklog < 0}, {@code threads < 1}, or a GPU letterbox or GPU
     *     JPEG decode the engine cannot run
     */
    Preprocessor(InferenceEngine engine, DecodeLimits limits, Letterbox letterbox, int threads,
            LetterboxDevice letterboxAsked, int hybridBacklog, JpegDecodeDevice jpegAsked) {
        if (hybridBacklog < 0) {
            throw new IllegalArgumentException("hybrid letterbox backlog must be >= 0 frames, got " + hybridBacklog);
        }
        String engineName = engine.info().backend().id();
        this.letterboxMode = letterboxAsked.resolve(engine.letterboxesOnDevice(), engineName);
        if (letterboxMode != letterboxAsked && letterboxAsked != LetterboxDevice.AUTO) {
            LOG.info("letterbox {} asked, {} cannot letterbox on its device: letterboxing on the CPU", letterboxAsked,
                    engineName);
        }
        this.jpegMode = jpegAsked.resolve(engine.decodesJpegOnDevice(), letterboxMode, engineName);
        if (threads < 1) {
            throw new IllegalArgumentException("pre-processing threads must be >= 1, got " + threads);
        }
        this.hybridBacklog = hybridBacklog;
        this.decoder = new ImageDecoder(limits);
        this.letterbox = letterbox;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "preprocess-" + n.getAndIncrement());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** {@link LetterboxDevice#CPU}, {@link LetterboxDevice#GPU} or {@link LetterboxDevice#HYBRID}. */
    LetterboxDevice letterboxMode() {
        return letterboxMode;
    }

    /** {@link JpegDecodeDevice#CPU} or {@link JpegDecodeDevice#GPU}. */
    JpegDecodeDevice jpegMode() {
        return jpegMode;
    }

    /**
     * Queues a frame for pre-processing where the current placement puts it; on a pool thread, hands the prepared
     * frame to {@code ready} or its dead letter to {@code failed}.
     *
     * @throws RejectedExecutionException when the pool is shut down
     */
    void submit(Frame frame, long enteredNanos, Consumer<PreparedFrame> ready, Consumer<InferenceOutcome> failed) {
        pool.execute(() -> prepare(frame, enteredNanos, false, ready, failed));
    }

    /**
     * Queues a frame for decode and letterbox on the CPU whatever the placement: the retry of a frame whose batch
     * the device's JPEG decoder refused ({@link PreparedFrame#retried()} is set).
     *
     * @throws RejectedExecutionException when the pool is shut down
     */
    void submitCpuRetry(Frame frame, long enteredNanos, Consumer<PreparedFrame> ready,
            Consumer<InferenceOutcome> failed) {
        pool.execute(() -> prepare(frame, enteredNanos, true, ready, failed));
    }

    private void prepare(Frame frame, long enteredNanos, boolean cpuRetry, Consumer<PreparedFrame> ready,
            Consumer<InferenceOutcome> failed) {
        PreparedFrame prepared;
        try {
            prepared = !cpuRetry && onDevice() ? forDevice(frame, enteredNanos)
                    : PreparedFrame.letterboxed(frame, enteredNanos, decoder.decodeLetterboxed(frame.getEncoding(),
                            frame.getPayload(), frame.getWidth(), frame.getHeight(), letterbox), cpuRetry);
        } catch (InvalidFrameException e) {
            failed.accept(OutcomeFactory.deadLetter(frame, e.reason().code(), e.getMessage()));
            return;
        } catch (RuntimeException e) {
            failed.accept(OutcomeFactory.deadLetter(frame, DeadLetterReason.DECODE_FAILED.code(),
                    "pre-processing failed: " + e));
            return;
        }
        ready.accept(prepared);
    }

    /**
     * GPU: always. HYBRID: when more frames than the backlog wait for pre-processing, i.e. the cores are behind (the
     * queue is a {@link LinkedBlockingQueue}, whose size is a counter). CPU: never.
     */
    private boolean onDevice() {
        return letterboxMode == LetterboxDevice.GPU
                || (letterboxMode == LetterboxDevice.HYBRID && pool.getQueue().size() > hybridBacklog);
    }

    private PreparedFrame forDevice(Frame frame, long enteredNanos) throws InvalidFrameException {
        SourceImage source = decoder.decodeSource(frame.getEncoding(), frame.getPayload(), frame.getWidth(),
                frame.getHeight(), jpegMode == JpegDecodeDevice.GPU);
        return PreparedFrame.forDevice(frame, enteredNanos, source, letterbox.scaleFor(source.width(),
                source.height()));
    }

    /** Stops taking frames and lets queued ones finish (up to 30 s, then interrupts them). */
    @Override
    public void close() {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
    }
}

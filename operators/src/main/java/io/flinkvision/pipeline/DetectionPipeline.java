package io.flinkvision.pipeline;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.batching.DispatchStats;
import io.flinkvision.batching.MicroBatcher;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.JpegDecodeException;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.postprocess.PostprocessConfig;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole per-frame path, shared by the Flink operator, the {@code detect} command and the benchmark:
 *
 * <pre>
 * submit(frame) -> [pre-processing pool] decode (ImageDecoder) -> letterbox (Letterbox)
 *               -> [MicroBatcher] batch of N -> acquire execution slot -> NCHW fill (TensorLayout, parallel) -> engine.submit
 *               -> [engine completion] YOLOX decode + class-aware NMS + boxes to source pixels (YoloxPostprocessor)
 *               -> one InferenceOutcome per frame: detections, or a dead letter with the reason
 * </pre>
 *
 * <p>With the letterbox on the device ({@link LetterboxDevice}), the pre-processing threads only decode (a
 * {@code raw-bgr} payload is checked and kept as it is), and the batch fill copies each frame's pixels into the slot's
 * pinned {@link io.flinkvision.tensor.SourceBatch} with the letterbox geometry; the engine resizes and pads on the GPU. With
 * {@link LetterboxDevice#HYBRID} each frame takes one path or the other by load (the pre-processing queue's length),
 * and a batch is sent mixed: host-letterboxed images first, device ones after; outcomes keep the frames' order. With
 * the letterbox on the device and {@link JpegDecodeDevice#GPU} (the default where the engine can), a baseline JPEG is
 * not decoded on the host either: its header is checked and the file staged for the engine's JPEG decoder; a batch
 * that decoder refuses is prepared again on the CPU, frame by frame, once.
 *
 * <p>{@link #submit} never throws and its future never fails: a bad frame becomes a dead letter with a
 * {@link DeadLetterReason}, an engine failure a dead letter {@code inference-failed} for each frame of that batch.
 * Thread-safe.
 *
 * <p>This class wires the stages and routes each frame's outcome; the stages are {@link Preprocessor} (pool and
 * letterbox placement), {@link MicroBatcher}, {@link EngineDispatcher} ({@link BatchFiller}, launch,
 * {@link BatchPostprocessor}), {@link JpegRetry}, and {@link OutcomeFactory} for every record.
 */
@Internal
public final class DetectionPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionPipeline.class);

    /**
     * Default {@link LetterboxDevice#HYBRID} backlog: frames waiting for pre-processing above which a frame is left to
     * the GPU letterbox. Two micro-batches of 32: arrivals come in bursts (a Kafka poll, a batch's worth of freed
     * async capacity), so a backlog of one burst does not mean the cores are behind.
     */
    public static final int DEFAULT_HYBRID_BACKLOG = 64;

    private final InferenceEngine engine;
    private final EngineInfo info;
    private final boolean ownsEngine;
    private final Letterbox letterbox;
    private final Preprocessor preprocessor;
    private final JpegRetry jpegRetry;
    private final MicroBatcher<PreparedFrame, InferenceOutcome> batcher;
    private final PipelineListener listener;

    /**
     * Starts a pipeline around an opened engine. Only the {@link Builder#batchPolicy batch policy} and the
     * {@link Builder#preprocessThreads pre-processing threads} must be set; the rest default as documented on each
     * setter.
     *
     * @param engine the engine (closed by {@link #close()} when {@link Builder#ownsEngine ownsEngine})
     */
    public static Builder builder(InferenceEngine engine) {
        return new Builder(engine);
    }

    /**
     * Settings of a {@link DetectionPipeline}; {@link #build()} checks them and starts the pipeline. Not thread-safe.
     */
    public static final class Builder {
        private final InferenceEngine engine;
        private boolean ownsEngine;
        private BatchPolicy batchPolicy;
        private PostprocessConfig postprocess = PostprocessConfig.DEFAULT;
        private DecodeLimits decodeLimits = DecodeLimits.DEFAULT;
        private Integer preprocessThreads;
        private LetterboxDevice letterbox = LetterboxDevice.CPU;
        private int hybridBacklog = DEFAULT_HYBRID_BACKLOG;
        private JpegDecodeDevice jpegDecode = JpegDecodeDevice.AUTO;
        private PipelineListener listener = PipelineListener.NONE;

        private Builder(InferenceEngine engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
        }

        /** Whether {@link DetectionPipeline#close()} closes the engine; default false (the caller closes it). */
        public Builder ownsEngine(boolean v) {
            this.ownsEngine = v;
            return this;
        }

        /**
         * Micro-batch policy; required (no default). Its max batch size and in-flight batches are lowered to the
         * engine's if larger ({@link BatchPolicy#fitToEngine}).
         */
        public Builder batchPolicy(BatchPolicy v) {
            this.batchPolicy = Objects.requireNonNull(v, "batchPolicy");
            return this;
        }

        /** Score and NMS thresholds; default {@link PostprocessConfig#DEFAULT}. */
        public Builder postprocess(PostprocessConfig v) {
            this.postprocess = Objects.requireNonNull(v, "postprocess");
            return this;
        }

        /** Checks made before a frame is decoded (bytes, pixels); default {@link DecodeLimits#DEFAULT}. */
        public Builder decodeLimits(DecodeLimits v) {
            this.decodeLimits = Objects.requireNonNull(v, "decodeLimits");
            return this;
        }

        /**
         * Threads decoding and letterboxing frames, {@code >= 1} ({@link #build()} throws
         * {@link IllegalArgumentException} otherwise); required (no default).
         */
        public Builder preprocessThreads(int v) {
            this.preprocessThreads = v;
            return this;
        }

        /**
         * Where frames are letterboxed: CPU (the default), GPU (the engine must
         * {@link InferenceEngine#letterboxesOnDevice()}, else {@link #build()} throws
         * {@link IllegalArgumentException}), AUTO or HYBRID (see {@link #hybridBacklog}).
         */
        public Builder letterbox(LetterboxDevice v) {
            this.letterbox = Objects.requireNonNull(v, "letterbox");
            return this;
        }

        /**
         * {@link LetterboxDevice#HYBRID} backlog, in frames: a frame is only decoded (letterboxed on the GPU) when more
         * than this many frames wait for pre-processing; 0 sends every frame that finds any backlog to the GPU.
         * Default {@link DetectionPipeline#DEFAULT_HYBRID_BACKLOG}; {@link #build()} throws
         * {@link IllegalArgumentException} if {@code < 0}.
         */
        public Builder hybridBacklog(int v) {
            this.hybridBacklog = v;
            return this;
        }

        /**
         * Where JPEG frames letterboxed on the GPU are decoded: CPU, GPU (the engine must
         * {@link InferenceEngine#decodesJpegOnDevice()} and the letterbox run on the GPU, else {@link #build()} throws
         * {@link IllegalArgumentException}) or AUTO (the default: GPU where it can run).
         */
        public Builder jpegDecode(JpegDecodeDevice v) {
            this.jpegDecode = Objects.requireNonNull(v, "jpegDecode");
            return this;
        }

        /** Metrics observer; default {@link PipelineListener#NONE}. */
        public Builder listener(PipelineListener v) {
            this.listener = Objects.requireNonNull(v, "listener");
            return this;
        }

        /**
         * Starts the pipeline (its pre-processing threads and micro-batcher).
         *
         * @throws IllegalStateException naming the setting, when the batch policy or the pre-processing threads were
         *     not set
         * @throws IllegalArgumentException for {@code hybridBacklog < 0}, GPU letterbox or GPU JPEG decode where it
         *     cannot run, or {@code preprocessThreads < 1}
         */
        public DetectionPipeline build() {
            if (batchPolicy == null) {
                throw new IllegalStateException("batchPolicy is required");
            }
            if (preprocessThreads == null) {
                throw new IllegalStateException("preprocessThreads is required");
            }
            return new DetectionPipeline(this);
        }
    }

    private DetectionPipeline(Builder b) {
        this.engine = b.engine;
        this.ownsEngine = b.ownsEngine;
        this.info = engine.info();
        this.listener = b.listener;
        this.letterbox = new Letterbox(info.inputWidth(), info.inputHeight());
        this.preprocessor = new Preprocessor(engine, b.decodeLimits, letterbox, b.preprocessThreads, b.letterbox,
                b.hybridBacklog, b.jpegDecode);
        this.jpegRetry = new JpegRetry(preprocessor, listener);
        BatchPolicy policy = b.batchPolicy.fitToEngine(info);
        if (!policy.equals(b.batchPolicy)) {
            LOG.info("batch policy {} lowered to {} to fit the engine", b.batchPolicy, policy);
        }
        BatchPostprocessor postprocessor = new BatchPostprocessor(info, b.postprocess, new OutcomeFactory(info),
                listener);
        BatchFiller filler = new BatchFiller(letterbox, preprocessor.letterboxMode() == LetterboxDevice.CPU);
        this.batcher = new MicroBatcher<>(info.backend().id(), policy, new EngineDispatcher(engine, filler,
                postprocessor, listener, preprocessor.jpegMode() == JpegDecodeDevice.GPU, this::batchesInFlight));
    }

    /** The engine's model, backend and geometry. */
    public EngineInfo engineInfo() {
        return info;
    }

    /** The effective batch policy. */
    public BatchPolicy batchPolicy() {
        return batcher.policy();
    }

    /** Whether frames are (all, or by load) letterboxed on the engine's device (else all on the pre-processing threads). */
    public boolean letterboxesOnDevice() {
        return preprocessor.letterboxMode() != LetterboxDevice.CPU;
    }

    /** Where frames are letterboxed: {@link LetterboxDevice#CPU}, {@link LetterboxDevice#GPU} or {@link LetterboxDevice#HYBRID}. */
    public LetterboxDevice letterboxMode() {
        return preprocessor.letterboxMode();
    }

    /** Where JPEG frames letterboxed on the GPU are decoded: {@link JpegDecodeDevice#CPU} or {@link JpegDecodeDevice#GPU}. */
    public JpegDecodeDevice jpegDecodeMode() {
        return preprocessor.jpegMode();
    }

    /**
     * Frames that were in a batch the device's JPEG decoder refused ({@link JpegDecodeException}) and went through
     * the CPU decoder and letterbox again (see {@link #submit}).
     */
    public long jpegFallbacks() {
        return jpegRetry.fallbacks();
    }

    /** Where the micro-batcher's dispatch thread spent its time so far (see {@link DispatchStats}). */
    public DispatchStats dispatchStats() {
        return batcher.stats();
    }

    /** Batches in the engine now. */
    public int batchesInFlight() {
        return batcher.batchesInFlight();
    }

    /**
     * Runs one frame through the pipeline.
     *
     * @return a future that always completes normally with exactly one outcome for this frame
     */
    public CompletableFuture<InferenceOutcome> submit(Frame frame) {
        long enteredNanos = System.nanoTime();
        if (!frame.isValid()) {
            return CompletableFuture.completedFuture(notify(OutcomeFactory.deadLetter(frame,
                    frame.getInvalidReason(), frame.getInvalidMessage())));
        }
        CompletableFuture<InferenceOutcome> result = new CompletableFuture<>();
        Consumer<InferenceOutcome> complete = o -> result.complete(notify(o));
        try {
            preprocessor.submit(frame, enteredNanos, prepared -> queue(prepared, result), complete);
        } catch (RejectedExecutionException e) {
            complete.accept(OutcomeFactory.deadLetter(frame, DeadLetterReason.INFERENCE_FAILED.code(),
                    "pipeline is closed"));
        }
        return result;
    }

    /**
     * Hands a prepared frame to the micro-batcher and completes {@code result} with its outcome. When the batch failed
     * because the device's JPEG decoder refused one of its files, the frame goes through {@link JpegRetry} (CPU
     * decode and letterbox, batched again, once); any other batch failure makes it a dead letter
     * {@code inference-failed}.
     */
    private void queue(PreparedFrame prepared, CompletableFuture<InferenceOutcome> result) {
        Frame frame = prepared.frame();
        Consumer<InferenceOutcome> complete = o -> result.complete(notify(o));
        try {
            batcher.submit(prepared).whenComplete((outcome, err) -> {
                prepared.release(); // normally released once copied into the batch; this covers batches failed before
                if (err == null) {
                    complete.accept(outcome);
                    return;
                }
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (jpegRetry.retry(prepared, cause, again -> queue(again, result), complete)) {
                    return;
                }
                complete.accept(OutcomeFactory.deadLetter(frame, DeadLetterReason.INFERENCE_FAILED.code(),
                        String.valueOf(cause.getMessage())));
            });
        } catch (IllegalStateException e) {
            prepared.release();
            complete.accept(OutcomeFactory.deadLetter(frame, DeadLetterReason.INFERENCE_FAILED.code(),
                    e.getMessage()));
        }
    }

    private InferenceOutcome notify(InferenceOutcome o) {
        try {
            listener.onOutcome(o);
        } catch (RuntimeException e) {
            LOG.warn("pipeline listener failed: {}", e.toString());
        }
        return o;
    }

    /**
     * Stops taking frames, lets queued ones finish (up to 30 s), then closes the engine if owned. Frames submitted
     * after close become dead letters {@code inference-failed}.
     */
    @Override
    public void close() {
        preprocessor.close();
        batcher.close();
        letterbox.close();
        if (ownsEngine) {
            engine.close();
        }
    }
}

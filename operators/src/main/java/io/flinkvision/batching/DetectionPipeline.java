package io.flinkvision.batching;

import io.flinkvision.detection.DeadLetter;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.detection.LatencyBreakdown;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.engine.JpegDecodeException;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.tensor.SourceBatch;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.InvalidFrameException;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.LetterboxedImage;
import io.flinkvision.imaging.SourceImage;
import io.flinkvision.imaging.TensorLayout;
import io.flinkvision.postprocess.PostprocessConfig;
import io.flinkvision.postprocess.YoloxPostprocessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.bytedeco.opencv.opencv_core.Mat;
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
 * pinned {@link SourceBatch} with the letterbox geometry; the engine resizes and pads on the GPU. With
 * {@link LetterboxDevice#HYBRID} each frame takes one path or the other by load (the pre-processing queue's length),
 * and a batch is sent mixed: host-letterboxed images first, device ones after; outcomes keep the frames' order. With
 * the letterbox on the device and {@link JpegDecodeDevice#GPU} (the default where the engine can), a baseline JPEG is
 * not decoded on the host either: its header is checked and the file staged for the engine's JPEG decoder; a batch
 * that decoder refuses is prepared again on the CPU, frame by frame, once.
 *
 * <p>{@link #submit} never throws and its future never fails: a bad frame becomes a dead letter with a
 * {@link DeadLetterReason}, an engine failure a dead letter {@code inference-failed} for each frame of that batch.
 * Thread-safe.
 */
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
    private final ImageDecoder decoder;
    private final Letterbox letterbox;
    private final YoloxPostprocessor postprocessor;
    private final MicroBatcher<Prepared, InferenceOutcome> batcher;
    private final ThreadPoolExecutor preprocessPool;
    private final int hybridBacklog;
    private final PipelineListener listener;
    private final boolean ownsEngine;
    private final AtomicLong saturationWarnAt = new AtomicLong(1);
    private final LetterboxDevice letterboxMode;
    private final JpegDecodeDevice jpegMode;
    private final AtomicLong jpegFallbacks = new AtomicLong();
    private final AtomicLong jpegFallbackWarnAt = new AtomicLong(1);

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
         * engine's if larger.
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
        InferenceEngine engine = b.engine;
        boolean ownsEngine = b.ownsEngine;
        BatchPolicy policy = b.batchPolicy;
        PostprocessConfig postprocess = b.postprocess;
        DecodeLimits limits = b.decodeLimits;
        int preprocessThreads = b.preprocessThreads;
        LetterboxDevice letterboxDevice = b.letterbox;
        int hybridBacklog = b.hybridBacklog;
        JpegDecodeDevice jpegDecode = b.jpegDecode;
        PipelineListener listener = b.listener;
        if (hybridBacklog < 0) {
            throw new IllegalArgumentException("hybrid letterbox backlog must be >= 0 frames, got " + hybridBacklog);
        }
        this.hybridBacklog = hybridBacklog;
        this.letterboxMode = letterboxDevice.resolve(engine.letterboxesOnDevice(), engine.info().backend().id());
        if (letterboxMode != letterboxDevice && letterboxDevice != LetterboxDevice.AUTO) {
            LOG.info("letterbox {} asked, {} cannot letterbox on its device: letterboxing on the CPU", letterboxDevice,
                    engine.info().backend().id());
        }
        this.jpegMode = jpegDecode.resolve(engine.decodesJpegOnDevice(), letterboxMode,
                engine.info().backend().id());
        if (preprocessThreads < 1) {
            throw new IllegalArgumentException("pre-processing threads must be >= 1, got " + preprocessThreads);
        }
        this.engine = engine;
        this.ownsEngine = ownsEngine;
        this.info = engine.info();
        this.decoder = new ImageDecoder(limits);
        this.letterbox = new Letterbox(info.inputWidth(), info.inputHeight());
        this.postprocessor = new YoloxPostprocessor(info.inputWidth(), info.inputHeight(), info.outputRows(),
                info.outputLayout(), postprocess);
        this.listener = listener;
        BatchPolicy effective = policy;
        if (policy.maxBatchSize() > info.maxBatchSize() || policy.maxInFlightBatches() > info.maxInFlight()) {
            effective = new BatchPolicy(Math.min(policy.maxBatchSize(), info.maxBatchSize()),
                    policy.maxQueueDelayMs(), Math.min(policy.maxInFlightBatches(), info.maxInFlight()));
            LOG.info("batch policy {} lowered to {} to fit the engine", policy, effective);
        }
        AtomicInteger n = new AtomicInteger();
        this.preprocessPool = new ThreadPoolExecutor(preprocessThreads, preprocessThreads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "preprocess-" + n.getAndIncrement());
                    t.setDaemon(true);
                    return t;
                });
        this.batcher = new MicroBatcher<>(info.backend().id(), effective, this::runBatch);
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
        return letterboxMode != LetterboxDevice.CPU;
    }

    /** Where frames are letterboxed: {@link LetterboxDevice#CPU}, {@link LetterboxDevice#GPU} or {@link LetterboxDevice#HYBRID}. */
    public LetterboxDevice letterboxMode() {
        return letterboxMode;
    }

    /** Where JPEG frames letterboxed on the GPU are decoded: {@link JpegDecodeDevice#CPU} or {@link JpegDecodeDevice#GPU}. */
    public JpegDecodeDevice jpegDecodeMode() {
        return jpegMode;
    }

    /**
     * Frames that were in a batch the device's JPEG decoder refused ({@link JpegDecodeException}) and went through
     * the CPU decoder and letterbox again (see {@link #submit}).
     */
    public long jpegFallbacks() {
        return jpegFallbacks.get();
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
            return done(deadLetter(frame, frame.getInvalidReason(), frame.getInvalidMessage()));
        }
        CompletableFuture<InferenceOutcome> result = new CompletableFuture<>();
        try {
            preprocessPool.execute(() -> preprocessAndQueue(frame, enteredNanos, result));
        } catch (RejectedExecutionException e) {
            result.complete(notify(deadLetter(frame, DeadLetterReason.INFERENCE_FAILED.code(),
                    "pipeline is closed")));
        }
        return result;
    }

    private void preprocessAndQueue(Frame frame, long enteredNanos, CompletableFuture<InferenceOutcome> result) {
        Prepared prepared;
        try {
            prepared = letterboxOnDevice() ? prepareSource(frame, enteredNanos) : prepareLetterboxed(frame, enteredNanos);
        } catch (InvalidFrameException e) {
            result.complete(notify(deadLetter(frame, e.reason().code(), e.getMessage())));
            return;
        } catch (RuntimeException e) {
            result.complete(notify(deadLetter(frame, DeadLetterReason.DECODE_FAILED.code(),
                    "pre-processing failed: " + e)));
            return;
        }
        queue(prepared, result);
    }

    /**
     * Hands a prepared frame to the micro-batcher and completes {@code result} with its outcome. When the batch failed
     * because the device's JPEG decoder refused one of its files ({@link JpegDecodeException}: nvJPEG fails the whole
     * batch for one file), each of its frames is decoded and letterboxed again on the CPU and batched again, once, so
     * that the other frames of that batch are not lost; the file the device could not decode then gets OpenCV's
     * verdict (detections, or a {@code decode-failed} dead letter).
     */
    private void queue(Prepared prepared, CompletableFuture<InferenceOutcome> result) {
        Frame frame = prepared.frame;
        try {
            batcher.submit(prepared).whenComplete((outcome, err) -> {
                prepared.release(); // normally released once copied into the batch; this covers batches failed before
                if (err == null) {
                    result.complete(notify(outcome));
                    return;
                }
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause instanceof JpegDecodeException && !prepared.retried && retryOnCpu(prepared, cause, result)) {
                    return;
                }
                result.complete(notify(deadLetter(frame, DeadLetterReason.INFERENCE_FAILED.code(),
                        String.valueOf(cause.getMessage()))));
            });
        } catch (IllegalStateException e) {
            prepared.release();
            result.complete(notify(deadLetter(frame, DeadLetterReason.INFERENCE_FAILED.code(), e.getMessage())));
        }
    }

    /** Queues the CPU decode and letterbox of a frame whose batch the JPEG decoder refused; false if closed. */
    private boolean retryOnCpu(Prepared failed, Throwable cause, CompletableFuture<InferenceOutcome> result) {
        long n = jpegFallbacks.incrementAndGet();
        listener.onRetriedOnCpu(cause);
        long next = jpegFallbackWarnAt.get();
        if (n >= next && jpegFallbackWarnAt.compareAndSet(next, next * 10)) {
            LOG.warn("{} frame(s) so far were in a batch the device's JPEG decoder refused ({}); decoding them again"
                    + " on the CPU", n, cause.toString());
        }
        try {
            preprocessPool.execute(() -> {
                Prepared again;
                try {
                    again = prepareLetterboxed(failed.frame, failed.enteredNanos);
                    again.retried = true;
                } catch (InvalidFrameException e) {
                    result.complete(notify(deadLetter(failed.frame, e.reason().code(), e.getMessage())));
                    return;
                } catch (RuntimeException e) {
                    result.complete(notify(deadLetter(failed.frame, DeadLetterReason.DECODE_FAILED.code(),
                            "pre-processing failed: " + e)));
                    return;
                }
                queue(again, result);
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * GPU: always. HYBRID: when more frames than the backlog wait for pre-processing, i.e. the cores are behind (the
     * queue is a {@link LinkedBlockingQueue}, whose size is a counter). CPU: never.
     */
    private boolean letterboxOnDevice() {
        return letterboxMode == LetterboxDevice.GPU
                || (letterboxMode == LetterboxDevice.HYBRID && preprocessPool.getQueue().size() > hybridBacklog);
    }

    private Prepared prepareLetterboxed(Frame frame, long enteredNanos) throws InvalidFrameException {
        try (Mat bgr = decoder.decode(frame.getEncoding(), frame.getPayload(), frame.getWidth(), frame.getHeight())) {
            LetterboxedImage image = letterbox.apply(bgr);
            return new Prepared(frame, enteredNanos, image, null, image.scale(), image.sourceWidth(),
                    image.sourceHeight());
        }
    }

    private Prepared prepareSource(Frame frame, long enteredNanos) throws InvalidFrameException {
        SourceImage source = decoder.decodeSource(frame.getEncoding(), frame.getPayload(), frame.getWidth(),
                frame.getHeight(), jpegMode == JpegDecodeDevice.GPU);
        return new Prepared(frame, enteredNanos, null, source, letterbox.scaleFor(source.width(), source.height()),
                source.width(), source.height());
    }

    /**
     * The micro-batcher's handler, on its dispatch thread: takes a free execution slot, fills it (in parallel on the
     * common pool, the dispatch thread taking part) and launches it. Filling batches concurrently off this thread was
     * slower (docs/DESIGN.md#tried-and-rejected).
     */
    private CompletableFuture<List<InferenceOutcome>> runBatch(List<Prepared> batch) throws InterruptedException {
        long waitStart = System.nanoTime();
        InputBatch input = engine.acquire();
        long dispatchNanos = System.nanoTime();
        final int[] outIndex;
        try {
            outIndex = letterboxMode == LetterboxDevice.CPU ? fillHost(batch, input) : fillMixed(batch, input);
        } catch (RuntimeException e) {
            engine.release(input);
            throw e;
        } finally {
            for (Prepared p : batch) {
                p.release(); // the pixels are in the engine's input now: the canvas serves the next frame
            }
        }
        listener.onBatchDispatched(batch.size(), dispatchNanos - waitStart, System.nanoTime() - dispatchNanos);
        listener.onBatchLetterboxed(input.hostImages(), input.sourceImages());
        if (jpegMode == JpegDecodeDevice.GPU) {
            int files = 0;
            for (Prepared p : batch) {
                files += p.source != null && p.source.isJpeg() ? 1 : 0;
            }
            listener.onBatchDeviceJpeg(files);
        }
        listener.onBatchStarted(batch.size(), batcher.batchesInFlight());
        // Post-processing runs on the common pool, not on the engine's completion thread: that thread completes the
        // slots in submission order, so decode + NMS there would delay every later slot
        // (docs/DESIGN.md#batching-and-dispatch).
        CompletableFuture<OutputBatch> launched = engine.submit(input);
        long launchedNanos = System.nanoTime();
        return launched.handleAsync((out, err) -> {
            if (err != null) {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                listener.onBatchFailed(batch.size(), cause);
                throw new CompletionException(cause);
            }
            long t0 = System.nanoTime();
            listener.onBatchReturned(batch.size(), launchedNanos, out.completedNanos(), t0, out.times());
            try (out) {
                return postprocess(batch, outIndex, out, dispatchNanos);
            } finally {
                listener.onBatchPostprocessed(batch.size(), System.nanoTime() - t0);
            }
        }, ForkJoinPool.commonPool());
    }

    /**
     * Fills a batch letterboxed on the host: image {@code i} at index {@code i} of the NCHW input. Independent image
     * slots are filled in parallel for larger batches, so that the dispatch thread is not the ceiling of a fast engine.
     *
     * @return null: each frame's image index is its index in the batch
     */
    private int[] fillHost(List<Prepared> batch, InputBatch input) {
        parallelFor(batch.size(), i -> TensorLayout.writeNchw(batch.get(i).image, input, i));
        input.setSize(batch.size());
        return null;
    }

    /**
     * Fills a batch whose frames were letterboxed on the host or only decoded: host-letterboxed images first in the
     * NCHW input (written in parallel), then the source images packed into the slot's pinned staging with their
     * letterbox geometry from the same {@link Letterbox} ({@link Letterbox#stage}), for the engine to letterbox.
     *
     * @return for each frame of {@code batch}, its image index in the engine's batch
     */
    private int[] fillMixed(List<Prepared> batch, InputBatch input) {
        int n = batch.size();
        int host = 0;
        for (Prepared p : batch) {
            host += p.image != null ? 1 : 0;
        }
        int[] outIndex = new int[n];
        List<SourceImage> sources = new ArrayList<>(n - host);
        int h = 0;
        for (int i = 0; i < n; i++) {
            Prepared p = batch.get(i);
            if (p.image != null) {
                outIndex[i] = h++;
            } else {
                outIndex[i] = host + sources.size();
                sources.add(p.source);
            }
        }
        if (host > 0) {
            parallelFor(n, i -> {
                if (batch.get(i).image != null) {
                    TensorLayout.writeNchw(batch.get(i).image, input, outIndex[i]);
                }
            });
        }
        if (!sources.isEmpty()) {
            letterbox.stage(sources, input.sources(), DetectionPipeline::parallelFor);
        }
        input.setMixedSize(host, sources.size());
        return outIndex;
    }

    /** @param outIndex image index in the engine's batch of each frame, or null when it is the frame's index */
    private List<InferenceOutcome> postprocess(List<Prepared> batch, int[] outIndex, OutputBatch out,
            long dispatchNanos) {
        double inferenceMs = out.times().totalNanos() / 1e6;
        double[] queueMs = new double[batch.size()];
        InferenceOutcome[] outcomes = new InferenceOutcome[batch.size()];
        parallelFor(batch.size(), i -> {
            Prepared p = batch.get(i);
            queueMs[i] = (dispatchNanos - p.enteredNanos) / 1e6;
            FrameDetections d = new FrameDetections();
            Frame f = p.frame;
            d.setCameraId(f.getCameraId());
            d.setFrameIndex(f.getFrameIndex());
            d.setCaptureTimestampMs(f.getCaptureTimestampMs());
            d.setImageWidth(p.sourceWidth);
            d.setImageHeight(p.sourceHeight);
            int image = outIndex == null ? i : outIndex[i];
            d.setDetections(postprocessor.process(out.data(), out.offset(image), p.scale, p.sourceWidth,
                    p.sourceHeight));
            d.setModel(info.modelName());
            d.setBackend(info.backend().id());
            d.setPrecision(info.precision().id());
            d.setBatchSize(batch.size());
            long now = System.nanoTime();
            d.setLatencyMs(new LatencyBreakdown(round(queueMs[i]), round(inferenceMs), round((now - p.enteredNanos) / 1e6)));
            d.setEmitTimestampMs(System.currentTimeMillis());
            outcomes[i] = InferenceOutcome.of(d);
        });
        listener.onBatchCompleted(batch.size(), queueMs, out.times());
        warnIfSaturated();
        return Arrays.asList(outcomes);
    }

    /** Logs (at 1, 10, 100, ... anchors) when the top-K output may have hidden a class above the threshold. */
    private void warnIfSaturated() {
        long n = postprocessor.saturatedAnchors();
        long next = saturationWarnAt.get();
        if (n >= next && saturationWarnAt.compareAndSet(next, next * 10)) {
            LOG.warn("{} anchor(s) so far had all {} top classes above the score threshold {}: a further class may"
                    + " have been cut (raise inference.tensorrt.output-top-classes, or 0 for the raw output)", n,
                    info.outputLayout().topK(), postprocessor.config().scoreThreshold());
        }
    }

    /** Batches at least this large are filled and post-processed on the common fork-join pool. */
    private static final int PARALLEL_MIN_BATCH = 4;

    private static void parallelFor(int n, IntConsumer body) {
        if (n < PARALLEL_MIN_BATCH) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }

    private static double round(double ms) {
        return Math.round(ms * 1000d) / 1000d;
    }

    private InferenceOutcome notify(InferenceOutcome o) {
        try {
            listener.onOutcome(o);
        } catch (RuntimeException e) {
            LOG.warn("pipeline listener failed: {}", e.toString());
        }
        return o;
    }

    private CompletableFuture<InferenceOutcome> done(InferenceOutcome o) {
        return CompletableFuture.completedFuture(notify(o));
    }

    /**
     * Builds the dead letter of a frame: original key, value and headers, the reason code and message.
     *
     * @param reason a {@link DeadLetterReason#code()}
     */
    public static InferenceOutcome deadLetter(Frame frame, String reason, String message) {
        DeadLetter dl = new DeadLetter();
        dl.setCameraId(frame.getCameraId());
        dl.setFrameIndex(frame.getFrameIndex());
        dl.setCaptureTimestampMs(frame.getCaptureTimestampMs());
        dl.setReason(reason);
        dl.setMessage(message);
        dl.setOriginalKey(frame.getKey());
        dl.setOriginalValue(frame.getPayload());
        if (frame.getHeaders() != null) {
            dl.setOriginalHeaders(frame.getHeaders().clone());
        }
        dl.setSourceTopic(frame.getSourceTopic());
        dl.setSourcePartition(frame.getSourcePartition());
        dl.setSourceOffset(frame.getSourceOffset());
        return InferenceOutcome.of(dl);
    }

    /**
     * Stops taking frames, lets queued ones finish (up to 30 s), then closes the engine if owned. Frames submitted
     * after close become dead letters {@code inference-failed}.
     */
    @Override
    public void close() {
        preprocessPool.shutdown();
        try {
            if (!preprocessPool.awaitTermination(30, TimeUnit.SECONDS)) {
                preprocessPool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            preprocessPool.shutdownNow();
        }
        batcher.close();
        letterbox.close();
        if (ownsEngine) {
            engine.close();
        }
    }

    /** A frame ready for a batch: letterboxed on the host ({@code image}) or decoded for the device ({@code source}). */
    private static final class Prepared {
        final Frame frame;
        final long enteredNanos;
        final LetterboxedImage image;
        final SourceImage source;
        final double scale;
        final int sourceWidth;
        final int sourceHeight;
        /** Whether this is the CPU retry of a frame whose batch the device's JPEG decoder refused. */
        volatile boolean retried;

        Prepared(Frame frame, long enteredNanos, LetterboxedImage image, SourceImage source, double scale,
                int sourceWidth, int sourceHeight) {
            this.frame = frame;
            this.enteredNanos = enteredNanos;
            this.image = image;
            this.source = source;
            this.scale = scale;
            this.sourceWidth = sourceWidth;
            this.sourceHeight = sourceHeight;
        }

        /** Gives back the letterbox canvas or frees the decoded image. Idempotent. */
        void release() {
            if (image != null) {
                image.close();
            }
            if (source != null) {
                source.close();
            }
        }
    }
}

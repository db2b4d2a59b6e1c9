package io.flinkvision.flink;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.batching.DispatchStats;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.EngineStatus;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.Precision;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.OpenCvThreads;
import io.flinkvision.pipeline.DetectionPipeline;
import io.flinkvision.pipeline.JpegDecodeDevice;
import io.flinkvision.pipeline.LetterboxDevice;
import io.flinkvision.pipeline.OutcomeFactory;
import io.flinkvision.postprocess.PostprocessConfig;
import io.flinkvision.verification.ServingVerification;
import io.flinkvision.verification.ServingVerifier;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inference operator: a {@link RichAsyncFunction} that turns frames into detection records (or dead letters) with
 * batched inference. One instance per parallel subtask (task slot) holds one {@link DetectionPipeline}: a
 * pre-processing pool, a micro-batcher and an engine (ONNX Runtime on the CPU, TensorRT on a GPU).
 *
 * <p>Use with {@code AsyncDataStream.orderedWait(frames, function, timeoutMs, MILLISECONDS, capacity)}. Each frame
 * yields exactly one {@link InferenceOutcome}; route them with {@link OutcomeRouter}. The async timeout does not fail
 * the job: the frame becomes an error record or a dead letter ({@link TimeoutOutput}) and is counted.
 *
 * <p>GPU selection ({@link GpuAssignment}): among the TaskManager's Flink external resource {@code gpu} (their
 * {@code index} property), the one with the fewest subtasks open on it, else {@link EngineSpec#deviceIndex()}
 * (MiniCluster provides none).
 */
@PublicEvolving
public class GpuInferenceFunction extends RichAsyncFunction<Frame, InferenceOutcome> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GpuInferenceFunction.class);

    private final EngineSpec engineSpec;
    private final BatchPolicy batchPolicy;
    private final PostprocessConfig postprocess;
    private final DecodeLimits decodeLimits;
    private final int preprocessThreads;
    private final int opencvThreads;
    private final LetterboxDevice letterboxDevice;
    private final JpegDecodeDevice jpegDecode;
    private final int hybridBacklog;
    private final TimeoutOutput timeoutOutput;
    private final EngineOpener engineOpener;
    /** Null unless a fault-injection test set one. */
    private final FailureInjector failureInjector;

    /** The subtask's GPU place (null on ONNX Runtime or when closed). */
    private transient GpuAssignment.Lease gpu;
    /** This subtask's entry in {@link EngineStatus} (the console's and the engine gauges' source). */
    private transient EngineStatus.Tracker engineStatus;
    private transient DetectionPipeline pipeline;
    private transient InferenceMetrics metrics;
    private transient EngineInfo engineInfo;
    /** Builds the timeout records (with the engine's names once it is open). */
    private transient OutcomeFactory outcomes;
    private transient int subtaskIndex;
    private transient int attemptNumber;
    /**
     * Frames in the operator now (by identity: the async operator hands {@link #timeout} the object it gave
     * {@link #asyncInvoke}), each with a flag set by whichever of result and timeout comes first, so that a result
     * arriving after its frame timed out is dropped from the counters as Flink drops it from the output.
     */
    private transient Map<Frame, AtomicBoolean> pending;

    private GpuInferenceFunction(Builder b) {
        this.engineSpec = b.engineSpec;
        this.batchPolicy = b.batchPolicy;
        this.postprocess = b.postprocess;
        this.decodeLimits = b.decodeLimits;
        this.preprocessThreads = b.preprocessThreads;
        this.opencvThreads = b.opencvThreads;
        this.letterboxDevice = b.letterboxDevice;
        this.jpegDecode = b.jpegDecode;
        this.hybridBacklog = b.hybridBacklog;
        this.timeoutOutput = b.timeoutOutput;
        this.engineOpener = b.verification == null ? b.engineOpener
                : new VerifyingEngineOpener(b.engineOpener, b.verification);
        this.failureInjector = b.failureInjector;
    }

    /** A builder with the defaults of {@link InferenceOptions}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The engine settings each subtask opens (before its device index is resolved). */
    public EngineSpec engineSpec() {
        return engineSpec;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        subtaskIndex = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        attemptNumber = getRuntimeContext().getTaskInfo().getAttemptNumber();
        engineStatus = EngineStatus.start(getRuntimeContext().getJobInfo().getJobId().toString(), subtaskIndex,
                attemptNumber, "engine of subtask " + (subtaskIndex + 1) + "/"
                        + getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(),
                engineSpec.backend().id());
        EngineStatusGauges.register(getRuntimeContext().getMetricGroup(), engineStatus);
        EngineSpec spec = engineSpec;
        InferenceEngine engine;
        try {
            if (spec.backend() != Backend.ONNXRUNTIME) {
                gpu = GpuAssignment.acquire(gpuResources(), spec.deviceIndex());
                LOG.info("subtask {}: {}", subtaskIndex, gpu.describe());
                spec = spec.withDeviceIndex(gpu.device());
            }
            engine = engineOpener.open(spec);
        } catch (Exception | Error e) {
            engineStatus.failed(e);
            releaseGpu();
            throw e;
        }
        engineInfo = engine.info();
        outcomes = new OutcomeFactory(engineInfo);
        engineStatus.ready(engineInfo.backend().id() + " " + engineInfo.precision().id() + " on "
                + engineInfo.device());
        LOG.info("subtask {}: engine {} {} on {}, model {} (sha256 {}), batch policy {}", subtaskIndex,
                engineInfo.backend().id(), engineInfo.precision().id(), engineInfo.device(), engineInfo.modelName(),
                engineInfo.modelSha256(), batchPolicy);
        metrics = new InferenceMetrics(getRuntimeContext().getMetricGroup(),
                () -> pipeline == null ? 0 : pipeline.batchesInFlight(), engine::deviceMemoryUsedBytes,
                () -> pipeline == null ? DispatchStats.EMPTY : pipeline.dispatchStats());
        pending = Collections.synchronizedMap(new IdentityHashMap<>());
        OpenCvThreads.apply(opencvThreads);
        pipeline = pipelineBuilder(engine)
                .ownsEngine(true)
                .listener(metrics.batchListener())
                .build();
    }

    /**
     * A pipeline builder around {@code engine} with this operator's settings (batch policy, post-processing, decode
     * limits, pre-processing threads, letterbox, JPEG decode, hybrid backlog): what each subtask runs, for measuring
     * the operator alone on the same settings as the job ({@code benchmark-e2e}). The caller owns the engine unless
     * it sets {@code ownsEngine}.
     */
    public DetectionPipeline.Builder pipelineBuilder(InferenceEngine engine) {
        return DetectionPipeline.builder(engine)
                .batchPolicy(batchPolicy)
                .postprocess(postprocess)
                .decodeLimits(decodeLimits)
                .preprocessThreads(preprocessThreads)
                .letterbox(letterboxDevice)
                .hybridBacklog(hybridBacklog)
                .jpegDecode(jpegDecode);
    }

    /** OpenCV's own thread pool size this operator sets in each TaskManager ({@code cv::setNumThreads}; -1: OpenCV's). */
    public int opencvThreads() {
        return opencvThreads;
    }

    /** The TaskManager's {@code gpu} external resources (all of them: Flink does not split them between slots). */
    private Set<ExternalResourceInfo> gpuResources() {
        try {
            return getRuntimeContext().getExternalResourceInfos("gpu");
        } catch (RuntimeException e) {
            LOG.info("no Flink external resource 'gpu' ({})", e.toString());
            return Collections.emptySet();
        }
    }

    private void releaseGpu() {
        if (gpu != null) {
            gpu.close();
            gpu = null;
        }
    }

    @Override
    public void asyncInvoke(Frame frame, ResultFuture<InferenceOutcome> resultFuture) throws Exception {
        if (failureInjector != null) {
            failureInjector.beforeInvoke(frame, subtaskIndex, attemptNumber, pipeline.batchesInFlight());
        }
        metrics.onFrameIn();
        AtomicBoolean done = new AtomicBoolean();
        pending.put(frame, done);
        pipeline.submit(frame).whenComplete((outcome, err) -> {
            // the pipeline never fails its futures; guard anyway so no frame is lost
            InferenceOutcome out = err == null ? outcome : OutcomeFactory.deadLetter(frame,
                    DeadLetterReason.INFERENCE_FAILED.code(), String.valueOf(err));
            if (done.compareAndSet(false, true)) {
                pending.remove(frame);
                metrics.onOutcome(out);
            } else {
                metrics.onLateResult(); // the frame already timed out: Flink ignores this completion
            }
            resultFuture.complete(Collections.singleton(out));
        });
    }

    @Override
    public void timeout(Frame frame, ResultFuture<InferenceOutcome> resultFuture) {
        AtomicBoolean done = pending.remove(frame);
        if (done != null && !done.compareAndSet(false, true)) {
            return; // the result is being delivered right now: it wins, as it does in the async operator
        }
        metrics.onTimeout();
        InferenceOutcome out = timeoutOutput == TimeoutOutput.DEAD_LETTER ? OutcomeFactory.timeoutDeadLetter(frame)
                : (outcomes != null ? outcomes : new OutcomeFactory(null)).timeoutRecord(frame);
        metrics.onOutcome(out);
        resultFuture.complete(Collections.singleton(out));
    }

    @Override
    public void close() throws Exception {
        try {
            if (pipeline != null) {
                pipeline.close();
                pipeline = null;
            }
        } finally {
            releaseGpu();
            if (engineStatus != null) {
                engineStatus.close();
                engineStatus = null;
            }
        }
    }

    /**
     * Builds the function; {@link #build()} checks the settings. Defaults follow {@link InferenceOptions}.
     */
    public static final class Builder {
        private EngineSpec engineSpec = EngineSpec.builder().build();
        private BatchPolicy batchPolicy = new BatchPolicy(InferenceOptions.MAX_BATCH_SIZE.defaultValue(),
                InferenceOptions.MAX_QUEUE_DELAY_MS.defaultValue(), InferenceOptions.IN_FLIGHT.defaultValue());
        private PostprocessConfig postprocess = PostprocessConfig.DEFAULT;
        private DecodeLimits decodeLimits = DecodeLimits.DEFAULT;
        private int preprocessThreads = InferenceOptions.PREPROCESS_THREADS.defaultValue();
        private int opencvThreads = InferenceOptions.OPENCV_THREADS.defaultValue();
        private LetterboxDevice letterboxDevice = InferenceOptions.LETTERBOX.defaultValue();
        private JpegDecodeDevice jpegDecode = InferenceOptions.JPEG_DECODE.defaultValue();
        private int hybridBacklog = InferenceOptions.HYBRID_BACKLOG.defaultValue();
        private TimeoutOutput timeoutOutput = InferenceOptions.TIMEOUT_OUTPUT.defaultValue();
        private EngineOpener engineOpener = EngineOpener.DEFAULT;
        private FailureInjector failureInjector;
        private ServingVerification verification;

        public Builder engineSpec(EngineSpec v) { this.engineSpec = Objects.requireNonNull(v); return this; }
        /**
         * Micro-batch policy; each subtask lowers it to its engine's max batch size and in-flight batches where
         * larger ({@link BatchPolicy#fitToEngine}).
         */
        public Builder batchPolicy(BatchPolicy v) { this.batchPolicy = Objects.requireNonNull(v); return this; }
        public Builder postprocess(PostprocessConfig v) { this.postprocess = Objects.requireNonNull(v); return this; }
        public Builder decodeLimits(DecodeLimits v) { this.decodeLimits = Objects.requireNonNull(v); return this; }
        public Builder preprocessThreads(int v) { this.preprocessThreads = v; return this; }
        /** OpenCV's own thread pool size, JVM-wide ({@link InferenceOptions#OPENCV_THREADS}); -1 leaves it alone. */
        public Builder opencvThreads(int v) { this.opencvThreads = v; return this; }
        /** Where frames are letterboxed ({@link InferenceOptions#LETTERBOX}). */
        public Builder letterboxDevice(LetterboxDevice v) { this.letterboxDevice = Objects.requireNonNull(v); return this; }
        /** Where JPEG frames letterboxed on the GPU are decoded ({@link InferenceOptions#JPEG_DECODE}). */
        public Builder jpegDecode(JpegDecodeDevice v) { this.jpegDecode = Objects.requireNonNull(v); return this; }
        /** {@link InferenceOptions#HYBRID_BACKLOG}: frames waiting for pre-processing above which HYBRID uses the GPU. */
        public Builder hybridBacklog(int v) { this.hybridBacklog = v; return this; }
        /**
         * Verify each subtask's engine against ONNX Runtime before it serves ({@link InferenceOptions#VERIFY_ON_BUILD},
         * {@link ServingVerifier}); null (the default) serves without verifying, except INT8, which is always
         * verified (at the default threshold unless one is set here or by {@link InferenceOptions#VERIFY_MIN_AGREEMENT}).
         */
        public Builder verifyBeforeServing(ServingVerification v) { this.verification = v; return this; }
        public Builder timeoutOutput(TimeoutOutput v) { this.timeoutOutput = Objects.requireNonNull(v); return this; }

        /**
         * How each subtask opens its engine; default {@link EngineOpener#DEFAULT} (the registered ONNX Runtime and
         * TensorRT factories). For runtimes that are not registered factories and for test engines.
         */
        public Builder engineOpener(EngineOpener v) { this.engineOpener = Objects.requireNonNull(v); return this; }

        /**
         * Test hook that may fail the task before a frame enters the pipeline (see {@link FailureInjector}); null
         * (the default) for none. Only for fault-injection tests.
         */
        public Builder failureInjector(FailureInjector v) { this.failureInjector = v; return this; }

        /** Reads every {@link InferenceOptions} setting from a Flink configuration (unset keys keep defaults). */
        public Builder configure(Configuration conf) {
            engineSpec = InferenceSettings.engineSpec(conf).build();
            batchPolicy = InferenceSettings.batchPolicy(conf);
            postprocess = InferenceSettings.postprocess(conf);
            decodeLimits = InferenceSettings.decodeLimits(conf);
            preprocessThreads = conf.get(InferenceOptions.PREPROCESS_THREADS);
            opencvThreads = conf.get(InferenceOptions.OPENCV_THREADS);
            letterboxDevice = conf.get(InferenceOptions.LETTERBOX);
            jpegDecode = conf.get(InferenceOptions.JPEG_DECODE);
            hybridBacklog = conf.get(InferenceOptions.HYBRID_BACKLOG);
            timeoutOutput = conf.get(InferenceOptions.TIMEOUT_OUTPUT);
            boolean verify = conf.get(InferenceOptions.VERIFY_ON_BUILD) || engineSpec.precision() == Precision.INT8;
            verification = !verify ? null : servingVerification(
                    conf.getOptional(InferenceOptions.VERIFY_REFERENCE_MODEL).orElse(null),
                    conf.get(InferenceOptions.VERIFY_MIN_AGREEMENT),
                    conf.getOptional(InferenceOptions.VERIFY_FRAMES_DIR).orElse(null));
            return this;
        }

        /** @throws IllegalArgumentException naming the bad setting */
        public GpuInferenceFunction build() {
            if (preprocessThreads < 1 || preprocessThreads > 64) {
                throw new IllegalArgumentException("inference.preprocess-threads must be in 1..64, got "
                        + preprocessThreads);
            }
            if (engineSpec.precision() == Precision.INT8 && verification == null) {
                // INT8 serves only what passes verification; a user accepts lower agreement with the threshold
                verification = servingVerification(null, InferenceOptions.VERIFY_MIN_AGREEMENT.defaultValue(), null);
            }
            return new GpuInferenceFunction(this);
        }

        /** Verification against {@code referenceModel} (null: the served model), verdicts beside the plans. */
        private ServingVerification servingVerification(String referenceModel, double minAgreement,
                String framesDir) {
            return new ServingVerification(referenceModel, minAgreement, framesDir,
                    engineSpec.engineCacheDir() + "/verdicts", postprocess);
        }
    }
}

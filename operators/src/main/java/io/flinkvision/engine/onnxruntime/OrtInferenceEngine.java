package io.flinkvision.engine.onnxruntime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.flinkvision.engine.Backend;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.tensor.OutputLayout;
import io.flinkvision.engine.Precision;
import io.flinkvision.engine.SlotScheduler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ONNX Runtime (CPU) engine: one {@link OrtSession} shared by {@code maxInFlight} execution slots ({@link OrtSlot}),
 * each a direct float32 input buffer {@code [maxBatch, 3, H, W]} run on its own thread (a session's {@code run} is
 * thread-safe), pooled by a {@link SlotScheduler}: futures complete in submission order on its completion thread, and
 * a slot is free again as soon as its batch completes (the output is a copy).
 *
 * <p>The model must have one input {@code [batch, 3, H, W]} float32 and one output {@code [batch, rows, columns]}
 * float32, with {@code columns >= 6} (YOLOX: {@code [N, 3549, 85]}). A model with a fixed batch dimension of 1 (e.g.
 * the released {@code yolox_nano.onnx}) runs with a max batch size of 1.
 */
final class OrtInferenceEngine implements InferenceEngine {
    private static final Logger LOG = LoggerFactory.getLogger(OrtInferenceEngine.class);

    private static final AtomicInteger OPENED = new AtomicInteger();

    private final OrtSession session;
    private final EngineInfo info;
    private final ExecutorService runners;
    private final SlotScheduler<OrtSlot> scheduler;
    private volatile boolean closed;

    private OrtInferenceEngine(OrtEnvironment env, OrtSession session, String inputName, EngineInfo info) {
        this.session = session;
        this.info = info;
        AtomicInteger n = new AtomicInteger();
        this.runners = Executors.newFixedThreadPool(info.maxInFlight(), r -> {
            Thread t = new Thread(r, "ort-slot-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        List<OrtSlot> slots = new ArrayList<>();
        for (int s = 0; s < info.maxInFlight(); s++) {
            slots.add(new OrtSlot(s, env, session, inputName, info, runners));
        }
        this.scheduler = new SlotScheduler<>("ort-completion-" + OPENED.incrementAndGet(), slots, info.outputRows(),
                info.outputColumns(), info.device(), () -> { });
    }

    /**
     * Opens a session on the spec's model.
     *
     * @throws InferenceException if the model cannot be loaded or parsed, or its input/output is not
     *     {@code [batch,3,H,W]} / {@code [batch,rows,columns]}; the message names the model path setting
     */
    public static OrtInferenceEngine open(EngineSpec spec) {
        if (spec.precision() != Precision.FP32) {
            throw new InferenceException("ONNX Runtime on the CPU runs fp32 only, precision '" + spec.precision().id()
                    + "' was asked (set the precision to fp32 or the backend to tensorrt)");
        }
        ModelSource model = ModelSource.load(spec.modelPath());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session;
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (spec.intraOpThreads() > 0) {
                opts.setIntraOpNumThreads(spec.intraOpThreads());
            }
            opts.setInterOpNumThreads(1);
            session = env.createSession(model.bytes(), opts);
        } catch (OrtException e) {
            throw new InferenceException("ONNX Runtime cannot load model '" + spec.modelPath() + "' (" + model.name()
                    + ", sha256 " + model.sha256() + "): " + e.getMessage()
                    + "; check the model path (--model / inference.model.path)", e);
        }
        try {
            return describe(spec, model, env, session);
        } catch (RuntimeException | OrtException e) {
            try {
                session.close();
            } catch (OrtException ignored) {
                // already failing
            }
            if (e instanceof InferenceException) {
                throw (InferenceException) e;
            }
            throw new InferenceException("ONNX Runtime cannot describe model '" + spec.modelPath() + "': " + e, e);
        }
    }

    private static OrtInferenceEngine describe(EngineSpec spec, ModelSource model, OrtEnvironment env,
            OrtSession session) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        if (inputs.size() != 1 || outputs.size() != 1) {
            throw new InferenceException("model '" + spec.modelPath() + "' has " + inputs.size() + " inputs and "
                    + outputs.size() + " outputs; expected 1 input [batch,3,H,W] and 1 output [batch,rows,columns]"
                    + " (check inference.model.path)");
        }
        Map.Entry<String, NodeInfo> in = inputs.entrySet().iterator().next();
        NodeInfo outInfo = outputs.values().iterator().next();
        if (!(in.getValue().getInfo() instanceof TensorInfo) || !(outInfo.getInfo() instanceof TensorInfo)) {
            throw new InferenceException("model '" + spec.modelPath() + "' input/output are not tensors");
        }
        TensorInfo ti = (TensorInfo) in.getValue().getInfo();
        TensorInfo to = (TensorInfo) outInfo.getInfo();
        long[] is = ti.getShape();
        long[] os = to.getShape();
        if (ti.type != OnnxJavaType.FLOAT || is.length != 4 || is[1] != 3 || is[2] <= 0 || is[3] <= 0) {
            throw new InferenceException("model '" + spec.modelPath() + "' input '" + in.getKey() + "' is " + ti.type
                    + Arrays.toString(is) + "; expected float32 [batch,3,H,W] with fixed H and W"
                    + " (check inference.model.path)");
        }
        if (to.type != OnnxJavaType.FLOAT || os.length != 3 || os[1] <= 0 || os[2] < 6) {
            throw new InferenceException("model '" + spec.modelPath() + "' output is " + to.type + Arrays.toString(os)
                    + "; expected float32 [batch,rows,columns] with columns = 5 + classes"
                    + " (check inference.model.path)");
        }
        int maxBatch = spec.maxBatchSize();
        if (is[0] > 0 && is[0] < maxBatch) {
            LOG.warn("model {} has a fixed batch dimension of {}: max batch size lowered from {} to {}", model.name(),
                    is[0], maxBatch, is[0]);
            maxBatch = (int) is[0];
        }
        EngineInfo info = new EngineInfo(model.name(), model.sha256(), Backend.ONNXRUNTIME, Precision.FP32, "cpu",
                ElementType.FLOAT32, 3, (int) is[2], (int) is[3], (int) os[1], (int) os[2], maxBatch,
                spec.maxInFlight(), OutputLayout.rawFromColumns((int) os[2]));
        LOG.info("ONNX Runtime engine open: model={} sha256={} input={} output={} maxBatch={} inFlight={}"
                        + " intraOpThreads={}", model.name(), model.sha256(), Arrays.toString(is), Arrays.toString(os),
                maxBatch, spec.maxInFlight(), spec.intraOpThreads() == 0 ? "auto" : spec.intraOpThreads());
        return new OrtInferenceEngine(env, session, in.getKey(), info);
    }

    @Override
    public EngineInfo info() {
        return info;
    }

    @Override
    public InputBatch acquire() throws InterruptedException {
        return scheduler.acquire();
    }

    @Override
    public void release(InputBatch batch) {
        scheduler.release(batch);
    }

    @Override
    public CompletableFuture<OutputBatch> submit(InputBatch batch) {
        return scheduler.submit(batch);
    }

    /**
     * Waits (up to 30 s in all) for in-flight batches and for acquired slots to be submitted or released, then stops
     * the runner threads and closes the session. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        scheduler.close(30_000);
        runners.shutdown();
        try {
            if (!runners.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.warn("ONNX Runtime engine closed with {} batches still running", scheduler.launchedNotCompleted());
                runners.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("closing ONNX Runtime session: {}", e.getMessage());
        }
    }
}

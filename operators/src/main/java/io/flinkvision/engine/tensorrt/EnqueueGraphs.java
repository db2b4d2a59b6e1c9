package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.cuda.CudaStream;
import io.flinkvision.engine.tensorrt.plan.TrtLog;

import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaGraphDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphExecDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphInstantiate;
import static org.bytedeco.cuda.global.cudart.cudaGraphLaunch;
import static org.bytedeco.cuda.global.cudart.cudaStreamBeginCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamCaptureModeThreadLocal;
import static org.bytedeco.cuda.global.cudart.cudaStreamEndCapture;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

import io.flinkvision.engine.InferenceException;
import java.util.function.IntPredicate;
import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CUDA graphs of one execution context's {@code enqueueV3}, one per batch size, captured on first use and replayed with
 * a single {@code cudaGraphLaunch}: the host cost of queueing the engine's kernels (one driver call per kernel,
 * hundreds for YOLOX) becomes one call, and the GPU runs the kernels without launch gaps.
 *
 * <p>Procedure (TensorRT developer guide, "CUDA Graphs"): set the input shape, call {@code enqueueV3} once outside any
 * capture (this first call does the batch's real work and flushes TensorRT's deferred updates), then capture a second
 * {@code enqueueV3} with {@code cudaStreamBeginCapture/EndCapture} and instantiate it. Captured work is not executed;
 * later batches of that size launch the graph. A graph bakes in the device addresses of the slot's input, output and
 * activation memory, which stay fixed for the slot's life. The capture mode is {@code cudaStreamCaptureModeThreadLocal}
 * so that other threads' CUDA calls (other slots, the completion thread) are not restricted while one slot captures.
 *
 * <p>If a capture fails (an engine with data-dependent shapes or a plugin that synchronizes), the failure is logged
 * once and that context goes on with plain {@code enqueueV3}. Not thread-safe: one slot, one thread at a time.
 */
final class EnqueueGraphs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnqueueGraphs.class);

    private final int device;
    private final String slotName;
    private final CUgraphExec_st[] bySize;
    private boolean disabled;
    private int captured;

    /**
     * @param device CUDA device ordinal
     * @param slotName named in logs and errors
     * @param maxBatch largest batch size a graph may be captured for
     */
    EnqueueGraphs(int device, String slotName, int maxBatch) {
        this.device = device;
        this.slotName = slotName;
        this.bySize = new CUgraphExec_st[maxBatch + 1];
    }

    /**
     * Queues the engine for {@code size} images on {@code stream}: the graph of that size if captured, else
     * {@code enqueue} (then captures the graph for the next batch of that size).
     *
     * @param size batch size, 1..maxBatch
     * @param stream the slot's stream
     * @param enqueue plain {@code setInputShape + enqueueV3} of the slot's context on {@code stream}, for a size;
     *     false if TensorRT refused
     * @throws InferenceException if {@code cudaGraphLaunch} or the plain enqueue fails
     */
    void launch(int size, CudaStream stream, IntPredicate enqueue) {
        CUgraphExec_st exec = bySize[size];
        if (exec != null) {
            Cuda.check(cudaGraphLaunch(exec, stream.handle()), "cudaGraphLaunch(batch " + size + ", " + slotName + ")",
                    device);
            return;
        }
        if (!enqueue.test(size)) {
            throw new InferenceException("TensorRT enqueueV3 (batch " + size + ", " + slotName + ") failed on "
                    + Cuda.deviceLabel(device) + ": " + TrtLog.INSTANCE.lastError());
        }
        if (!disabled) {
            capture(size, stream, enqueue);
        }
    }

    private void capture(int size, CudaStream stream, IntPredicate enqueue) {
        int err = cudaStreamBeginCapture(stream.handle(), cudaStreamCaptureModeThreadLocal);
        if (err != cudaSuccess) {
            disable(size, "cudaStreamBeginCapture: " + Cuda.errorText(err));
            return;
        }
        boolean queued = enqueue.test(size);
        CUgraph_st graph = new CUgraph_st();
        err = cudaStreamEndCapture(stream.handle(), graph);
        if (!queued || err != cudaSuccess || graph.isNull()) {
            if (!graph.isNull()) {
                cudaGraphDestroy(graph);
            }
            disable(size, !queued ? "enqueueV3 refused under capture: " + TrtLog.INSTANCE.lastError()
                    : "cudaStreamEndCapture: " + Cuda.errorText(err));
            return;
        }
        CUgraphExec_st exec = new CUgraphExec_st();
        err = cudaGraphInstantiate(exec, graph, 0L);
        cudaGraphDestroy(graph); // the executable graph does not need its template once instantiated
        if (err != cudaSuccess) {
            disable(size, "cudaGraphInstantiate: " + Cuda.errorText(err));
            return;
        }
        bySize[size] = exec;
        captured++;
        LOG.debug("captured the CUDA graph of enqueueV3 for batch {} on {} ({} graph(s))", size, slotName, captured);
    }

    private void disable(int size, String why) {
        disabled = true;
        cudaGetLastError(); // clear the capture error so that it is not reported by the next, unrelated call
        LOG.warn("CUDA graph capture of enqueueV3 (batch {}, {}) on {} failed, going on without graphs: {}", size,
                slotName, Cuda.deviceLabel(device), why);
    }

    /** Graphs captured so far. */
    int captured() {
        return captured;
    }

    /** Whether a capture failed (the slot then always uses plain {@code enqueueV3}). */
    boolean disabled() {
        return disabled;
    }

    /** Destroys the graphs (the stream must be idle). */
    @Override
    public void close() {
        Cuda.setDevice(device);
        for (int i = 0; i < bySize.length; i++) {
            if (bySize[i] != null) {
                cudaGraphExecDestroy(bySize[i]);
                bySize[i] = null;
            }
        }
    }
}

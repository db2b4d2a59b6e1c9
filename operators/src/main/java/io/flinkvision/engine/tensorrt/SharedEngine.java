package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.plan.PlanCacheKey;
import io.flinkvision.engine.tensorrt.plan.TrtEngineBuilder;
import io.flinkvision.engine.tensorrt.plan.TrtLog;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.tensor.OutputLayout;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.annotation.Internal;
import org.bytedeco.tensorrt.global.nvinfer.DataType;
import org.bytedeco.tensorrt.global.nvinfer.ExecutionContextAllocationStrategy;
import org.bytedeco.tensorrt.global.nvinfer.OptProfileSelector;
import org.bytedeco.tensorrt.global.nvinfer.TensorIOMode;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;

/**
 * A deserialized TensorRT engine shared by every subtask of a TaskManager that uses the same device and cache key, and
 * kept for the life of the JVM (see {@link TrtRuntimeRegistry}), with a pool of execution contexts.
 *
 * <p>Execution contexts are created with {@code kUSER_MANAGED} device memory: the context object itself holds no
 * activation memory (each {@link ExecutionSlot} allocates {@link #contextMemoryBytes()} and frees it on close), and
 * contexts are returned to the pool on close and reused by the next open. JavaCPP cannot destroy TensorRT objects
 * (javacpp-presets#1699), so pooling is what keeps repeated open/close cycles (task restarts) from leaking.
 */
@Internal
public final class SharedEngine {
    private final ICudaEngine engine;
    private final PlanCacheKey key;
    private final String planSha256;
    private final int device;
    private final String inputName;
    private final String outputName;
    private final ElementType inputType;
    private final int height;
    private final int width;
    private final int rows;
    private final int columns;
    private final OutputLayout layout;
    private final int maxBatch;
    private final long contextMemoryBytes;
    private final ConcurrentLinkedQueue<IExecutionContext> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger created = new AtomicInteger();
    private final boolean cacheHit;
    private final double loadSeconds;

    SharedEngine(ICudaEngine engine, PlanCacheKey key, String planSha256, int device, boolean cacheHit,
            double loadSeconds) {
        this.engine = engine;
        this.key = key;
        this.planSha256 = planSha256;
        this.device = device;
        this.cacheHit = cacheHit;
        this.loadSeconds = loadSeconds;
        int n = engine.getNbIOTensors();
        String in = null;
        String out = null;
        for (int i = 0; i < n; i++) {
            String name = engine.getIOTensorName(i);
            if (engine.getTensorIOMode(name).value == TensorIOMode.kINPUT.value) {
                in = name;
            } else {
                out = name;
            }
        }
        if (n != 2 || in == null || out == null) {
            throw new InferenceException("TensorRT engine " + key.fileName() + " has " + n
                    + " I/O tensors; expected one input and one output");
        }
        this.inputName = in;
        this.outputName = out;
        DataType it = engine.getTensorDataType(in);
        // JavaCPP returns enum objects that are not the enum constants: compare their values
        if (it.value == DataType.kUINT8.value) {
            inputType = ElementType.UINT8;
        } else if (it.value == DataType.kFLOAT.value) {
            inputType = ElementType.FLOAT32;
        } else {
            throw new InferenceException("TensorRT engine input '" + in + "' is " + it + "; expected uint8 or float32");
        }
        if (engine.getTensorDataType(out).value != DataType.kFLOAT.value) {
            throw new InferenceException("TensorRT engine output '" + out + "' is " + engine.getTensorDataType(out)
                    + "; expected float32");
        }
        Dims64 id = engine.getTensorShape(in);
        Dims64 od = engine.getTensorShape(out);
        this.height = (int) id.d(2);
        this.width = (int) id.d(3);
        this.rows = (int) od.d(1);
        this.columns = (int) od.d(2);
        this.layout = layoutOf(key, out, columns);
        this.maxBatch = (int) engine.getProfileShape(in, 0, OptProfileSelector.kMAX).d(0);
        this.contextMemoryBytes = engine.getDeviceMemorySizeV2();
    }

    /**
     * The output layout: raw YOLOX ({@code 5 + C} columns) when the key asks for no output head, else top-K, with K
     * from the key and C from the output tensor's name ({@code detections_top<K>_of_<C>}, see
     * {@link TrtEngineBuilder#addTopClassesHead}).
     *
     * @throws InferenceException if the engine's output disagrees with the key
     */
    static OutputLayout layoutOf(PlanCacheKey key, String outputName, int columns) {
        int k = key.outputTopClasses();
        if (k == 0) {
            try {
                return OutputLayout.rawFromColumns(columns);
            } catch (IllegalArgumentException e) {
                throw new InferenceException("TensorRT engine " + key.fileName() + ": " + e.getMessage());
            }
        }
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile(java.util.regex.Pattern.quote(TrtEngineBuilder.TOP_CLASSES_OUTPUT_PREFIX) + "(\\d+)_of_(\\d+)")
                .matcher(outputName);
        if (!m.matches() || Integer.parseInt(m.group(1)) != k || columns != 4 + 2 * k) {
            throw new InferenceException("TensorRT engine " + key.fileName() + " has output '" + outputName + "' with "
                    + columns + " columns; expected '" + TrtEngineBuilder.TOP_CLASSES_OUTPUT_PREFIX + k
                    + "_of_<classes>' with " + (4 + 2 * k) + " columns");
        }
        return OutputLayout.topK(Integer.parseInt(m.group(2)), k);
    }

    /** What a row of the output holds. */
    public OutputLayout layout() {
        return layout;
    }

    /** Borrows an execution context (user-managed device memory: call {@code setDeviceMemoryV2} before use). */
    IExecutionContext borrowContext() {
        IExecutionContext c = idle.poll();
        if (c != null) {
            return c;
        }
        Cuda.setDevice(device);
        c = engine.createExecutionContext(ExecutionContextAllocationStrategy.kUSER_MANAGED);
        if (c == null || c.isNull()) {
            throw new InferenceException("TensorRT createExecutionContext failed on " + Cuda.deviceLabel(device) + ": "
                    + TrtLog.INSTANCE.lastError());
        }
        created.incrementAndGet();
        return c;
    }

    /** Returns a context to the pool (its device memory must have been freed or detached by the caller). */
    void returnContext(IExecutionContext c) {
        idle.add(c);
    }

    /** Execution contexts ever created for this engine (bounded by the peak number of slots open at once). */
    public int contextsCreated() {
        return created.get();
    }

    ICudaEngine engine() {
        return engine;
    }

    public PlanCacheKey key() {
        return key;
    }

    /** Hex sha256 of the serialized plan this engine was deserialized from. */
    public String planSha256() {
        return planSha256;
    }

    public int device() {
        return device;
    }

    public String inputName() {
        return inputName;
    }

    public String outputName() {
        return outputName;
    }

    public ElementType inputType() {
        return inputType;
    }

    /** Input height H in pixels. */
    public int height() {
        return height;
    }

    /** Input width W in pixels. */
    public int width() {
        return width;
    }

    /** Output rows per image (anchors). */
    public int rows() {
        return rows;
    }

    /** Output values per row. */
    public int columns() {
        return columns;
    }

    /** Largest batch of the optimization profile. */
    public int maxBatch() {
        return maxBatch;
    }

    /** Device memory one execution context needs for activations, in bytes. */
    public long contextMemoryBytes() {
        return contextMemoryBytes;
    }

    /** Whether the plan came from the engine cache (vs. built in this JVM). */
    public boolean cacheHit() {
        return cacheHit;
    }

    /** Seconds to get the plan: load time on a cache hit, build time on a miss. */
    public double loadSeconds() {
        return loadSeconds;
    }
}

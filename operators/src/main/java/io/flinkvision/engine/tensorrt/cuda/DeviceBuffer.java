package io.flinkvision.engine.tensorrt.cuda;

import io.flinkvision.engine.InferenceException;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;

import java.util.Locale;
import org.apache.flink.annotation.Internal;
import org.bytedeco.javacpp.Pointer;

/** Device (GPU global) memory from {@code cudaMalloc}, freed by {@link #close()}. */
@Internal
public final class DeviceBuffer implements AutoCloseable {
    private final int device;
    private final long bytes;
    private Pointer ptr;

    /**
     * @param device CUDA device ordinal (made current)
     * @param bytes size in bytes (> 0)
     * @param what what the buffer is for, named in errors
     * @throws io.flinkvision.engine.InferenceException if {@code cudaMalloc} fails (e.g. out of memory)
     */
    public DeviceBuffer(int device, long bytes, String what) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("device buffer for " + what + " must be > 0 bytes, got " + bytes);
        }
        this.device = device;
        this.bytes = bytes;
        Cuda.setDevice(device);
        Pointer p = new Pointer();
        Cuda.check(cudaMalloc(p, bytes), "cudaMalloc(" + mb(bytes) + " " + what + ")", device);
        this.ptr = p;
    }

    /** The device pointer. */
    public Pointer pointer() {
        return ptr;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        if (ptr != null) {
            Cuda.setDevice(device);
            Cuda.check(cudaFree(ptr), "cudaFree", device);
            ptr = null;
        }
    }

    /** {@code 38.6 MB}. */
    public static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}

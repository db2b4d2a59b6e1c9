package io.flinkvision.engine.tensorrt.cuda;

import io.flinkvision.engine.InferenceException;

import static org.bytedeco.cuda.global.cudart.cudaStreamCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamNonBlocking;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

import org.apache.flink.annotation.Internal;
import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * A non-blocking CUDA stream ({@code cudaStreamNonBlocking}: no implicit synchronisation with the legacy default
 * stream), owned by one execution slot. Not thread-safe; close once.
 */
@Internal
public final class CudaStream implements AutoCloseable {
    private final int device;
    private CUstream_st stream;

    /**
     * Creates a stream on {@code device} (made current on the calling thread).
     *
     * @throws io.flinkvision.engine.InferenceException if {@code cudaStreamCreateWithFlags} fails
     */
    public CudaStream(int device) {
        this.device = device;
        Cuda.setDevice(device);
        CUstream_st s = new CUstream_st();
        Cuda.check(cudaStreamCreateWithFlags(s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags(non-blocking)",
                device);
        this.stream = s;
    }

    /** The native stream handle. */
    public CUstream_st handle() {
        return stream;
    }

    /** Blocks until all work queued on the stream is done. */
    public void synchronize() {
        Cuda.check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", device);
    }

    @Override
    public void close() {
        if (stream != null) {
            Cuda.setDevice(device);
            Cuda.check(cudaStreamDestroy(stream), "cudaStreamDestroy", device);
            stream = null;
        }
    }
}

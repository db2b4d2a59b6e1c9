package io.flinkvision.engine.tensorrt.cuda;

import static org.bytedeco.cuda.global.cudart.cudaEventBlockingSync;
import static org.bytedeco.cuda.global.cudart.cudaEventCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaEventDefault;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventElapsedTime;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaEventSynchronize;

import org.apache.flink.annotation.Internal;
import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * A CUDA event with timing enabled, recorded on a stream to mark a point (end of H2D, end of compute, end of D2H).
 * A blocking-sync event lets the completion thread sleep in {@link #synchronize()} instead of spinning a core.
 */
@Internal
public final class CudaEvent implements AutoCloseable {
    private final int device;
    private CUevent_st event;

    /**
     * @param device CUDA device ordinal
     * @param blockingSync whether {@link #synchronize()} yields the CPU ({@code cudaEventBlockingSync})
     */
    public CudaEvent(int device, boolean blockingSync) {
        this.device = device;
        Cuda.setDevice(device);
        CUevent_st e = new CUevent_st();
        Cuda.check(cudaEventCreateWithFlags(e, blockingSync ? cudaEventBlockingSync : cudaEventDefault),
                "cudaEventCreateWithFlags", device);
        this.event = e;
    }

    /** Records the event on {@code stream}: it completes when the work queued before it is done. */
    public void record(CudaStream stream) {
        Cuda.check(cudaEventRecord(event, stream.handle()), "cudaEventRecord", device);
    }

    /** Blocks the calling thread until the event has completed. */
    public void synchronize() {
        Cuda.check(cudaEventSynchronize(event), "cudaEventSynchronize", device);
    }

    /** Device time in nanoseconds between two completed events ({@code cudaEventElapsedTime}, ~0.5 us resolution). */
    public long nanosSince(CudaEvent start) {
        float[] ms = new float[1];
        Cuda.check(cudaEventElapsedTime(ms, start.event, event), "cudaEventElapsedTime", device);
        return (long) (ms[0] * 1_000_000d);
    }

    @Override
    public void close() {
        if (event != null) {
            Cuda.setDevice(device);
            Cuda.check(cudaEventDestroy(event), "cudaEventDestroy", device);
            event = null;
        }
    }
}

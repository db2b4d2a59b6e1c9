package io.flinkvision.engine.tensorrt.cuda;

import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaHostAlloc;
import static org.bytedeco.cuda.global.cudart.cudaHostAllocPortable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.flink.annotation.Internal;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Page-locked (pinned) host memory from {@code cudaHostAlloc(portable)}: the DMA engines copy it without a staging
 * copy, so {@code cudaMemcpyAsync} is truly asynchronous. Exposed to Java as a direct {@link ByteBuffer} in native
 * byte order. Freed by {@link #close()} ({@code cudaFreeHost}); using the buffer after close crashes the JVM.
 */
@Internal
public final class PinnedBuffer implements AutoCloseable {
    private final int device;
    private final long bytes;
    private Pointer ptr;
    private final ByteBuffer buffer;

    /**
     * @param device device whose context allocates (any context can use portable memory)
     * @param bytes size in bytes, at most {@code Integer.MAX_VALUE} (one ByteBuffer)
     * @param what what the buffer is for, named in errors
     */
    public PinnedBuffer(int device, long bytes, String what) {
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pinned buffer of " + bytes + " bytes for " + what
                    + " is outside 1.." + Integer.MAX_VALUE);
        }
        this.device = device;
        this.bytes = bytes;
        Cuda.setDevice(device);
        Pointer p = new Pointer();
        Cuda.check(cudaHostAlloc(p, bytes, cudaHostAllocPortable),
                "cudaHostAlloc(" + DeviceBuffer.mb(bytes) + " pinned " + what + ")", device);
        this.ptr = p;
        this.buffer = new BytePointer(p).capacity(bytes).asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /** The native pointer (for {@code cudaMemcpyAsync}). */
    public Pointer pointer() {
        return ptr;
    }

    /** The whole buffer as a direct ByteBuffer, native order. */
    public ByteBuffer buffer() {
        return buffer;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        if (ptr != null) {
            Cuda.setDevice(device);
            Cuda.check(cudaFreeHost(ptr), "cudaFreeHost", device);
            ptr = null;
        }
    }
}

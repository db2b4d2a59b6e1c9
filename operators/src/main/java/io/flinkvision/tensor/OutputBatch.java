package io.flinkvision.tensor;

import java.nio.FloatBuffer;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Result of one engine call: an output tensor {@code [size, rows, columns]} of float32 (for YOLOX
 * {@code [N, 3549, 85]}), plus how long the call took.
 *
 * <p>The buffer may belong to an execution slot (pinned memory on the GPU): read it, then {@link #close()} to give the
 * slot back. Using the buffer after close is undefined.
 */
@PublicEvolving
public final class OutputBatch implements AutoCloseable {
    private final FloatBuffer data;
    private final int size;
    private final int rows;
    private final int columns;
    private final StageTimes times;
    private final Runnable release;
    private final long completedNanos = System.nanoTime();
    private boolean closed;

    /**
     * @param data output floats, image {@code i} starting at {@code i*rows*columns}
     * @param size number of images
     * @param rows rows per image
     * @param columns values per row
     * @param times engine-side stage times of this call
     * @param release gives the execution slot back; called once by {@link #close()}
     */
    public OutputBatch(FloatBuffer data, int size, int rows, int columns, StageTimes times, Runnable release) {
        this.data = data;
        this.size = size;
        this.rows = rows;
        this.columns = columns;
        this.times = times;
        this.release = release;
    }

    public FloatBuffer data() { return data; }
    public int size() { return size; }
    public int rows() { return rows; }
    public int columns() { return columns; }
    public StageTimes times() { return times; }

    /**
     * Host {@link System#nanoTime()} at which the engine handed this output over (for a GPU engine: when its completion
     * thread saw the call's completion event), for measuring the host-side path of a batch.
     */
    public long completedNanos() { return completedNanos; }

    /** Index in {@link #data()} of the first value of image {@code i}. */
    public int offset(int i) {
        return i * rows * columns;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            release.run();
        }
    }

    /**
     * Engine-side durations of one call in nanoseconds. {@code h2d}/{@code d2h} are 0 on the CPU; {@code compute} is
     * the whole call there.
     *
     * @param h2dNanos device time of the host-to-device stage (copies, and the device letterbox when used), ns
     * @param computeNanos device time from the end of the copies in to the end of the engine, ns
     * @param d2hNanos device time of the copy out, ns
     * @param totalNanos device time of the whole call, ns
     * @param startNanos device time at which the call started, ns after the engine's timeline epoch (an event recorded
     *     when the engine opened; {@code cudaEventElapsedTime} float milliseconds, so ~4 us resolution after a
     *     minute); -1 where unknown (CPU engines). Lets calls of different slots be put on one timeline.
     * @param launchNanos host time spent queueing the call (copies, kernels, {@code enqueueV3} or a CUDA graph launch),
     *     ns; 0 where not measured
     */
    public record StageTimes(long h2dNanos, long computeNanos, long d2hNanos, long totalNanos, long startNanos,
            long launchNanos) {
        /** Durations only: no timeline position, no launch time. */
        public StageTimes(long h2dNanos, long computeNanos, long d2hNanos, long totalNanos) {
            this(h2dNanos, computeNanos, d2hNanos, totalNanos, -1, 0);
        }

        public static StageTimes cpu(long totalNanos) {
            return new StageTimes(0, totalNanos, 0, totalNanos);
        }
    }
}

package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.DeviceProbe;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.SlotScheduler;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.InputBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The benchmark probes of a {@link TrtInferenceEngine}: its {@link ExecutionSlot}s driven directly on their CUDA
 * streams while every slot is held from the engine's {@link SlotScheduler}, so that no operator batch runs meanwhile.
 *
 * <p>Inputs are the slot's pinned uint8 (or float32) NCHW {@code [N, 3, H, W]} buffers, filled with a fixed pattern or
 * by the caller; timings are host wall clock over {@link System#nanoTime()} up to the streams' synchronization.
 * CUDA or TensorRT failures are {@link io.flinkvision.engine.InferenceException}s naming the call and the device.
 */
final class TrtDeviceProbe implements DeviceProbe {
    private final SharedEngine shared;
    private final SlotScheduler<ExecutionSlot> scheduler;
    private final List<ExecutionSlot> slots;
    private final long epochHostNanos;

    /**
     * @param shared the engine's shared engine (cache key and hit)
     * @param scheduler the engine's scheduler, whose slots the probes hold and drive
     * @param epochHostNanos host time at which the engine's timeline epoch event completed
     */
    TrtDeviceProbe(SharedEngine shared, SlotScheduler<ExecutionSlot> scheduler, long epochHostNanos) {
        this.shared = shared;
        this.scheduler = scheduler;
        this.slots = scheduler.slots();
        this.epochHostNanos = epochHostNanos;
    }

    /**
     * {@link System#nanoTime()} at which the timeline epoch event completed (recorded on an idle stream at open and
     * synchronized), so that a batch's device start falls at host time {@code epochHostNanos() + startNanos} (to
     * within the synchronize's return, microseconds).
     */
    @Override
    public long epochHostNanos() {
        return epochHostNanos;
    }

    /** CUDA graphs captured so far by the engine's slots (0 when {@link EngineSpec#cudaGraphs()} is off). */
    @Override
    public int graphsCaptured() {
        int n = 0;
        for (ExecutionSlot s : slots) {
            n += s.graphsCaptured();
        }
        return n;
    }

    /** Whether the shared engine was deserialized from a cached plan rather than built. */
    @Override
    public boolean planCacheHit() {
        return shared.cacheHit();
    }

    /** The plan cache key's file name. */
    @Override
    public String planCacheKey() {
        return shared.key().fileName();
    }

    /**
     * Engine-only throughput, the ceiling: inputs already on the device, {@code enqueueV3} called back to back on every
     * slot's context and stream in turn, no copies, no host work. Holds every slot while it runs.
     *
     * @param batch images per call (1..maxBatch)
     * @param iterations timed calls (after {@code iterations/10 + slots} warm-up calls)
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     */
    @Override
    public double measureEngineOnly(int batch, int iterations) throws InterruptedException {
        List<InputBatch> held = acquireAll();
        try {
            for (int i = 0; i < slots.size(); i++) {
                fillPattern(slots.get(i).input(), batch);
                slots.get(i).uploadOnly(batch);
            }
            return timedRounds(iterations / 10 + slots.size(), iterations, batch,
                    i -> slots.get(i % slots.size()).enqueue(batch));
        } finally {
            held.forEach(scheduler::release);
        }
    }

    /**
     * The engine with its copies, no host work: as {@link #measureEngineOnly}, launches queued back to back on every
     * slot's stream in turn, but each launch is a full batch as the operator queues it (H2D copy of the uint8 NCHW
     * input, the engine, D2H of the output). Compared with engine-only it gives what the copies cost the device.
     *
     * @param batch images per call (1..maxBatch)
     * @param iterations timed calls (after {@code 2 * slots} warm-up calls)
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     */
    @Override
    public double measureWithCopies(int batch, int iterations) throws InterruptedException {
        return measureDeviceSide(iterations, in -> {
            fillPattern(in, batch);
            in.setSize(batch);
        });
    }

    /**
     * As {@link #measureWithCopies} for inputs that {@code fill} prepares once per slot, e.g. source images staged for
     * the device letterbox ({@link InputBatch#sources()} and {@link InputBatch#setMixedSize}): each launch then copies
     * and letterboxes them on the device as the operator's launches do. The launches of one slot follow each other on
     * its stream (the host never rewrites the inputs, so they need not wait for each other).
     *
     * @param iterations timed calls (after {@code 2 * slots} warm-up calls)
     * @param fill fills a slot's input and sets its size ({@link InputBatch#setSize} or {@link InputBatch#setMixedSize})
     * @return images per second ({@link InputBatch#size()} images per call)
     * @throws InterruptedException if interrupted while acquiring the slots
     * @throws IllegalArgumentException if {@code fill} left a slot's input without images
     */
    @Override
    public double measureDeviceSide(int iterations, Consumer<InputBatch> fill) throws InterruptedException {
        return relaunchTimed(iterations, s -> fill.accept(s.input()), s -> s.launch(s.input().size()));
    }

    /**
     * Diagnostic (GPU checks): as {@link #measureWithCopies} with only the chosen parts of each launch queued
     * ({@link ExecutionSlot#launchParts}); all off is engine-only, all on is {@link #measureWithCopies}.
     *
     * @return images per second
     */
    double measureLaunchParts(int batch, int iterations, boolean copyIn, boolean timingEvents, boolean copyOut)
            throws InterruptedException {
        return relaunchTimed(iterations, s -> {
            fillPattern(s.input(), batch);
            s.input().setSize(batch);
            s.uploadOnly(batch);
        }, s -> s.launchParts(batch, copyIn, timingEvents, copyOut));
    }

    /**
     * Holds every slot, {@code prepare}s each once, then times {@code launch} on every slot in turn, back to back
     * ({@link #timedRounds}, {@code 2 * slots} warm-up calls).
     *
     * @return images per second, {@link InputBatch#size()} images per call
     * @throws IllegalArgumentException if {@code prepare} left a slot's input without images
     */
    private double relaunchTimed(int iterations, Consumer<ExecutionSlot> prepare, Consumer<ExecutionSlot> launch)
            throws InterruptedException {
        List<InputBatch> held = acquireAll();
        try {
            int batch = 0;
            for (ExecutionSlot s : slots) {
                prepare.accept(s);
                if (s.input().size() < 1) {
                    throw new IllegalArgumentException("fill left slot " + s.input().slot() + " without images");
                }
                batch = s.input().size();
            }
            int k = slots.size();
            return timedRounds(2 * k, iterations, batch, i -> launch.accept(slots.get(i % k)));
        } finally {
            held.forEach(scheduler::release);
        }
    }

    /**
     * Serialized throughput, what simple samples do: one slot, per batch H2D copy, {@code enqueueV3}, D2H copy, then
     * synchronize before the next batch (no overlap). With {@code useGraphs} the engine is queued as the slot's CUDA
     * graph when {@link EngineSpec#cudaGraphs()} is on; without, always with plain {@code enqueueV3}.
     *
     * @param batch images per call
     * @param iterations timed calls (after a few warm-up calls)
     * @param useGraphs whether the slot may use its CUDA graph (false: plain {@code enqueueV3}, as samples do)
     * @return images per second
     * @throws InterruptedException if interrupted while acquiring the slots
     */
    @Override
    public double measureSerialized(int batch, int iterations, boolean useGraphs) throws InterruptedException {
        List<InputBatch> held = acquireAll();
        try {
            ExecutionSlot s = slots.get(0);
            fillPattern(s.input(), batch);
            s.input().setSize(batch); // all host images: launch copies them in
            for (int i = 0; i < 5; i++) {
                s.launch(batch, useGraphs);
                s.awaitCompletion();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                s.launch(batch, useGraphs);
                s.awaitCompletion();
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            return iterations * (double) batch / sec;
        } finally {
            held.forEach(scheduler::release);
        }
    }

    /**
     * Host-to-device copy bandwidth from pinned memory: the first slot's whole pinned input copied to its device input
     * back to back on its stream (what bounds a path that uploads more bytes per frame, e.g. source frames for the
     * device letterbox).
     *
     * @param iterations timed copies (after 5 warm-up copies)
     * @return gigabytes (1e9 bytes) per second
     * @throws InterruptedException if interrupted while acquiring the slots
     */
    @Override
    public double measureH2dGBps(int iterations) throws InterruptedException {
        List<InputBatch> held = acquireAll();
        try {
            ExecutionSlot s = slots.get(0);
            int all = s.input().capacity();
            for (int i = 0; i < 5; i++) {
                s.uploadOnly(all);
            }
            s.stream().synchronize();
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                s.uploadOnly(all);
            }
            s.stream().synchronize();
            double sec = (System.nanoTime() - t0) / 1e9;
            return iterations * (double) all * s.input().elementsPerImage() * s.input().type().bytes() / sec / 1e9;
        } finally {
            held.forEach(scheduler::release);
        }
    }

    /**
     * Runs {@code step(0..warm-1)}, synchronizes every slot, then times {@code step(0..iterations-1)} up to the last
     * slot's synchronization.
     *
     * @return images per second over the timed steps, {@code batch} images per step
     */
    private double timedRounds(int warm, int iterations, int batch, IntConsumer step) {
        for (int i = 0; i < warm; i++) {
            step.accept(i);
        }
        syncAll();
        long t0 = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            step.accept(i);
        }
        syncAll();
        return iterations * (double) batch / ((System.nanoTime() - t0) / 1e9);
    }

    private List<InputBatch> acquireAll() throws InterruptedException {
        List<InputBatch> held = new ArrayList<>();
        for (int i = 0; i < slots.size(); i++) {
            held.add(scheduler.acquire());
        }
        return held;
    }

    private void syncAll() {
        for (ExecutionSlot s : slots) {
            s.stream().synchronize();
        }
    }

    private static void fillPattern(InputBatch in, int batch) {
        ByteBuffer b = in.data();
        int n = (int) ((long) batch * in.elementsPerImage() * in.type().bytes());
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) (i * 31 + 7));
        }
        if (in.type() == ElementType.FLOAT32) {
            for (int i = 0; i < n; i += 4) {
                b.putFloat(i, (i / 4) % 256);
            }
        }
    }
}

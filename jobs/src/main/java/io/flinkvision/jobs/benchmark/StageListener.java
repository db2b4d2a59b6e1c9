package io.flinkvision.jobs.benchmark;

import io.flinkvision.pipeline.PipelineListener;
import io.flinkvision.tensor.OutputBatch;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Benchmark observer of a {@link io.flinkvision.pipeline.DetectionPipeline}: mean batch size, mean engine stage times
 * (CUDA events), mean host dispatch and post-processing times, and the batches' device {@link BatchTimeline}. With the
 * engine's epoch on the host clock ({@link #setEpochHostNanos}), also where a batch waits around its device work:
 * {@code deviceStartDelay} from the host starting its launch to its first event firing on the device (work queued
 * ahead of it on the GPU), {@code completionLag} from its last event firing to the engine handing the output over on
 * the host (completion thread).
 */
final class StageListener implements PipelineListener {
    private final LongAdder batches = new LongAdder();
    private final LongAdder images = new LongAdder();
    private final AtomicLong h2d = new AtomicLong();
    private final AtomicLong compute = new AtomicLong();
    private final AtomicLong d2h = new AtomicLong();
    private final AtomicLong total = new AtomicLong();
    private final LongAdder dispatched = new LongAdder();
    private final AtomicLong slotWait = new AtomicLong();
    private final AtomicLong fill = new AtomicLong();
    private final LongAdder postprocessed = new LongAdder();
    private final AtomicLong postprocess = new AtomicLong();
    private final LongAdder returned = new LongAdder();
    private final AtomicLong engineHeld = new AtomicLong();
    private final AtomicLong handoff = new AtomicLong();
    private final LongAdder onTimeline = new LongAdder();
    private final AtomicLong startDelay = new AtomicLong();
    private final AtomicLong completionLag = new AtomicLong();
    private volatile long epochHostNanos = Long.MIN_VALUE;
    private final BatchTimeline timeline = new BatchTimeline();
    private final LongAdder hostLetterboxed = new LongAdder();
    private final LongAdder deviceLetterboxed = new LongAdder();

    @Override
    public void onBatchLetterboxed(int hostImages, int deviceImages) {
        hostLetterboxed.add(hostImages);
        deviceLetterboxed.add(deviceImages);
    }

    /** Fraction of the dispatched images letterboxed on the device. */
    double deviceLetterboxedFraction() {
        long d = deviceLetterboxed.sum();
        long all = d + hostLetterboxed.sum();
        return all == 0 ? 0 : d / (double) all;
    }

    @Override
    public void onBatchDispatched(int size, long slotWaitNanos, long fillNanos) {
        dispatched.increment();
        slotWait.addAndGet(slotWaitNanos);
        fill.addAndGet(fillNanos);
    }

    @Override
    public void onBatchReturned(int size, long launchedNanos, long completedNanos, long postprocessStartNanos,
            OutputBatch.StageTimes times) {
        returned.increment();
        engineHeld.addAndGet(completedNanos - launchedNanos);
        handoff.addAndGet(postprocessStartNanos - completedNanos);
        long epoch = epochHostNanos;
        if (epoch != Long.MIN_VALUE && times.startNanos() >= 0) {
            long deviceStart = epoch + times.startNanos();
            onTimeline.increment();
            startDelay.addAndGet(deviceStart - (launchedNanos - times.launchNanos()));
            completionLag.addAndGet(completedNanos - (deviceStart + times.totalNanos()));
        }
    }

    /**
     * Host time of the engine's timeline epoch ({@link io.flinkvision.engine.DeviceProbe#epochHostNanos}), to place
     * each batch's device start and end on the host clock.
     */
    void setEpochHostNanos(long nanos) {
        this.epochHostNanos = nanos;
    }

    @Override
    public void onBatchPostprocessed(int size, long nanos) {
        postprocessed.increment();
        postprocess.addAndGet(nanos);
    }

    @Override
    public void onBatchCompleted(int size, double[] queueDelaysMs, OutputBatch.StageTimes t) {
        batches.increment();
        images.add(size);
        h2d.addAndGet(t.h2dNanos());
        compute.addAndGet(t.computeNanos());
        d2h.addAndGet(t.d2hNanos());
        total.addAndGet(t.totalNanos());
        timeline.add(t);
    }

    void reset() {
        batches.reset();
        images.reset();
        h2d.set(0);
        compute.set(0);
        d2h.set(0);
        total.set(0);
        dispatched.reset();
        slotWait.set(0);
        fill.set(0);
        postprocessed.reset();
        postprocess.set(0);
        returned.reset();
        engineHeld.set(0);
        handoff.set(0);
        onTimeline.reset();
        startDelay.set(0);
        completionLag.set(0);
        timeline.reset();
        hostLetterboxed.reset();
        deviceLetterboxed.reset();
    }

    double meanBatch() {
        long b = batches.sum();
        return b == 0 ? 0 : images.sum() / (double) b;
    }

    /** {@link BatchTimeline#summary()} of the batches since the last reset. */
    Map<String, Double> timeline() {
        return timeline.summary();
    }

    Map<String, Double> meanStagesMs() {
        long b = Math.max(1, batches.sum());
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("h2d", BatchTimeline.round3(h2d.get() / 1e6 / b));
        m.put("compute", BatchTimeline.round3(compute.get() / 1e6 / b));
        m.put("d2h", BatchTimeline.round3(d2h.get() / 1e6 / b));
        m.put("total", BatchTimeline.round3(total.get() / 1e6 / b));
        long n = Math.max(1, dispatched.sum());
        m.put("hostSlotWait", BatchTimeline.round3(slotWait.get() / 1e6 / n));
        m.put("hostFill", BatchTimeline.round3(fill.get() / 1e6 / n));
        long r = Math.max(1, returned.sum());
        m.put("hostLaunchToOutput", BatchTimeline.round3(engineHeld.get() / 1e6 / r));
        m.put("hostOutputToPostprocess", BatchTimeline.round3(handoff.get() / 1e6 / r));
        long t = onTimeline.sum();
        if (t > 0) {
            m.put("deviceStartDelay", BatchTimeline.round3(startDelay.get() / 1e6 / t));
            m.put("completionLag", BatchTimeline.round3(completionLag.get() / 1e6 / t));
        }
        m.put("hostPostprocess", BatchTimeline.round3(postprocess.get() / 1e6 / Math.max(1, postprocessed.sum())));
        return m;
    }
}

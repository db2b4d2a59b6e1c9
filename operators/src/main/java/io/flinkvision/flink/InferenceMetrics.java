package io.flinkvision.flink;

import io.flinkvision.batching.DispatchStats;
import io.flinkvision.pipeline.PipelineListener;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.tensor.OutputBatch;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.flink.annotation.Internal;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The operator's Flink metrics, in the group {@code flinkvision} of the operator's metric group (README, "Metrics").
 * Histograms keep the last {@value #WINDOW} samples; meters are per-second rates over 60 s.
 *
 * <ul>
 *   <li>histograms: {@code batchSize} (frames), {@code queueDelayMs}, {@code engineTimeMs}, {@code h2dMs},
 *       {@code computeMs}, {@code d2hMs} (per batch; copies are 0 on the CPU), {@code launchToOutputMs} (per batch,
 *       host time from its launch to the engine handing its output over: {@code engineTimeMs} plus the time it waited
 *       on the device behind other batches and the completion; well above {@code engineTimeMs}, the device is
 *       saturated), {@code endToEndLatencyMs} (capture timestamp to emit, wall clock)</li>
 *   <li>meters: {@code framesPerSecond}, {@code detectionsPerSecond}, {@code deadLettersPerSecond},
 *       {@code timeoutsPerSecond}; counters {@code framesIn}, {@code detectionRecords}, {@code deadLetters},
 *       {@code timeouts}, {@code failedBatches}, {@code lateResults} (results that came after their frame had timed
 *       out, dropped); {@code framesIn = detectionRecords + deadLetters} once the frames in flight are out;
 *       {@code framesLetterboxedOnHost}, {@code framesLetterboxedOnDevice} (where the frames of dispatched batches
 *       were letterboxed: the split of {@code inference.preprocess.letterbox=hybrid})</li>
 *   <li>gauges: {@code batchesInFlight}, {@code deviceMemoryUsedBytes} (-1 on the CPU), {@code dispatchBusyRatio}
 *       (share of the micro-batcher's dispatch thread's time spent filling and launching batches, over the batches
 *       dispatched since the gauge was last read, {@link DispatchStats#handlerShare()}; near 1 that one thread bounds
 *       the subtask, and more subtasks (not more slots) add throughput)</li>
 * </ul>
 */
@Internal
public final class InferenceMetrics implements PipelineListener {
    /** Group name under the operator's metric group. */
    public static final String GROUP = "flinkvision";
    static final int WINDOW = 1024;

    private final Histogram batchSize;
    private final Histogram queueDelayMs;
    private final Histogram engineTimeMs;
    private final Histogram h2dMs;
    private final Histogram computeMs;
    private final Histogram d2hMs;
    private final Histogram launchToOutputMs;
    private final Histogram endToEndLatencyMs;
    private final Counter framesIn;
    private final Counter detectionRecords;
    private final Counter detections;
    private final Counter deadLetters;
    private final Counter timeouts;
    private final Counter failedBatches;
    private final Counter lateResults;
    private final Counter letterboxedOnHost;
    private final Counter letterboxedOnDevice;
    private final Counter jpegDecodedOnDevice;
    private final Counter retriedOnCpu;

    /**
     * Registers the metrics.
     *
     * @param operatorGroup the operator's metric group ({@code getRuntimeContext().getMetricGroup()})
     * @param batchesInFlight supplier of the batches in flight now
     * @param deviceMemoryBytes supplier of device memory used, bytes (-1 on the CPU)
     * @param dispatchStats supplier of the pipeline's cumulative {@link DispatchStats}
     */
    public InferenceMetrics(MetricGroup operatorGroup, LongSupplier batchesInFlight, LongSupplier deviceMemoryBytes,
            Supplier<DispatchStats> dispatchStats) {
        MetricGroup g = operatorGroup.addGroup(GROUP);
        batchSize = g.histogram("batchSize", new DescriptiveStatisticsHistogram(WINDOW));
        queueDelayMs = g.histogram("queueDelayMs", new DescriptiveStatisticsHistogram(WINDOW));
        engineTimeMs = g.histogram("engineTimeMs", new DescriptiveStatisticsHistogram(WINDOW));
        h2dMs = g.histogram("h2dMs", new DescriptiveStatisticsHistogram(WINDOW));
        computeMs = g.histogram("computeMs", new DescriptiveStatisticsHistogram(WINDOW));
        d2hMs = g.histogram("d2hMs", new DescriptiveStatisticsHistogram(WINDOW));
        launchToOutputMs = g.histogram("launchToOutputMs", new DescriptiveStatisticsHistogram(WINDOW));
        endToEndLatencyMs = g.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(WINDOW));
        framesIn = g.counter("framesIn");
        detectionRecords = g.counter("detectionRecords");
        detections = g.counter("detections");
        deadLetters = g.counter("deadLetters");
        timeouts = g.counter("timeouts");
        failedBatches = g.counter("failedBatches");
        lateResults = g.counter("lateResults");
        letterboxedOnHost = g.counter("framesLetterboxedOnHost");
        letterboxedOnDevice = g.counter("framesLetterboxedOnDevice");
        jpegDecodedOnDevice = g.counter("framesJpegDecodedOnDevice");
        retriedOnCpu = g.counter("framesRetriedOnCpu");
        g.meter("framesPerSecond", new MeterView(framesIn, 60));
        g.meter("detectionsPerSecond", new MeterView(detections, 60));
        g.meter("deadLettersPerSecond", new MeterView(deadLetters, 60));
        g.meter("timeoutsPerSecond", new MeterView(timeouts, 60));
        g.gauge("batchesInFlight", (Gauge<Long>) batchesInFlight::getAsLong);
        g.gauge("deviceMemoryUsedBytes", (Gauge<Long>) deviceMemoryBytes::getAsLong);
        g.gauge("dispatchBusyRatio", new DispatchBusyRatio(dispatchStats));
    }

    /**
     * {@link DispatchStats#handlerShare()} of the batches dispatched between two reads (the reporter's interval), 0
     * when none was.
     */
    static final class DispatchBusyRatio implements Gauge<Double> {
        private final Supplier<DispatchStats> stats;
        private DispatchStats last = DispatchStats.EMPTY;

        DispatchBusyRatio(Supplier<DispatchStats> stats) {
            this.stats = stats;
        }

        @Override
        public synchronized Double getValue() {
            DispatchStats now = stats.get();
            DispatchStats interval = now.minus(last);
            last = now;
            return interval.handlerShare();
        }
    }

    /** A frame entered the operator. */
    public void onFrameIn() {
        framesIn.inc();
    }

    /** A frame timed out in the async operator. */
    public void onTimeout() {
        timeouts.inc();
    }

    /** A frame's result came after the frame had timed out (Flink drops it; it is not counted as an outcome). */
    public void onLateResult() {
        lateResults.inc();
    }

    /**
     * The batch callbacks of this listener without {@link #onOutcome}: for a pipeline whose outcomes the operator
     * counts itself, at the point where it knows which of result and timeout was emitted.
     */
    public PipelineListener batchListener() {
        InferenceMetrics m = this;
        return new PipelineListener() {
            @Override
            public void onBatchStarted(int size, int batchesInFlight) {
                m.onBatchStarted(size, batchesInFlight);
            }

            @Override
            public void onBatchCompleted(int size, double[] queueDelaysMs, OutputBatch.StageTimes times) {
                m.onBatchCompleted(size, queueDelaysMs, times);
            }

            @Override
            public void onBatchFailed(int size, Throwable error) {
                m.onBatchFailed(size, error);
            }

            @Override
            public void onBatchLetterboxed(int hostImages, int deviceImages) {
                m.onBatchLetterboxed(hostImages, deviceImages);
            }

            @Override
            public void onBatchDeviceJpeg(int files) {
                m.onBatchDeviceJpeg(files);
            }

            @Override
            public void onRetriedOnCpu(Throwable cause) {
                m.onRetriedOnCpu(cause);
            }

            @Override
            public void onBatchReturned(int size, long launchedNanos, long completedNanos, long postprocessStartNanos,
                    OutputBatch.StageTimes times) {
                m.onBatchReturned(size, launchedNanos, completedNanos, postprocessStartNanos, times);
            }
        };
    }

    @Override
    public synchronized void onBatchReturned(int size, long launchedNanos, long completedNanos,
            long postprocessStartNanos, OutputBatch.StageTimes times) {
        launchToOutputMs.update(Math.max(0, Math.round((completedNanos - launchedNanos) / 1e6)));
    }

    @Override
    public void onBatchLetterboxed(int hostImages, int deviceImages) {
        letterboxedOnHost.inc(hostImages);
        letterboxedOnDevice.inc(deviceImages);
    }

    @Override
    public synchronized void onBatchCompleted(int size, double[] queueDelaysMsPerFrame, OutputBatch.StageTimes t) {
        batchSize.update(size);
        for (double q : queueDelaysMsPerFrame) {
            queueDelayMs.update(Math.round(q));
        }
        engineTimeMs.update(Math.round(t.totalNanos() / 1e6));
        h2dMs.update(Math.round(t.h2dNanos() / 1e6));
        computeMs.update(Math.round(t.computeNanos() / 1e6));
        d2hMs.update(Math.round(t.d2hNanos() / 1e6));
    }

    @Override
    public void onBatchDeviceJpeg(int files) {
        jpegDecodedOnDevice.inc(files);
    }

    @Override
    public void onRetriedOnCpu(Throwable cause) {
        retriedOnCpu.inc();
    }

    @Override
    public void onBatchFailed(int size, Throwable error) {
        failedBatches.inc();
    }

    @Override
    public synchronized void onOutcome(InferenceOutcome outcome) {
        if (outcome.isDeadLetter()) {
            deadLetters.inc();
        } else {
            detectionRecords.inc();
            detections.inc(outcome.getDetections().getDetections().size());
            long capture = outcome.getDetections().getCaptureTimestampMs();
            if (capture > 0) {
                endToEndLatencyMs.update(Math.max(0, System.currentTimeMillis() - capture));
            }
        }
    }
}

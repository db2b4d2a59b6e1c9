package io.flinkvision.jobs.benchmark;

import io.flinkvision.tensor.OutputBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The device timeline of the batches of one measurement, from each batch's {@link OutputBatch.StageTimes} (start on
 * the engine's timeline plus stage durations, CUDA events): how busy the GPU's engine stage and copy-in stage were,
 * and how many slots computed at once. Tells whether the operator left the GPU idle (host-bound) or kept it busy and
 * the stages themselves slowed down (device-bound). Thread-safe.
 *
 * <p>Per batch {@code b}: {@code h2d = [start, start + h2dNanos)}, {@code compute = [start + h2dNanos, start + h2dNanos
 * + computeNanos)}. Over the span from the first start to the last end:
 * <ul>
 *   <li>{@code computeBusy}: length of the union of the compute intervals / span (1.0: some engine work was queued or
 *       running on the GPU all the time);</li>
 *   <li>{@code h2dBusy}: the same for the copy-in intervals;</li>
 *   <li>{@code computeConcurrency}: sum of the compute intervals / their union (mean number of slots whose engine
 *       stage was open at once);</li>
 *   <li>{@code hostLaunchMs}: mean host time queueing a batch (copies, letterbox kernel, engine or CUDA graph);</li>
 *   <li>{@code launchOrderWaitMs}: mean time from a batch's end on the device to the end of the last batch started
 *       before it, when later (0 otherwise): how long handing batches back in launch order, as the engine's
 *       completion thread does, holds a finished batch and its execution slot.</li>
 * </ul>
 */
final class BatchTimeline {
    private final List<long[]> batches = new ArrayList<>();
    private long launchNanos;

    /** Adds a completed batch; ignored when its start on the timeline is unknown ({@code startNanos < 0}). */
    synchronized void add(OutputBatch.StageTimes t) {
        if (t.startNanos() < 0) {
            return;
        }
        long h2dEnd = t.startNanos() + t.h2dNanos();
        batches.add(new long[] {t.startNanos(), h2dEnd, h2dEnd + t.computeNanos(), t.startNanos() + t.totalNanos()});
        launchNanos += t.launchNanos();
    }

    synchronized void reset() {
        batches.clear();
        launchNanos = 0;
    }

    /** Batches recorded. */
    synchronized int size() {
        return batches.size();
    }

    /**
     * The figures above, rounded to 3 digits; empty when no batch had a timeline position.
     */
    synchronized Map<String, Double> summary() {
        Map<String, Double> m = new LinkedHashMap<>();
        if (batches.isEmpty()) {
            return m;
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long[][] h2d = new long[batches.size()][];
        long[][] compute = new long[batches.size()][];
        long computeSum = 0;
        for (int i = 0; i < batches.size(); i++) {
            long[] b = batches.get(i);
            first = Math.min(first, b[0]);
            last = Math.max(last, b[3]);
            h2d[i] = new long[] {b[0], b[1]};
            compute[i] = new long[] {b[1], b[2]};
            computeSum += b[2] - b[1];
        }
        double span = Math.max(1, last - first);
        long computeUnion = unionLength(compute);
        m.put("spanMs", round3(span / 1e6));
        m.put("computeBusy", round3(computeUnion / span));
        m.put("h2dBusy", round3(unionLength(h2d) / span));
        m.put("computeConcurrency", round3(computeUnion == 0 ? 0 : computeSum / (double) computeUnion));
        m.put("hostLaunchMs", round3(launchNanos / 1e6 / batches.size()));
        m.put("launchOrderWaitMs", round3(launchOrderWaitNanos(batches) / 1e6 / batches.size()));
        return m;
    }

    /**
     * Sum over batches, in start order, of {@code max(0, latest end among the batches started earlier - own end)}.
     *
     * @param list batches as {@code [start, h2dEnd, computeEnd, end]}
     */
    static long launchOrderWaitNanos(List<long[]> list) {
        long[][] byStart = list.toArray(new long[0][]);
        Arrays.sort(byStart, (x, y) -> Long.compare(x[0], y[0]));
        long latestEnd = Long.MIN_VALUE;
        long sum = 0;
        for (long[] b : byStart) {
            if (latestEnd > b[3]) {
                sum += latestEnd - b[3];
            }
            latestEnd = Math.max(latestEnd, b[3]);
        }
        return sum;
    }

    /** Total length covered by half-open intervals {@code [a, b)} (sorted here; the array is reordered). */
    static long unionLength(long[][] intervals) {
        Arrays.sort(intervals, (x, y) -> Long.compare(x[0], y[0]));
        long total = 0;
        long curStart = Long.MIN_VALUE;
        long curEnd = Long.MIN_VALUE;
        for (long[] iv : intervals) {
            if (iv[1] <= iv[0]) {
                continue;
            }
            if (iv[0] > curEnd) {
                if (curEnd > curStart) {
                    total += curEnd - curStart;
                }
                curStart = iv[0];
                curEnd = iv[1];
            } else {
                curEnd = Math.max(curEnd, iv[1]);
            }
        }
        if (curEnd > curStart) {
            total += curEnd - curStart;
        }
        return total;
    }

    /** {@code v} rounded to 3 decimals. */
    static double round3(double v) {
        return Math.round(v * 1000d) / 1000d;
    }
}

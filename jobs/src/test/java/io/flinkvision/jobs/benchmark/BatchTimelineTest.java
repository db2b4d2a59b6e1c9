package io.flinkvision.jobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.tensor.OutputBatch;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchTimelineTest {
    private static final long MS = 1_000_000L;

    /** A batch starting at {@code start} ms with the given stage durations in ms and a 0.2 ms host launch. */
    private static OutputBatch.StageTimes batch(double start, double h2d, double compute, double d2h) {
        long h = (long) (h2d * MS);
        long c = (long) (compute * MS);
        long d = (long) (d2h * MS);
        return new OutputBatch.StageTimes(h, c, d, h + c + d, (long) (start * MS), (long) (0.2 * MS));
    }

    @Test
    void unionMergesOverlapsAndSkipsGapsAndEmptyIntervals() {
        long[][] iv = {{10, 20}, {0, 5}, {15, 30}, {40, 40}, {35, 45}, {44, 50}};
        // [0,5) + [10,30) + [35,50) = 5 + 20 + 15
        assertThat(BatchTimeline.unionLength(iv)).isEqualTo(40);
        assertThat(BatchTimeline.unionLength(new long[0][])).isZero();
    }

    @Test
    void twoSlotsOverlappingCopiesWithComputeKeepTheEngineBusy() {
        BatchTimeline t = new BatchTimeline();
        // slot A: h2d [0,1) compute [1,3) d2h [3,3.5); slot B: h2d [1,2) compute [2,4) d2h [4,4.5)
        t.add(batch(0, 1, 2, 0.5));
        t.add(batch(1, 1, 2, 0.5));
        Map<String, Double> m = t.summary();
        assertThat(m.get("spanMs")).isEqualTo(4.5);
        assertThat(m.get("computeBusy")).isEqualTo(0.667); // [1,4) of 4.5 ms
        assertThat(m.get("h2dBusy")).isEqualTo(0.444); // [0,2) of 4.5 ms
        assertThat(m.get("computeConcurrency")).isEqualTo(1.333); // 4 ms of compute over 3 ms of union
        assertThat(m.get("hostLaunchMs")).isEqualTo(0.2);
        assertThat(m.get("launchOrderWaitMs")).isZero(); // B ends after A: nothing held
    }

    @Test
    void aBatchEndingBeforeAnEarlierLaunchedOneWouldWaitForItInLaunchOrder() {
        BatchTimeline t = new BatchTimeline();
        t.add(batch(2, 0.5, 1, 0.5)); // C: ends at 4, after A (8): waits 4
        t.add(batch(0, 1, 6, 1)); // A: [0, 8)
        t.add(batch(1, 0.5, 1, 0.5)); // B: ends at 3, waits 5
        t.add(batch(9, 0.5, 1, 0.5)); // D: starts after everything ended: waits 0
        Map<String, Double> m = t.summary();
        assertThat(m.get("launchOrderWaitMs")).isEqualTo(2.25); // (0 + 5 + 4 + 0) / 4
    }

    @Test
    void anIdleGapBetweenBatchesLowersBusyButNotConcurrency() {
        BatchTimeline t = new BatchTimeline();
        t.add(batch(0, 0.5, 1.5, 0));
        t.add(batch(6, 0.5, 1.5, 0));
        Map<String, Double> m = t.summary();
        assertThat(m.get("computeBusy")).isEqualTo(0.375); // 3 ms of compute in 8 ms
        assertThat(m.get("computeConcurrency")).isEqualTo(1.0);
    }

    @Test
    void batchesWithoutTimelinePositionAreIgnoredAndResetClears() {
        BatchTimeline t = new BatchTimeline();
        t.add(OutputBatch.StageTimes.cpu(5 * MS));
        assertThat(t.size()).isZero();
        assertThat(t.summary()).isEmpty();
        t.add(batch(0, 1, 1, 1));
        assertThat(t.size()).isEqualTo(1);
        t.reset();
        assertThat(t.summary()).isEmpty();
    }
}

package io.flinkvision.jobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.tensor.OutputBatch;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageListenerTest {
    private static final long MS = 1_000_000L;

    /**
     * A batch whose launch started on the host at {@code launchStartMs} (0.1 ms long), whose first event fired on the
     * device at {@code deviceStartMs} after the epoch, that ran {@code totalMs} there, reached the host at
     * {@code completedMs} and post-processing at {@code postMs} (host times from the epoch).
     */
    private static void batch(StageListener l, long epoch, double launchStartMs, double deviceStartMs, double totalMs,
            double completedMs, double postMs) {
        long launch = (long) (0.1 * MS);
        long launched = epoch + (long) (launchStartMs * MS) + launch;
        OutputBatch.StageTimes t = new OutputBatch.StageTimes(0, (long) (totalMs * MS), 0, (long) (totalMs * MS),
                (long) (deviceStartMs * MS), launch);
        l.onBatchReturned(32, launched, epoch + (long) (completedMs * MS), epoch + (long) (postMs * MS), t);
    }

    @Test
    void placesEachBatchOnTheHostClockToSplitItsWaitBeforeAndAfterTheDevice() {
        StageListener l = new StageListener();
        long epoch = 5_000 * MS;
        l.setEpochHostNanos(epoch);
        // A: starts on the device as soon as launched, ends at 15, seen at 15.5, post-processed from 16
        batch(l, epoch, 10, 10, 5, 15.5, 16);
        // B: launched at 12, waits 3 ms behind queued work, ends at 20, seen at 20.3, post-processed from 20.4
        batch(l, epoch, 12, 15, 5, 20.3, 20.4);
        Map<String, Double> m = l.meanStagesMs();
        assertThat(m.get("deviceStartDelay")).isEqualTo(1.5); // (0 + 3) / 2
        assertThat(m.get("completionLag")).isEqualTo(0.4); // (0.5 + 0.3) / 2
        assertThat(m.get("hostLaunchToOutput")).isEqualTo(6.8); // (5.4 + 8.2) / 2
        assertThat(m.get("hostOutputToPostprocess")).isEqualTo(0.3); // (0.5 + 0.1) / 2
        l.reset();
        assertThat(l.meanStagesMs()).doesNotContainKey("deviceStartDelay");
    }

    @Test
    void withoutAnEpochOnlyTheHostTimesAreReported() {
        StageListener l = new StageListener();
        batch(l, 0, 10, 10, 5, 15.5, 16);
        Map<String, Double> m = l.meanStagesMs();
        assertThat(m).doesNotContainKeys("deviceStartDelay", "completionLag");
        assertThat(m.get("hostLaunchToOutput")).isEqualTo(5.4);
    }
}

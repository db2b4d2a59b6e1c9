package io.flinkvision.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.batching.DispatchStats;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DispatchBusyRatioTest {
    private static final long MS = 1_000_000L;

    @Test
    void isTheHandlerShareOfTheBatchesDispatchedSinceTheLastRead() {
        AtomicReference<DispatchStats> stats = new AtomicReference<>(DispatchStats.EMPTY);
        InferenceMetrics.DispatchBusyRatio gauge = new InferenceMetrics.DispatchBusyRatio(stats::get);
        assertThat(gauge.getValue()).as("nothing dispatched yet").isZero();

        stats.set(new DispatchStats(4, 128, 1 * MS, 1 * MS, 2 * MS, 0)); // 2 ms handler of 4 ms
        assertThat(gauge.getValue()).isEqualTo(0.5);

        stats.set(new DispatchStats(6, 192, 1 * MS, 1 * MS, 5 * MS, 40)); // since then: 3 ms, all in the handler
        assertThat(gauge.getValue()).as("the interval, not the total (5/7)").isEqualTo(1.0);

        assertThat(gauge.getValue()).as("no batch since the last read").isZero();
    }
}

package io.flinkvision.jobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link ProgressHistory} on explicit timestamps (no wall clock). */
class ProgressHistoryTest {

    @Test
    void windowIsMeasuredFromTheNewestReadingAtLeastTheWindowOld() {
        ProgressHistory h = new ProgressHistory(10_000);
        h.add(0, 100L, 5);
        assertThat(h.lagGrowth(10_000)).isNull();
        assertThat(h.committedIn(10_000)).isNull();
        assertThat(h.committedPerSecond(10_000)).isNull();
        h.add(4_000, 140L, 5);
        h.add(8_000, 180L, 5);
        assertThat(h.lagGrowth(10_000)).as("window not covered yet").isNull();
        assertThat(h.committedPerSecond(10_000)).as("over the 8 s so far").isEqualTo(0.0);
        h.add(12_000, 220L, 5);
        // anchor: the reading at 0 ms (12 000 - 10 000 = 2 000 >= 0, and 4 000 is too young)
        assertThat(h.lagGrowth(10_000)).isEqualTo(120);
        assertThat(h.committedIn(10_000)).isZero();
        assertThat(h.lagGrowth(4_000)).as("anchor at 8 000 ms").isEqualTo(40);
        h.add(16_000, 100L, 45);
        // anchor: 4 000 ms
        assertThat(h.lagGrowth(10_000)).isEqualTo(-40);
        assertThat(h.committedIn(10_000)).isEqualTo(40);
        assertThat(h.committedPerSecond(10_000)).as("40 records in 12 s").isEqualTo(3.33);
    }

    @Test
    void unknownLagAtEitherEndGivesNoGrowth() {
        ProgressHistory h = new ProgressHistory(4_000);
        h.add(0, null, 0);
        h.add(2_000, 10L, 0);
        h.add(4_000, 20L, 0);
        assertThat(h.lagGrowth(4_000)).as("anchor lag unknown").isNull();
        h.add(6_000, null, 0);
        assertThat(h.lagGrowth(4_000)).as("newest lag unknown").isNull();
        h.add(8_000, 30L, 0);
        assertThat(h.lagGrowth(4_000)).as("from the reading at 4 000 ms").isEqualTo(10);
    }

    @Test
    void keepsOnlyWhatTheLongestWindowNeeds() {
        ProgressHistory h = new ProgressHistory(4_000);
        for (long t = 0; t <= 100_000; t += 2_000) {
            h.add(t, t, t / 1000);
        }
        assertThat(h.lagGrowth(4_000)).isEqualTo(4_000);
        assertThat(h.committedIn(4_000)).isEqualTo(4);
        assertThat(h.committedPerSecond(4_000)).isEqualTo(1.0);
        assertThatThrownBy(() -> h.add(99_000, 1L, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("before the last one");
    }
}

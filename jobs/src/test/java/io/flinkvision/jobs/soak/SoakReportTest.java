package io.flinkvision.jobs.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The growth figure of the soak report, and a live memory sample. */
class SoakReportTest {
    private static MemorySample at(double seconds, long rss) {
        return new MemorySample(seconds, rss, 100, 50, 10, 0, rss, 5, 40, 0, 0);
    }

    @Test
    void growthComparesTheMeanOfTheSteadyStateWindowWithTheMeanOfTheLastWindow() {
        List<MemorySample> s = new ArrayList<>();
        for (int t = 10; t <= 1200; t += 10) {
            // warm-up to minute 5, then flat at 1000 with a GC saw tooth, then +4% over the last 3 minutes
            long rss = t < 300 ? 500 + t : t < 1020 ? 1000 + (t % 20 == 0 ? 10 : -10) : 1040;
            s.add(at(t, rss));
        }
        Map<String, SoakReport.Growth> g = SoakReport.growth(s, 300, 30);
        assertThat(g.get("rss").fromBytes()).isCloseTo(1003, within(1d)); // 300 s: 1010, 310 s: 990, 320 s: 1010
        assertThat(g.get("rss").toBytes()).isEqualTo(1040);
        assertThat(g.get("rss").percent()).isBetween(3.0, 5.0);
        assertThat(g.get("javacppTotal").percent()).isZero();
        assertThat(g).containsKeys(MemorySample.SERIES);
    }

    @Test
    void shortRunsMeasureFromTheFirstSample() {
        List<MemorySample> s = List.of(at(10, 1000), at(20, 1100), at(30, 1200));
        Map<String, SoakReport.Growth> g = SoakReport.growth(s, 300, 10);
        assertThat(g.get("rss").fromBytes()).isEqualTo(1000);
        assertThat(g.get("rss").toBytes()).isEqualTo(1200);
        assertThat(g.get("rss").percent()).isEqualTo(20.0);
    }

    @Test
    void liveSampleReadsProcAndTheJvm() {
        MemorySample m = MemorySample.take(1.5, 7, 6, true);
        assertThat(m.rssBytes()).as("VmRSS").isGreaterThan(m.heapUsedBytes() / 2).isGreaterThan(10_000_000);
        assertThat(m.heapUsedBytes()).isPositive();
        assertThat(m.heapAfterGcBytes()).isPositive();
        assertThat(m.directBytes()).isGreaterThanOrEqualTo(0);
        assertThat(m.javacppPhysicalBytes()).isPositive();
        assertThat(m.threads()).isPositive();
        assertThat(m.values()).containsOnlyKeys(MemorySample.SERIES);
    }
}

package io.flinkvision.tracking.analytics;

import org.apache.flink.annotation.Internal;

/** Running counts of one camera window in {@link LineZoneAnalytics}' keyed state (a POJO, arrays per line/zone). */
@Internal
public class WindowTally {
    public long frames;
    public long[] leftToRight;
    public long[] rightToLeft;
    public long[] entered;
    public long[] exited;
    public int[] occupancyMax;
    public long[] occupancySum;
    public long[] dwellCount;
    public long[] dwellSumMs;
    public long[] dwellMaxMs;

    public WindowTally() {}

    /** An empty tally for {@code lines} lines and {@code zones} zones. */
    public static WindowTally of(int lines, int zones) {
        WindowTally t = new WindowTally();
        t.leftToRight = new long[lines];
        t.rightToLeft = new long[lines];
        t.entered = new long[zones];
        t.exited = new long[zones];
        t.occupancyMax = new int[zones];
        t.occupancySum = new long[zones];
        t.dwellCount = new long[zones];
        t.dwellSumMs = new long[zones];
        t.dwellMaxMs = new long[zones];
        return t;
    }
}

package io.flinkvision.jobs.soak;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a soak run wrote to its JSON file: the settings, every {@link MemorySample}, and the growth of each memory
 * series from the start of the steady state to the end of the run.
 *
 * @param minutes planned duration
 * @param sampleIntervalSeconds seconds between samples
 * @param fps producer pacing, frames/s (0 = as fast as possible)
 * @param backend inference backend
 * @param growthFromMinute where the steady state is taken to start
 * @param windowSeconds length of the windows averaged at both ends of the growth figure
 * @param framesSent frames sent by the producer
 * @param outputs committed detection records + dead letters read back
 * @param samples the series
 * @param growth per series ({@link MemorySample#SERIES}): mean of the window starting at {@code growthFromMinute},
 *     mean of the last window, and the relative change in percent
 * @param rssGrowthPercent the RSS figure of {@code growth}, the headline number
 * @param withinTarget whether {@code rssGrowthPercent} is under the target given with {@code --max-rss-growth-percent}
 */
public record SoakReport(double minutes, double sampleIntervalSeconds, double fps, String backend,
        double growthFromMinute, double windowSeconds, long framesSent, long outputs, List<MemorySample> samples,
        Map<String, Growth> growth, double rssGrowthPercent, boolean withinTarget) {

    /**
     * Growth of one series.
     *
     * @param fromBytes mean over the window starting at the steady-state start
     * @param toBytes mean over the last window
     * @param percent {@code (to - from) / from * 100}
     */
    public record Growth(double fromBytes, double toBytes, double percent) {}

    /**
     * Growth of every series between the window starting at {@code fromSeconds} and the window ending at the last
     * sample, each window {@code windowSeconds} long (averaging smooths out garbage-collection saw teeth). When the
     * run is shorter than {@code fromSeconds + 2 * windowSeconds}, the first window starts at the first sample at or
     * after {@code fromSeconds}, or at the first sample.
     */
    public static Map<String, Growth> growth(List<MemorySample> samples, double fromSeconds, double windowSeconds) {
        Map<String, Growth> out = new LinkedHashMap<>();
        if (samples.isEmpty()) {
            return out;
        }
        double end = samples.get(samples.size() - 1).seconds();
        double start = fromSeconds;
        if (samples.stream().noneMatch(s -> s.seconds() >= fromSeconds)) {
            start = samples.get(0).seconds();
        }
        for (String series : MemorySample.SERIES) {
            double from = mean(samples, series, start, start + windowSeconds);
            double to = mean(samples, series, end - windowSeconds + 1e-9, end + 1e-9);
            out.put(series, new Growth(Math.round(from), Math.round(to),
                    from > 0 ? Math.round((to - from) / from * 10000d) / 100d : 0));
        }
        return out;
    }

    private static double mean(List<MemorySample> samples, String series, double from, double to) {
        double sum = 0;
        int n = 0;
        for (MemorySample s : samples) {
            if (s.seconds() >= from && s.seconds() < to) {
                sum += s.values().get(series);
                n++;
            }
        }
        if (n == 0) { // window narrower than the sample interval: the nearest sample at or after 'from'
            for (MemorySample s : samples) {
                if (s.seconds() >= from) {
                    return s.values().get(series);
                }
            }
            return samples.get(samples.size() - 1).values().get(series);
        }
        return sum / n;
    }
}

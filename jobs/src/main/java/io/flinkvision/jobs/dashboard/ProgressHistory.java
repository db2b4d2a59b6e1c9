package io.flinkvision.jobs.dashboard;

import java.util.ArrayDeque;

/**
 * The recent readings of the job's progress, as seen from outside: (wall-clock ms, input lag in records or null when
 * unknown, committed detection records read so far). Answers, for a window of W ms ending at the newest reading, how
 * much the input lag grew and how many detection records were committed, measured from the newest reading taken at
 * least W ms earlier (the window's anchor). Not thread-safe (one poller).
 */
final class ProgressHistory {
    /** One reading. */
    record Sample(long timeMs, Long lagRecords, long committedRecords) {}

    private final long keepMs;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    /** @param keepMs the longest window asked for, in ms; older readings are dropped (one anchor is kept) */
    ProgressHistory(long keepMs) {
        if (keepMs <= 0) {
            throw new IllegalArgumentException("keepMs must be positive, got " + keepMs);
        }
        this.keepMs = keepMs;
    }

    /**
     * Adds a reading.
     *
     * @throws IllegalArgumentException when {@code timeMs} is before the newest reading
     */
    void add(long timeMs, Long lagRecords, long committedRecords) {
        Sample last = samples.peekLast();
        if (last != null && timeMs < last.timeMs()) {
            throw new IllegalArgumentException("reading at " + timeMs + " ms is before the last one at "
                    + last.timeMs() + " ms");
        }
        samples.addLast(new Sample(timeMs, lagRecords, committedRecords));
        // Keep the newest reading at or before the start of the longest window as its anchor.
        while (samples.size() > 2 && second().timeMs() <= timeMs - keepMs) {
            samples.pollFirst();
        }
    }

    private Sample second() {
        var it = samples.iterator();
        it.next();
        return it.next();
    }

    /** The newest reading taken at least {@code windowMs} before the newest one, or null (window not covered yet). */
    private Sample anchor(long windowMs) {
        Sample last = samples.peekLast();
        if (last == null) {
            return null;
        }
        Sample anchor = null;
        for (Sample s : samples) {
            if (s.timeMs() <= last.timeMs() - windowMs) {
                anchor = s;
            }
        }
        return anchor;
    }

    /**
     * How much the input lag grew over the window (negative: it shrank).
     *
     * @return records, or null when no reading is old enough or the lag was unknown at either end
     */
    Long lagGrowth(long windowMs) {
        Sample a = anchor(windowMs);
        Sample last = samples.peekLast();
        if (a == null || a.lagRecords() == null || last.lagRecords() == null) {
            return null;
        }
        return last.lagRecords() - a.lagRecords();
    }

    /** Detection records committed over the window, or null when no reading is old enough. */
    Long committedIn(long windowMs) {
        Sample a = anchor(windowMs);
        return a == null ? null : samples.peekLast().committedRecords() - a.committedRecords();
    }

    /**
     * Committed detection records per second over the window, or over the readings so far while they span less.
     *
     * @return records/s rounded to 2 decimals, or null before two readings some time apart
     */
    Double committedPerSecond(long windowMs) {
        Sample last = samples.peekLast();
        Sample from = anchor(windowMs);
        if (from == null) {
            from = samples.peekFirst();
        }
        if (last == null || last.timeMs() <= from.timeMs()) {
            return null;
        }
        return Math.round((last.committedRecords() - from.committedRecords()) * 100_000.0
                / (last.timeMs() - from.timeMs())) / 100.0;
    }
}

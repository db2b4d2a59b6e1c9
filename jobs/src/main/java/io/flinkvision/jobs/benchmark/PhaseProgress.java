package io.flinkvision.jobs.benchmark;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Console lines while a long measurement runs, so that no phase is silent: a line when a phase starts
 * ({@code benchmark: engine-only: 300 batches of 32 ...}), one every {@code heartbeatSeconds} while it runs
 * ({@code benchmark: engine-only: running, 10 s}) and one when it ends ({@code benchmark: engine-only: done in
 * 38.2 s}). Phases do not nest: starting one while another runs replaces it for the heartbeat. Lines go to stderr in
 * {@code benchmark}, so that stdout keeps the result table.
 */
final class PhaseProgress implements AutoCloseable {
    private final PrintStream out;
    private final String prefix;
    private final ScheduledExecutorService ticker;
    private final long heartbeatNanos;
    /** The running phase: its name and start; null between phases. */
    private volatile Running current;
    private volatile long lastLineNanos;

    private record Running(String name, long startNanos) {}

    /**
     * @param out where lines go
     * @param prefix start of every line, e.g. {@code "benchmark: "}
     * @param heartbeatSeconds seconds between the lines of a running phase, at least 1
     */
    PhaseProgress(PrintStream out, String prefix, int heartbeatSeconds) {
        this.out = out;
        this.prefix = prefix;
        this.heartbeatNanos = TimeUnit.SECONDS.toNanos(Math.max(1, heartbeatSeconds));
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "benchmark-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::heartbeat, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Runs {@code body} as the phase {@code name}, with its start, heartbeat and end lines.
     *
     * @param name the phase, e.g. {@code "engine-only"}
     * @param detail what it does, e.g. {@code "300 batches of 32"}, or null
     * @return what {@code body} returns
     * @throws Exception what {@code body} throws (the end line then says it failed)
     */
    <T> T phase(String name, String detail, Callable<T> body) throws Exception {
        long t0 = System.nanoTime();
        Running previous = current;
        out.println(prefix + name + (detail == null ? "" : ": " + detail) + " ...");
        lastLineNanos = t0;
        current = new Running(name, t0);
        boolean ok = false;
        try {
            T result = body.call();
            ok = true;
            return result;
        } finally {
            current = previous;
            lastLineNanos = System.nanoTime();
            out.println(String.format(Locale.ROOT, "%s%s: %s in %.1f s", prefix, name, ok ? "done" : "failed",
                    (System.nanoTime() - t0) / 1e9));
        }
    }

    /** As {@link #phase(String, String, Callable)} for a body without a result. */
    void run(String name, String detail, ThrowingRunnable body) throws Exception {
        phase(name, detail, () -> {
            body.run();
            return null;
        });
    }

    /** A phase body without a result. */
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Prints the running phase's line when {@code heartbeatSeconds} have passed since the last line. */
    private void heartbeat() {
        Running r = current;
        long now = System.nanoTime();
        if (r != null && now - lastLineNanos >= heartbeatNanos) {
            lastLineNanos = now;
            out.println(String.format(Locale.ROOT, "%s%s: running, %d s", prefix, r.name(),
                    TimeUnit.NANOSECONDS.toSeconds(now - r.startNanos())));
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}

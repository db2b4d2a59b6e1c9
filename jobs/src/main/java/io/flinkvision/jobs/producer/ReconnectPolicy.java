package io.flinkvision.jobs.producer;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How a live source (RTSP/HTTP/... URL) is reopened after it drops: up to {@code attempts} consecutive tries, the
 * n-th (from 0) after a delay drawn uniformly from {@code [d/2, d]} with {@code d = min(maxBackoffMs,
 * initialBackoffMs * 2^n)} ("equal jitter", M. Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog,
 * 2015). The count starts over once a frame has been read again.
 *
 * @param attempts consecutive reopen attempts before giving up, 0 = never reconnect
 * @param initialBackoffMs delay bound before the first attempt, in milliseconds, at least 1
 * @param maxBackoffMs upper bound of any delay, in milliseconds, at least {@code initialBackoffMs}
 */
public record ReconnectPolicy(int attempts, long initialBackoffMs, long maxBackoffMs) {
    /** Default reconnect attempts. */
    public static final int DEFAULT_ATTEMPTS = 10;
    /** Default initial backoff, in milliseconds. */
    public static final long DEFAULT_INITIAL_BACKOFF_MS = 500;
    /** Default maximum backoff, in milliseconds. */
    public static final long DEFAULT_MAX_BACKOFF_MS = 30_000;
    /** The defaults: 10 attempts, 500 ms to 30 s. */
    public static final ReconnectPolicy DEFAULT =
            new ReconnectPolicy(DEFAULT_ATTEMPTS, DEFAULT_INITIAL_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS);

    /**
     * Checks the settings.
     *
     * @throws IllegalArgumentException when a value is out of range (the message says which)
     */
    public ReconnectPolicy {
        if (attempts < 0) {
            throw new IllegalArgumentException("reconnect attempts must be >= 0, got " + attempts);
        }
        if (initialBackoffMs < 1) {
            throw new IllegalArgumentException("initial reconnect backoff must be >= 1 ms, got " + initialBackoffMs);
        }
        if (maxBackoffMs < initialBackoffMs) {
            throw new IllegalArgumentException("maximum reconnect backoff (" + maxBackoffMs
                    + " ms) must be >= the initial one (" + initialBackoffMs + " ms)");
        }
    }

    /**
     * The delay before an attempt.
     *
     * @param attempt attempt number from 0
     * @return milliseconds, in {@code [d/2, d]} as described in the class comment
     */
    public long delayMs(int attempt) {
        long bound = attempt >= 62 ? maxBackoffMs : Math.min(maxBackoffMs, initialBackoffMs << Math.min(attempt, 40));
        if (bound <= 0) {
            bound = maxBackoffMs; // shift overflow
        }
        long half = bound / 2;
        return half + ThreadLocalRandom.current().nextLong(bound - half + 1);
    }
}

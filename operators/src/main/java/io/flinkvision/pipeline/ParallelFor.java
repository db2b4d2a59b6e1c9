package io.flinkvision.pipeline;

import io.flinkvision.imaging.Letterbox;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The index loop of the batch fill and the post-processing: small batches on the calling thread, larger ones on the
 * common fork-join pool (the calling thread taking part), so that one thread is not the ceiling of a fast engine.
 */
final class ParallelFor {
    /** Batches at least this large are run on the common fork-join pool. */
    static final int PARALLEL_MIN_BATCH = 4;

    /** {@link #run} as the letterbox's staging loop. */
    static final Letterbox.IndexLoop LOOP = ParallelFor::run;

    private ParallelFor() {}

    /** Runs {@code body} for {@code 0..n-1}; the bodies must touch disjoint data. */
    static void run(int n, IntConsumer body) {
        if (n < PARALLEL_MIN_BATCH) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }
}

package io.flinkvision.engine;

import java.util.Locale;

/**
 * The order in which a GPU engine hands finished batches back to the host ({@code inference.tensorrt.completion-order}).
 *
 * <ul>
 *   <li>{@link #ANY} (the default): each batch as soon as its own completion event has fired. Execution slots run on
 *       independent CUDA streams, so a batch launched later can finish first; it is not held behind an earlier one.</li>
 *   <li>{@link #LAUNCH}: strictly in launch order; the completion thread blocks on the oldest batch's event. A slow
 *       batch then holds back every later one (head-of-line blocking) and their execution slots with them. Kept to
 *       measure that cost and for callers that need batch order.</li>
 * </ul>
 *
 * Frame order in a Flink job does not depend on this: {@code AsyncDataStream.orderedWait} restores it.
 */
public enum CompletionOrder {
    ANY,
    LAUNCH;

    /** Configuration spelling: {@code any} or {@code launch}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code any} or {@code launch} (any case).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static CompletionOrder fromId(String id) {
        for (CompletionOrder o : values()) {
            if (o.id().equalsIgnoreCase(id.trim())) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown completion order '" + id + "' (expected any or launch)");
    }
}

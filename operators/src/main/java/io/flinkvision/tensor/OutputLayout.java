package io.flinkvision.tensor;

import org.apache.flink.annotation.PublicEvolving;

/**
 * What one row (one anchor) of an engine's output tensor {@code [N, rows, columns]} float32 holds.
 *
 * <ul>
 *   <li>{@link Kind#YOLOX_RAW}: the YOLOX head as exported, {@code columns = 5 + classes}:
 *       {@code [raw_x, raw_y, raw_w, raw_h, objectness, class_prob_0 .. class_prob_{C-1}]} (sigmoid applied).
 *       1.2 MB per 416x416 image for COCO (3549 x 85 x 4 bytes).</li>
 *   <li>{@link Kind#YOLOX_TOP_K}: reduced on the GPU to what post-processing reads, {@code columns = 4 + 2K}:
 *       {@code [raw_x, raw_y, raw_w, raw_h, score_1 .. score_K, class_1 .. class_K]} where
 *       {@code score_k = objectness * class_prob} of the k-th best class of that anchor (descending) and
 *       {@code class_k} its class index as a float. With K = 3, 142 KB per 416x416 image (8.5x fewer bytes over
 *       PCIe and for the CPU to read). Decoding gives the same candidates as the raw layout whenever an anchor has at
 *       most K classes above the score threshold; the decoder counts the anchors where one might have more.</li>
 * </ul>
 *
 * @param kind the row layout
 * @param classes number of classes the model predicts (80 for COCO)
 * @param topK classes kept per anchor ({@link Kind#YOLOX_TOP_K}); 0 for {@link Kind#YOLOX_RAW}
 */
@PublicEvolving
public record OutputLayout(Kind kind, int classes, int topK) {

    /** Row layouts. */
    public enum Kind {
        /** {@code [box 4, objectness, class probabilities C]}. */
        YOLOX_RAW,
        /** {@code [box 4, top-K scores, top-K class indices]}. */
        YOLOX_TOP_K
    }

    /** @throws IllegalArgumentException if classes < 1, or topK is not 0 for raw / 1..classes for top-K */
    public OutputLayout {
        if (kind == null || classes < 1) {
            throw new IllegalArgumentException("output layout needs a kind and >= 1 class, got " + kind + "/" + classes);
        }
        if (kind == Kind.YOLOX_RAW ? topK != 0 : topK < 1 || topK > classes) {
            throw new IllegalArgumentException("top-K of " + topK + " is invalid for " + kind + " with " + classes
                    + " classes (raw: 0; top-K: 1.." + classes + ")");
        }
    }

    /** The raw YOLOX layout for {@code classes} classes. */
    public static OutputLayout raw(int classes) {
        return new OutputLayout(Kind.YOLOX_RAW, classes, 0);
    }

    /** The reduced layout keeping the {@code k} best classes per anchor. */
    public static OutputLayout topK(int classes, int k) {
        return new OutputLayout(Kind.YOLOX_TOP_K, classes, k);
    }

    /** The raw layout that has {@code columns} values per row ({@code columns - 5} classes). */
    public static OutputLayout rawFromColumns(int columns) {
        if (columns < 6) {
            throw new IllegalArgumentException("a YOLOX output row has 5 + classes values, got " + columns);
        }
        return raw(columns - 5);
    }

    /** Values per row: {@code 5 + classes} (raw) or {@code 4 + 2K} (top-K). */
    public int columns() {
        return kind == Kind.YOLOX_RAW ? 5 + classes : 4 + 2 * topK;
    }

    /** Short form for logs and cache keys: {@code raw} or {@code top3}. */
    public String id() {
        return kind == Kind.YOLOX_RAW ? "raw" : "top" + topK;
    }
}

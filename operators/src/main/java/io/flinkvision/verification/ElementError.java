package io.flinkvision.verification;

import org.apache.flink.annotation.PublicEvolving;

/**
 * One element of a compared output tensor {@code [N, anchors, 5 + classes]} (YOLOX), located by image, anchor and
 * field, with its errors. The anchor is also given as its head and grid cell: anchors are the cells of the stride 8, 16
 * and 32 grids in that order, each row-major ({@code models/MODELS.md}).
 *
 * @param image index of the image in the compared set (the batch dimension over the whole run)
 * @param anchor anchor (row) index, 0..anchors-1
 * @param stride stride of the anchor's head in input pixels (8, 16 or 32)
 * @param gridX grid column of the anchor in its head
 * @param gridY grid row of the anchor in its head
 * @param field column index, 0..columns-1
 * @param fieldName what the column holds: {@code raw_x, raw_y, raw_w, raw_h, objectness} or {@code class 0 (person)}
 * @param reference the reference's value
 * @param actual the engine under test's value
 * @param absError {@code |actual - reference|}
 * @param relError {@code |actual - reference| / |reference|}; 0 where both are 0, infinite where only the reference
 *     is 0
 * @param bound the allowed error {@code atol + rtol * |reference|}
 * @param within whether the element passes the tolerance
 */
@PublicEvolving
public record ElementError(int image, int anchor, int stride, int gridX, int gridY, int field, String fieldName,
        float reference, float actual, double absError, double relError, double bound, boolean within) {

    /** How far the error is over its bound ({@code absError - bound}); infinite for a NaN/infinity mismatch. */
    public double excess() {
        return Double.isNaN(absError) ? Double.POSITIVE_INFINITY : absError - bound;
    }
}

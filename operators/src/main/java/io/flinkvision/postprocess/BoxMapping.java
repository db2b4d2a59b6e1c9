package io.flinkvision.postprocess;

import java.util.List;

/**
 * Maps boxes from model-input pixels back to source-image pixels for the top-left letterbox: {@code x_src = x / r},
 * {@code y_src = y / r} (no offset, see {@code io.flinkvision.imaging.Letterbox}).
 */
final class BoxMapping {
    private BoxMapping() {}

    /**
     * Divides every coordinate by the letterbox scale, in place.
     *
     * @param candidates boxes in model-input pixels
     * @param scale letterbox scale r (> 0)
     */
    public static void toSource(List<Candidate> candidates, double scale) {
        if (!(scale > 0)) {
            throw new IllegalArgumentException("letterbox scale must be positive, got " + scale);
        }
        for (Candidate c : candidates) {
            c.x1 = (float) (c.x1 / scale);
            c.y1 = (float) (c.y1 / scale);
            c.x2 = (float) (c.x2 / scale);
            c.y2 = (float) (c.y2 / scale);
        }
    }
}

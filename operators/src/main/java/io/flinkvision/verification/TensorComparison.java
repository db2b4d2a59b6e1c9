package io.flinkvision.verification;

import io.flinkvision.detection.CocoLabels;
import io.flinkvision.postprocess.YoloxDecoder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Accumulates an element-wise comparison of YOLOX output tensors, image by image: the engine under test's
 * {@code [anchors, 5 + classes]} floats against the reference's for the same input, with {@link Tolerance} (the
 * {@code assert_allclose} rule). Keeps counts, max/mean errors per field group and the {@code worstCount} elements
 * that differ with the largest {@link ElementError#excess()} (error minus its bound), located as (image, anchor,
 * field).
 * Not thread-safe.
 */
final class TensorComparison {
    private static final String[] BOX_FIELDS = {"raw_x", "raw_y", "raw_w", "raw_h"};

    private final Tolerance tolerance;
    private final int rows;
    private final int columns;
    private final int[] anchorStride;
    private final int[] anchorX;
    private final int[] anchorY;
    private final int worstCount;
    private final PriorityQueue<ElementError> worst = new PriorityQueue<>(Comparator.comparingDouble(
            ElementError::excess));
    private final long[] groupElements = new long[3];
    private final long[] groupWithin = new long[3];
    private final double[] groupMaxAbs = new double[3];
    private final double[] groupMaxRel = new double[3];
    private int images;
    private long finitePairs;
    private double sumAbs;
    private long nonFiniteMismatches;

    /**
     * @param tolerance the rule an element must pass
     * @param inputWidth model input width in pixels (a multiple of 32), to locate anchors in their grids
     * @param inputHeight model input height in pixels
     * @param rows anchors per image; must be the anchor count of that input size
     * @param columns values per anchor, {@code 5 + classes} (the raw YOLOX head)
     * @param worstCount how many worst elements to keep, {@code >= 0}
     * @throws IllegalArgumentException if {@code rows} does not match the input size or {@code columns < 6}
     */
    public TensorComparison(Tolerance tolerance, int inputWidth, int inputHeight, int rows, int columns,
            int worstCount) {
        if (columns < 6) {
            throw new IllegalArgumentException("a raw YOLOX output row has 5 + classes values, got " + columns);
        }
        if (worstCount < 0) {
            throw new IllegalArgumentException("worst element count must be >= 0, got " + worstCount);
        }
        this.tolerance = tolerance;
        this.rows = rows;
        this.columns = columns;
        this.worstCount = worstCount;
        this.anchorStride = new int[rows];
        this.anchorX = new int[rows];
        this.anchorY = new int[rows];
        int k = 0;
        for (int s : YoloxDecoder.STRIDES) {
            for (int y = 0; y < inputHeight / s; y++) {
                for (int x = 0; x < inputWidth / s; x++, k++) {
                    if (k < rows) {
                        anchorStride[k] = s;
                        anchorX[k] = x;
                        anchorY[k] = y;
                    }
                }
            }
        }
        if (k != rows) {
            throw new IllegalArgumentException("YOLOX output of " + rows + " rows does not match a " + inputWidth + "x"
                    + inputHeight + " input (expected " + k + " anchors for strides 8, 16, 32)");
        }
    }

    /**
     * Compares one image's output.
     *
     * @param actual the engine under test's {@code rows * columns} floats, row-major
     * @param reference the reference's floats for the same input
     * @throws IllegalArgumentException if an array is shorter than {@code rows * columns}
     */
    public void add(float[] actual, float[] reference) {
        int n = rows * columns;
        if (actual.length < n || reference.length < n) {
            throw new IllegalArgumentException("an image's output has " + n + " values, got " + actual.length
                    + " (actual) and " + reference.length + " (reference)");
        }
        int image = images++;
        for (int i = 0; i < n; i++) {
            float a = actual[i];
            float r = reference[i];
            int field = i % columns;
            int group = field < 4 ? 0 : field == 4 ? 1 : 2;
            boolean ok = tolerance.allows(a, r);
            groupElements[group]++;
            double abs;
            double rel;
            if (Float.isFinite(a) && Float.isFinite(r)) {
                abs = Math.abs((double) a - r);
                rel = r != 0 ? abs / Math.abs(r) : abs == 0 ? 0 : Double.POSITIVE_INFINITY;
                finitePairs++;
                sumAbs += abs;
                groupMaxAbs[group] = Math.max(groupMaxAbs[group], abs);
                if (r != 0) {
                    groupMaxRel[group] = Math.max(groupMaxRel[group], rel);
                }
            } else {
                abs = ok ? 0 : Double.NaN;
                rel = abs;
                if (!ok) {
                    nonFiniteMismatches++;
                }
            }
            if (ok) {
                groupWithin[group]++;
            }
            keepIfWorst(image, i / columns, field, a, r, abs, rel, ok);
        }
    }

    private void keepIfWorst(int image, int anchor, int field, float a, float r, double abs, double rel,
            boolean ok) {
        if (worstCount == 0 || abs == 0) {
            return; // equal elements are never among the worst
        }
        double bound = tolerance.bound(r);
        double excess = Double.isNaN(abs) ? Double.POSITIVE_INFINITY : abs - bound;
        if (worst.size() == worstCount && excess <= worst.peek().excess()) {
            return;
        }
        worst.add(new ElementError(image, anchor, anchorStride[anchor], anchorX[anchor], anchorY[anchor], field,
                fieldName(field), r, a, abs, rel, bound, ok));
        if (worst.size() > worstCount) {
            worst.poll();
        }
    }

    /** The name of output column {@code field} of the raw YOLOX head: {@code raw_x .. raw_h, objectness, class c (label)}. */
    public static String fieldName(int field) {
        if (field < 4) {
            return BOX_FIELDS[field];
        }
        if (field == 4) {
            return "objectness";
        }
        int c = field - 5;
        return "class " + c + " (" + CocoLabels.label(c) + ")";
    }

    /** Images compared so far. */
    public int images() {
        return images;
    }

    /** The comparison so far. */
    public TensorReport report() {
        long elements = (long) images * rows * columns;
        long within = groupWithin[0] + groupWithin[1] + groupWithin[2];
        List<FieldStats> fields = List.of(
                new FieldStats("box", groupElements[0], groupWithin[0], groupMaxAbs[0], groupMaxRel[0]),
                new FieldStats("objectness", groupElements[1], groupWithin[1], groupMaxAbs[1], groupMaxRel[1]),
                new FieldStats("classes", groupElements[2], groupWithin[2], groupMaxAbs[2], groupMaxRel[2]));
        List<ElementError> sorted = new ArrayList<>(worst);
        sorted.sort(Comparator.comparingDouble(ElementError::excess).reversed());
        double maxAbs = Math.max(groupMaxAbs[0], Math.max(groupMaxAbs[1], groupMaxAbs[2]));
        double maxRel = Math.max(groupMaxRel[0], Math.max(groupMaxRel[1], groupMaxRel[2]));
        return new TensorReport(tolerance, images, rows, columns, elements, within, maxAbs, maxRel,
                finitePairs == 0 ? 0 : sumAbs / finitePairs, nonFiniteMismatches, fields, List.copyOf(sorted));
    }
}

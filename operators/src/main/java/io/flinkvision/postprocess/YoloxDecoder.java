package io.flinkvision.postprocess;

import io.flinkvision.tensor.OutputLayout;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.apache.flink.annotation.Internal;

/**
 * Decodes the YOLOX head output of one image into scored boxes in model-input pixels: the raw layout below, or the
 * top-K layout reduced on the GPU ({@link OutputLayout}), which carries the same raw box values and the scores
 * {@code objectness * class_prob} already multiplied.
 *
 * <p>Layout: {@code rows x columns} floats, rows = anchors of the strides 8, 16, 32 in that order, each grid
 * row-major ({@code (H/8)*(W/8) + (H/16)*(W/16) + (H/32)*(W/32)}: 3549 for 416x416); columns =
 * {@code [raw_x, raw_y, raw_w, raw_h, objectness, class_prob_0 .. class_prob_{C-1}]}, objectness and class
 * probabilities already sigmoid. Formula (YOLOX {@code yolox/utils/demo_utils.py} {@code demo_postprocess}):
 * {@code cx = (raw_x + grid_x) * stride}, {@code cy = (raw_y + grid_y) * stride}, {@code w = exp(raw_w) * stride},
 * {@code h = exp(raw_h) * stride}; score of class c = objectness * class_prob[c]. A candidate is kept per anchor and
 * class when its score is strictly greater than the threshold (as {@code multiclass_nms_class_aware} does).
 */
@Internal
public final class YoloxDecoder {
    /** Strides of the YOLOX heads (P3, P4, P5). */
    public static final int[] STRIDES = {8, 16, 32};

    private final int inputWidth;
    private final int inputHeight;
    private final int rows;
    private final float[] gridX;
    private final float[] gridY;
    private final float[] stride;
    private final LongAdder saturated = new LongAdder();
    /** Per-thread copy of one image's top-K output (rows x columns floats). */
    private final ThreadLocal<float[]> scratch = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * @param inputWidth model input width in pixels (a multiple of 32)
     * @param inputHeight model input height in pixels (a multiple of 32)
     * @param rows rows per image of the output tensor, checked against the grid
     * @throws IllegalArgumentException if {@code rows} is not the anchor count of that input size
     */
    public YoloxDecoder(int inputWidth, int inputHeight, int rows) {
        int expected = 0;
        for (int s : STRIDES) {
            expected += (inputHeight / s) * (inputWidth / s);
        }
        if (rows != expected) {
            throw new IllegalArgumentException("YOLOX output of " + rows + " rows does not match a " + inputWidth + "x"
                    + inputHeight + " input (expected " + expected + " anchors for strides 8, 16, 32)");
        }
        this.inputWidth = inputWidth;
        this.inputHeight = inputHeight;
        this.rows = rows;
        this.gridX = new float[rows];
        this.gridY = new float[rows];
        this.stride = new float[rows];
        int k = 0;
        for (int s : STRIDES) {
            int gh = inputHeight / s;
            int gw = inputWidth / s;
            for (int y = 0; y < gh; y++) {
                for (int x = 0; x < gw; x++, k++) {
                    gridX[k] = x;
                    gridY[k] = y;
                    stride[k] = s;
                }
            }
        }
    }

    public int rows() {
        return rows;
    }

    /**
     * Decodes one image.
     *
     * @param out output floats; image data starts at {@code offset}
     * @param offset index of the image's first value
     * @param columns values per row (5 + classes)
     * @param scoreThreshold minimum score (exclusive)
     * @return candidates in model-input pixels {@code [x1, y1, x2, y2]}, unordered
     */
    public List<Candidate> decode(FloatBuffer out, int offset, int columns, float scoreThreshold) {
        return decode(out, offset, OutputLayout.rawFromColumns(columns), scoreThreshold);
    }

    /**
     * Decodes one image of either output layout. Both give the same candidates (same boxes, scores and classes; the
     * order may differ) as long as no anchor has more than K classes above the threshold in the top-K layout; anchors
     * where that may have happened are counted ({@link #saturatedAnchors()}).
     *
     * @param out output floats; image data starts at {@code offset}
     * @param offset index of the image's first value
     * @param layout what a row holds ({@code layout.columns()} values per row)
     * @param scoreThreshold minimum score (exclusive)
     * @return candidates in model-input pixels {@code [x1, y1, x2, y2]}, unordered
     */
    public List<Candidate> decode(FloatBuffer out, int offset, OutputLayout layout, float scoreThreshold) {
        return layout.kind() == OutputLayout.Kind.YOLOX_RAW
                ? decodeRaw(out, offset, layout.columns(), scoreThreshold)
                : decodeTopK(out, offset, layout, scoreThreshold);
    }

    /**
     * Anchors seen (top-K layout) whose K-th score was above the threshold, where a (K+1)-th class above it, and so a
     * candidate, may be missing. Raise {@code inference.tensorrt.output-top-classes} if this grows.
     */
    public long saturatedAnchors() {
        return saturated.sum();
    }

    private List<Candidate> decodeTopK(FloatBuffer out, int offset, OutputLayout layout, float scoreThreshold) {
        int columns = layout.columns();
        int k = layout.topK();
        int n = rows * columns;
        float[] v = scratch.get();
        if (v.length < n) {
            v = new float[n];
            scratch.set(v);
        }
        out.get(offset, v, 0, n); // one bulk copy (pinned memory -> array), then a plain array scan
        List<Candidate> result = new ArrayList<>();
        long saturatedHere = 0;
        boolean canSaturate = k < layout.classes();
        for (int a = 0, base = 0; a < rows; a++, base += columns) {
            if (v[base + 4] <= scoreThreshold) {
                continue; // scores are in descending order
            }
            float s = stride[a];
            float cx = (v[base] + gridX[a]) * s;
            float cy = (v[base + 1] + gridY[a]) * s;
            float w = (float) Math.exp(v[base + 2]) * s;
            float h = (float) Math.exp(v[base + 3]) * s;
            for (int j = 0; j < k; j++) {
                float score = v[base + 4 + j];
                if (score <= scoreThreshold) {
                    break;
                }
                int classId = (int) v[base + 4 + k + j];
                result.add(new Candidate(cx - w / 2f, cy - h / 2f, cx + w / 2f, cy + h / 2f, score, classId));
            }
            if (canSaturate && v[base + 4 + k - 1] > scoreThreshold) {
                saturatedHere++;
            }
        }
        if (saturatedHere > 0) {
            saturated.add(saturatedHere);
        }
        return result;
    }

    private List<Candidate> decodeRaw(FloatBuffer out, int offset, int columns, float scoreThreshold) {
        int classes = columns - 5;
        List<Candidate> result = new ArrayList<>();
        for (int a = 0; a < rows; a++) {
            int base = offset + a * columns;
            float obj = out.get(base + 4);
            if (obj <= scoreThreshold) {
                continue; // class probabilities are <= 1, so no class can pass
            }
            float cx = -1;
            float cy = 0;
            float w = 0;
            float h = 0;
            for (int c = 0; c < classes; c++) {
                float score = obj * out.get(base + 5 + c);
                if (score > scoreThreshold) {
                    if (cx < 0) {
                        float s = stride[a];
                        cx = (out.get(base) + gridX[a]) * s;
                        cy = (out.get(base + 1) + gridY[a]) * s;
                        w = (float) Math.exp(out.get(base + 2)) * s;
                        h = (float) Math.exp(out.get(base + 3)) * s;
                    }
                    result.add(new Candidate(cx - w / 2f, cy - h / 2f, cx + w / 2f, cy + h / 2f, score, c));
                }
            }
        }
        return result;
    }
}

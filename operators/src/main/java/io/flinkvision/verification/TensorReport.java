package io.flinkvision.verification;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Element-wise comparison of an engine's output tensor with the reference's, over a whole run.
 *
 * @param tolerance the tolerance applied ({@code |a - r| <= atol + rtol * |r|})
 * @param images images compared (N)
 * @param rows rows per image (anchors: 3549 for a 416x416 YOLOX)
 * @param columns values per row (85 for COCO YOLOX)
 * @param elements elements compared, {@code images * rows * columns}
 * @param within elements within tolerance
 * @param maxAbsError largest {@code |a - r|} among finite pairs
 * @param maxRelError largest {@code |a - r| / |r|} among finite pairs with {@code r != 0}
 * @param meanAbsError mean {@code |a - r|} over finite pairs
 * @param nonFiniteMismatches elements where one side is NaN or infinite and the other is not the same
 * @param fields errors per field group (box, objectness, classes)
 * @param worst the elements furthest over (or closest to) their bound, worst first
 */
@PublicEvolving
public record TensorReport(Tolerance tolerance, int images, int rows, int columns, long elements, long within,
        double maxAbsError, double maxRelError, double meanAbsError, long nonFiniteMismatches, List<FieldStats> fields,
        List<ElementError> worst) {

    /** {@code within / elements}, 1 when nothing was compared. */
    @JsonProperty
    public double fractionWithin() {
        return elements == 0 ? 1.0 : (double) within / elements;
    }

    /** Whether every element is within tolerance (as {@code assert_allclose} requires). */
    @JsonProperty
    public boolean passed() {
        return within == elements;
    }
}

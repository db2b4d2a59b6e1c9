package io.flinkvision.verification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Element-wise comparison on a small YOLOX-shaped output: a 32x32 input has 16 + 4 + 1 = 21 anchors (strides 8, 16,
 * 32), one class gives 6 columns, so 126 values per image. Expected figures are computed by hand.
 */
class TensorComparisonTest {
    private static final int ROWS = 21;
    private static final int COLUMNS = 6;

    private static float[] reference() {
        float[] r = new float[ROWS * COLUMNS];
        for (int i = 0; i < r.length; i++) {
            r[i] = 0.5f + (i % 7) * 0.25f; // 0.5 .. 2.0, never 0
        }
        return r;
    }

    @Test
    void identicalOutputsAreAllWithinWithZeroError() {
        TensorComparison c = new TensorComparison(Tolerance.FP32, 32, 32, ROWS, COLUMNS, 3);
        c.add(reference(), reference());
        TensorReport r = c.report();
        assertThat(r.elements()).isEqualTo(126);
        assertThat(r.within()).isEqualTo(126);
        assertThat(r.passed()).isTrue();
        assertThat(r.maxAbsError()).isZero();
        assertThat(r.maxRelError()).isZero();
        assertThat(r.worst()).as("equal elements are not listed as worst").isEmpty();
    }

    @Test
    void countsErrorsAndLocatesTheWorstElementByImageAnchorAndField() {
        TensorComparison c = new TensorComparison(new Tolerance(1e-3, 1e-5), 32, 32, ROWS, COLUMNS, 5);
        c.add(reference(), reference()); // image 0: equal
        float[] ref = reference();
        float[] act = Arrays.copyOf(ref, ref.length);
        int objectness17 = 17 * COLUMNS + 4; // anchor 17 = stride 16, cell (1, 0); field 4 = objectness
        ref[objectness17] = 0.5f;
        act[objectness17] = 0.6f; // abs 0.1, rel 0.2: outside 1e-5 + 1e-3 * 0.5
        act[0] = ref[0] + 0.0004f; // anchor 0 raw_x: 0.5 -> 0.5004, abs 4e-4 <= 1e-5 + 5e-4: within
        act[20 * COLUMNS + 5] = Float.NaN; // anchor 20 (stride 32), class 0: a NaN against a number
        c.add(act, ref);

        TensorReport r = c.report();
        assertThat(r.images()).isEqualTo(2);
        assertThat(r.elements()).isEqualTo(252);
        assertThat(r.within()).isEqualTo(250);
        assertThat(r.fractionWithin()).isCloseTo(250.0 / 252, within(1e-12));
        assertThat(r.passed()).isFalse();
        assertThat(r.nonFiniteMismatches()).isEqualTo(1);
        assertThat(r.maxAbsError()).isCloseTo(0.1, within(1e-6));
        assertThat(r.maxRelError()).isCloseTo(0.2, within(1e-6));
        assertThat(r.meanAbsError()).isCloseTo((0.1 + 0.0004) / 251, within(1e-8)); // 251 finite pairs

        ElementError nan = r.worst().get(0);
        assertThat(nan.image()).isEqualTo(1);
        assertThat(nan.anchor()).isEqualTo(20);
        assertThat(nan.stride()).isEqualTo(32);
        assertThat(nan.fieldName()).isEqualTo("class 0 (person)");
        assertThat(nan.within()).isFalse();

        ElementError obj = r.worst().get(1);
        assertThat(obj.image()).isEqualTo(1);
        assertThat(obj.anchor()).isEqualTo(17);
        assertThat(obj.stride()).isEqualTo(16);
        assertThat(obj.gridX()).isEqualTo(1);
        assertThat(obj.gridY()).isEqualTo(0);
        assertThat(obj.field()).isEqualTo(4);
        assertThat(obj.fieldName()).isEqualTo("objectness");
        assertThat(obj.reference()).isEqualTo(0.5f);
        assertThat(obj.actual()).isEqualTo(0.6f);
        assertThat(obj.bound()).isCloseTo(1e-5 + 1e-3 * 0.5, within(1e-12));
        assertThat(obj.within()).isFalse();

        assertThat(r.fields()).extracting(FieldStats::name).containsExactly("box", "objectness", "classes");
        FieldStats box = r.fields().get(0);
        assertThat(box.elements()).isEqualTo(2 * ROWS * 4);
        assertThat(box.within()).isEqualTo(box.elements());
        assertThat(box.maxAbsError()).isCloseTo(0.0004, within(1e-6));
        FieldStats objectness = r.fields().get(1);
        assertThat(objectness.within()).isEqualTo(2 * ROWS - 1);
        assertThat(objectness.maxAbsError()).isCloseTo(0.1, within(1e-6));
        assertThat(r.fields().get(2).within()).isEqualTo(2 * ROWS - 1);
    }

    @Test
    void rowsMustBeTheAnchorCountOfTheInputSize() {
        assertThatThrownBy(() -> new TensorComparison(Tolerance.FP32, 32, 32, 20, COLUMNS, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 21 anchors");
        assertThatThrownBy(() -> new TensorComparison(Tolerance.FP32, 416, 416, 3549, 5, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 + classes");
    }

    @Test
    void fieldsOfTheRawHeadAreNamed() {
        assertThat(TensorComparison.fieldName(2)).isEqualTo("raw_w");
        assertThat(TensorComparison.fieldName(4)).isEqualTo("objectness");
        assertThat(TensorComparison.fieldName(7)).isEqualTo("class 2 (car)");
    }
}

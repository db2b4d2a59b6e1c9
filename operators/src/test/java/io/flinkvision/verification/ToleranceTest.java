package io.flinkvision.verification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.flinkvision.engine.Precision;
import org.junit.jupiter.api.Test;

/** The {@code assert_allclose} rule {@code |a - r| <= atol + rtol * |r|}, on hand-computed values. */
class ToleranceTest {

    @Test
    void boundIsAtolPlusRtolTimesTheReference() {
        Tolerance t = new Tolerance(1e-3, 1e-5);
        assertThat(t.bound(2.0)).isCloseTo(0.00201, within(1e-12));
        assertThat(t.bound(-2.0)).isCloseTo(0.00201, within(1e-12));
        assertThat(t.bound(0.0)).isEqualTo(1e-5);
    }

    @Test
    void anElementPassesUpToTheBoundAndFailsJustOver() {
        Tolerance t = new Tolerance(1e-3, 1e-5);
        assertThat(t.allows(2.002, 2.0)).isTrue(); // 0.002 <= 0.00201
        assertThat(t.allows(1.998, 2.0)).isTrue();
        assertThat(t.allows(2.0021, 2.0)).isFalse(); // 0.0021 > 0.00201
        assertThat(t.allows(1e-5, 0.0)).isTrue(); // at a zero reference only atol is left
        assertThat(t.allows(2e-5, 0.0)).isFalse();
        assertThat(t.allows(5.0, 5.0)).isTrue();
    }

    @Test
    void theRuleScalesWithTheReferenceOnlySoItIsNotSymmetric() {
        Tolerance t = new Tolerance(0.1, 0);
        assertThat(t.allows(11.05, 10)).isFalse(); // |1.05| > 0.1 * 10
        assertThat(t.allows(10, 11.05)).isTrue(); // |1.05| <= 0.1 * 11.05 = 1.105
    }

    @Test
    void nanAndInfinityCountAsEqualOnlyToThemselves() {
        Tolerance t = Tolerance.FP32;
        assertThat(t.allows(Double.NaN, Double.NaN)).isTrue();
        assertThat(t.allows(Double.NaN, 1.0)).isFalse();
        assertThat(t.allows(1.0, Double.NaN)).isFalse();
        assertThat(t.allows(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY)).isTrue();
        assertThat(t.allows(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)).isFalse();
        assertThat(t.allows(1e30, Double.POSITIVE_INFINITY)).isFalse();
    }

    @Test
    void defaultsPerPrecisionLoosenFromFp32() {
        assertThat(Tolerance.defaultFor(Precision.FP32, false)).isEqualTo(new Tolerance(1e-3, 5e-4));
        assertThat(Tolerance.defaultFor(Precision.FP32, true)).isEqualTo(Tolerance.FP32_TF32);
        assertThat(Tolerance.defaultFor(Precision.FP16, false)).isEqualTo(Tolerance.FP16);
        assertThat(Tolerance.defaultFor(Precision.INT8, true)).isEqualTo(Tolerance.INT8);
        assertThat(Tolerance.FP16.rtol()).isGreaterThan(Tolerance.FP32.rtol());
        assertThat(Tolerance.INT8.atol()).isGreaterThan(Tolerance.FP16.atol());
    }

    @Test
    void negativeOrNonFiniteTolerancesAreRefused() {
        assertThatThrownBy(() -> new Tolerance(-1e-3, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rtol -0.001");
        assertThatThrownBy(() -> new Tolerance(0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Tolerance(Double.POSITIVE_INFINITY, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

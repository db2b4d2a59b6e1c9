package io.flinkvision.verification;

import io.flinkvision.engine.Precision;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Element-wise tolerance between an engine's output and the reference's, as {@code numpy.testing.assert_allclose}
 * applies it: an element passes when {@code |actual - reference| <= atol + rtol * |reference|} (the bound scales with
 * the reference value only, so the check is not symmetric). Two NaNs, or two equal infinities, count as equal
 * (numpy's {@code equal_nan=True}); a NaN or infinity against anything else fails.
 *
 * <p>Defaults per precision ({@link #defaultFor}), from {@code verify} on an H100 with TensorRT 10.6 (2026-12-08,
 * docs/benchmarks/h100-2026-12-08): FP32 with TF32 off {@code rtol 1e-3, atol 5e-4}: the usual {@code atol 1e-5} fails
 * on 92 of 4.8M elements (0.002%), all raw box offsets near zero whose error is at most 2.3e-4 grid cells, so atol is
 * twice that measured maximum. FP32 with TF32, FP16 and INT8 keep looser bounds that a healthy engine still exceeds on
 * 0.8%, 0.5% and 4.4% of the elements (the box fields of background anchors): for them the detection agreement is the
 * verdict that matters, the element check a report.
 *
 * @param rtol relative tolerance, {@code >= 0}
 * @param atol absolute tolerance, {@code >= 0}, in the output's units
 */
@PublicEvolving
public record Tolerance(double rtol, double atol) {
    /** FP32 with TF32 off: {@code rtol 1e-3, atol 5e-4} (measured max abs error 2.3e-4). */
    public static final Tolerance FP32 = new Tolerance(1e-3, 5e-4);
    /** FP32 with TF32 tensor-core math: {@code rtol 1e-2, atol 1e-3} (measured: 99.25% of elements within). */
    public static final Tolerance FP32_TF32 = new Tolerance(1e-2, 1e-3);
    /** FP16: {@code rtol 5e-2, atol 1e-2} (measured: 99.55% of elements within). */
    public static final Tolerance FP16 = new Tolerance(5e-2, 1e-2);
    /** INT8: {@code rtol 2e-1, atol 5e-2} (measured: 95.6% of elements within). */
    public static final Tolerance INT8 = new Tolerance(2e-1, 5e-2);

    /** @throws IllegalArgumentException if a tolerance is negative or not a number */
    public Tolerance {
        if (!(rtol >= 0) || !(atol >= 0) || Double.isInfinite(rtol) || Double.isInfinite(atol)) {
            throw new IllegalArgumentException("tolerances must be finite and >= 0, got rtol " + rtol + ", atol "
                    + atol);
        }
    }

    /** The documented default for an engine of this precision ({@code tf32} matters for FP32 only). */
    public static Tolerance defaultFor(Precision precision, boolean tf32) {
        switch (precision) {
            case FP16:
                return FP16;
            case INT8:
                return INT8;
            default:
                return tf32 ? FP32_TF32 : FP32;
        }
    }

    /** The largest error allowed at this reference value: {@code atol + rtol * |reference|}. */
    public double bound(double reference) {
        return atol + rtol * Math.abs(reference);
    }

    /** Whether {@code actual} is within tolerance of {@code reference} (see the class comment for NaN/infinity). */
    public boolean allows(double actual, double reference) {
        if (Double.isNaN(actual) || Double.isNaN(reference)) {
            return Double.isNaN(actual) && Double.isNaN(reference);
        }
        if (Double.isInfinite(actual) || Double.isInfinite(reference)) {
            return actual == reference;
        }
        return Math.abs(actual - reference) <= bound(reference);
    }
}

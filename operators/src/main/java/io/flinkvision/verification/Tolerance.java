package io.flinkvision.verification;

import io.flinkvision.engine.Precision;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Element-wise tolerance between an engine's output and the reference's, as {@code numpy.testing.assert_allclose}
 * applies it: an element passes when {@code |actual - reference| <= atol + rtol * |reference|} (the bound scales with
 * the reference value only, so the check is not symmetric). Two NaNs, or two equal infinities, count as equal
 * (numpy's {@code equal_nan=True}); a NaN or infinity against anything else fails.
 *
 * <p>Defaults per precision ({@link #defaultFor}): FP32 {@code rtol 1e-3, atol 1e-5} (the usual ONNX Runtime vs
 * TensorRT check, which FP32 with TF32 off is expected to pass); FP32 with TF32, FP16 and INT8 have looser values that
 * are <b>placeholders until measured on a GPU</b> (TF32 and FP16 keep a 10-bit mantissa, a relative step of ~1e-3 per
 * operation; INT8 has 256 levels per tensor).
 *
 * @param rtol relative tolerance, {@code >= 0}
 * @param atol absolute tolerance, {@code >= 0}, in the output's units
 */
@PublicEvolving
public record Tolerance(double rtol, double atol) {
    /** FP32 with TF32 off: {@code rtol 1e-3, atol 1e-5}. */
    public static final Tolerance FP32 = new Tolerance(1e-3, 1e-5);
    /** FP32 with TF32 tensor-core math: {@code rtol 1e-2, atol 1e-3} (placeholder until measured). */
    public static final Tolerance FP32_TF32 = new Tolerance(1e-2, 1e-3);
    /** FP16: {@code rtol 5e-2, atol 1e-2} (placeholder until measured). */
    public static final Tolerance FP16 = new Tolerance(5e-2, 1e-2);
    /** INT8: {@code rtol 2e-1, atol 5e-2} (placeholder until measured). */
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

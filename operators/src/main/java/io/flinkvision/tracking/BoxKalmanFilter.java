package io.flinkvision.tracking;

import io.flinkvision.detection.BoundingBox;
import org.apache.commons.math3.filter.DefaultMeasurementModel;
import org.apache.commons.math3.filter.KalmanFilter;
import org.apache.commons.math3.filter.MeasurementModel;
import org.apache.commons.math3.filter.ProcessModel;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * Constant-velocity Kalman filter of one box, as in SORT (Bewley et al. 2016) and ByteTrack (Zhang et al. 2022,
 * {@code yolox/tracker/kalman_filter.py}, itself from DeepSORT, Wojke et al. 2017).
 *
 * <p>State {@code x} (8): {@code [cx, cy, a, h, vcx, vcy, va, vh]}: box center (pixels), aspect ratio {@code a = w/h},
 * height {@code h} (pixels), and their velocities per frame. Measurement {@code z} (4): {@code [cx, cy, a, h]}.
 * Transition {@code F = [[I4, I4], [0, I4]]} (dt = 1 frame), measurement {@code H = [I4, 0]}.
 *
 * <p>Noise, scaled by the box height as in DeepSORT/ByteTrack, with {@code wp = 1/20} ({@link #STD_WEIGHT_POSITION})
 * and {@code wv = 1/160} ({@link #STD_WEIGHT_VELOCITY}), standard deviations:
 * <ul>
 *   <li>initial covariance {@code P0}: {@code [2wp h, 2wp h, 1e-2, 2wp h, 10wv h, 10wv h, 1e-5, 10wv h]}</li>
 *   <li>process noise {@code Q} (h of the current estimate): {@code [wp h, wp h, 1e-2, wp h, wv h, wv h, 1e-5, wv h]}</li>
 *   <li>measurement noise {@code R} (h of the current estimate): {@code [wp h, wp h, 1e-1, wp h]}</li>
 * </ul>
 * All diagonal, variances = squares. The filter arithmetic ({@code x' = Fx}, {@code P' = FPF^T + Q}, gain
 * {@code K = P'H^T (HP'H^T + R)^-1}, {@code x = x' + K(z - Hx')}, {@code P = (I - KH)P'}) is commons-math3's
 * {@link KalmanFilter}; this class keeps the state as plain arrays ({@link #mean()}, {@link #covariance()}) so it fits
 * Flink keyed state and is rebuilt per step. Not thread-safe.
 */
final class BoxKalmanFilter {
    /** Position noise weight, relative to the box height (DeepSORT/ByteTrack {@code _std_weight_position}). */
    public static final double STD_WEIGHT_POSITION = 1.0 / 20;
    /** Velocity noise weight, relative to the box height (DeepSORT/ByteTrack {@code _std_weight_velocity}). */
    public static final double STD_WEIGHT_VELOCITY = 1.0 / 160;

    static final int STATE = 8;
    static final int MEASUREMENT = 4;
    private static final RealMatrix F = transition();
    private static final RealMatrix H = MatrixUtils.createRealMatrix(measurementMatrix());

    private double[] mean;
    private double[][] covariance;

    private BoxKalmanFilter(double[] mean, double[][] covariance) {
        this.mean = mean;
        this.covariance = covariance;
    }

    /**
     * A filter started from an unmatched detection: position = the measurement, velocity 0, covariance {@code P0}.
     *
     * @param box box in pixels; its height must be > 0
     * @throws IllegalArgumentException for a box of height 0
     */
    public static BoxKalmanFilter initiate(BoundingBox box) {
        double[] z = toMeasurement(box);
        double h = z[3];
        double[] mean = new double[STATE];
        System.arraycopy(z, 0, mean, 0, MEASUREMENT);
        double wp = 2 * STD_WEIGHT_POSITION * h;
        double wv = 10 * STD_WEIGHT_VELOCITY * h;
        return new BoxKalmanFilter(mean, diagonalOfSquares(wp, wp, 1e-2, wp, wv, wv, 1e-5, wv));
    }

    /**
     * A filter from a stored state (see {@link #mean()} and {@link #covariance()}).
     *
     * @param mean 8 values, the layout of the class doc
     * @param covariance 64 values, row-major 8x8
     * @throws IllegalArgumentException if the lengths are wrong
     */
    public static BoxKalmanFilter of(double[] mean, double[] covariance) {
        if (mean == null || mean.length != STATE || covariance == null || covariance.length != STATE * STATE) {
            throw new IllegalArgumentException("Kalman state needs 8 means and 64 covariances");
        }
        double[][] p = new double[STATE][STATE];
        for (int r = 0; r < STATE; r++) {
            System.arraycopy(covariance, r * STATE, p[r], 0, STATE);
        }
        return new BoxKalmanFilter(mean.clone(), p);
    }

    /** Predicts one frame ahead: {@code x = Fx}, {@code P = FPF^T + Q}. */
    public void predict() {
        KalmanFilter kf = filter();
        kf.predict();
        read(kf);
    }

    /**
     * Corrects the estimate with a measured box (after {@link #predict()} for this frame).
     *
     * @param box box in pixels, height > 0
     * @throws IllegalArgumentException for a box of height 0
     */
    public void update(BoundingBox box) {
        KalmanFilter kf = filter();
        kf.correct(toMeasurement(box));
        read(kf);
    }

    /**
     * Sets the height velocity {@code vh} to 0: ByteTrack does so before predicting a track that is not being tracked
     * (lost), so an unseen box does not grow or shrink without bound.
     */
    public void zeroHeightVelocity() {
        mean[7] = 0;
    }

    /** The state estimate, 8 values {@code [cx, cy, a, h, vcx, vcy, va, vh]} (a copy). */
    public double[] mean() {
        return mean.clone();
    }

    /** The error covariance, 64 values, row-major 8x8 (a copy). */
    public double[] covariance() {
        double[] out = new double[STATE * STATE];
        for (int r = 0; r < STATE; r++) {
            System.arraycopy(covariance[r], 0, out, r * STATE, STATE);
        }
        return out;
    }

    /** The estimated box in pixels {@code (x1, y1, x2, y2)}; width and height clamped at 0. */
    public BoundingBox box() {
        double h = Math.max(0, mean[3]);
        double w = Math.max(0, mean[2] * h);
        return new BoundingBox((float) (mean[0] - w / 2), (float) (mean[1] - h / 2), (float) (mean[0] + w / 2),
                (float) (mean[1] + h / 2));
    }

    /**
     * Measurement {@code [cx, cy, w/h, h]} of a box.
     *
     * @throws IllegalArgumentException for a box of height 0
     */
    static double[] toMeasurement(BoundingBox b) {
        double h = b.getY2() - b.getY1();
        if (!(h > 0)) {
            throw new IllegalArgumentException("box height must be > 0: " + b);
        }
        double w = b.getX2() - b.getX1();
        return new double[] {b.getX1() + w / 2, b.getY1() + h / 2, w / h, h};
    }

    private KalmanFilter filter() {
        final double h = mean[3];
        final RealVector x0 = new ArrayRealVector(mean);
        final RealMatrix p0 = new Array2DRowRealMatrix(covariance);
        ProcessModel process = new ProcessModel() {
            @Override public RealMatrix getStateTransitionMatrix() { return F; }
            @Override public RealMatrix getControlMatrix() { return null; }
            @Override public RealMatrix getProcessNoise() {
                double wp = STD_WEIGHT_POSITION * h;
                double wv = STD_WEIGHT_VELOCITY * h;
                return new Array2DRowRealMatrix(diagonalOfSquares(wp, wp, 1e-2, wp, wv, wv, 1e-5, wv), false);
            }
            @Override public RealVector getInitialStateEstimate() { return x0; }
            @Override public RealMatrix getInitialErrorCovariance() { return p0; }
        };
        double wp = STD_WEIGHT_POSITION * h;
        MeasurementModel measurement = new DefaultMeasurementModel(H,
                new Array2DRowRealMatrix(diagonalOfSquares(wp, wp, 1e-1, wp), false));
        return new KalmanFilter(process, measurement);
    }

    private void read(KalmanFilter kf) {
        mean = kf.getStateEstimation();
        covariance = kf.getErrorCovariance();
    }

    private static double[][] diagonalOfSquares(double... std) {
        double[][] m = new double[std.length][std.length];
        for (int i = 0; i < std.length; i++) {
            m[i][i] = std[i] * std[i];
        }
        return m;
    }

    private static RealMatrix transition() {
        RealMatrix f = MatrixUtils.createRealIdentityMatrix(STATE);
        for (int i = 0; i < MEASUREMENT; i++) {
            f.setEntry(i, MEASUREMENT + i, 1.0);
        }
        return f;
    }

    private static double[][] measurementMatrix() {
        double[][] h = new double[MEASUREMENT][STATE];
        for (int i = 0; i < MEASUREMENT; i++) {
            h[i][i] = 1.0;
        }
        return h;
    }
}

package io.flinkvision.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.flinkvision.detection.BoundingBox;
import org.junit.jupiter.api.Test;

/**
 * {@link BoxKalmanFilter} against values computed by hand from the DeepSORT/ByteTrack model (class doc): box
 * (10,20)-(30,60), so cx=20, cy=40, a=0.5, h=40, wp*h = 2, wv*h = 0.25.
 */
class BoxKalmanFilterTest {
    private static final BoundingBox BOX = new BoundingBox(10, 20, 30, 60);

    @Test
    void initiateSetsPositionZeroVelocityAndHeightScaledCovariance() {
        BoxKalmanFilter kf = BoxKalmanFilter.initiate(BOX);
        assertThat(kf.mean()).containsExactly(20, 40, 0.5, 40, 0, 0, 0, 0);
        double[] p = kf.covariance();
        assertThat(p[0]).isCloseTo(16, within(1e-9)); // (2 * 1/20 * 40)^2
        assertThat(p[9]).isCloseTo(16, within(1e-9));
        assertThat(p[18]).isCloseTo(1e-4, within(1e-12)); // (1e-2)^2
        assertThat(p[27]).isCloseTo(16, within(1e-9));
        assertThat(p[36]).isCloseTo(6.25, within(1e-9)); // (10 * 1/160 * 40)^2
        assertThat(p[63]).isCloseTo(6.25, within(1e-9));
        assertThat(p[1]).isZero();
        assertThat(kf.box()).isEqualTo(BOX);
    }

    @Test
    void predictAddsVelocityCovarianceAndProcessNoise() {
        BoxKalmanFilter kf = BoxKalmanFilter.initiate(BOX);
        kf.predict();
        double[] p = kf.covariance();
        assertThat(kf.mean()).containsExactly(20, 40, 0.5, 40, 0, 0, 0, 0); // zero velocity: no motion
        assertThat(p[0]).isCloseTo(16 + 6.25 + 4, within(1e-9)); // P00 + P44 + (wp h)^2
        assertThat(p[4]).isCloseTo(6.25, within(1e-9)); // P04 = P44
        assertThat(p[36]).isCloseTo(6.25 + 0.0625, within(1e-9)); // P44 + (wv h)^2
    }

    @Test
    void updatePullsTowardsTheMeasurementByTheKalmanGain() {
        BoxKalmanFilter kf = BoxKalmanFilter.initiate(BOX);
        kf.predict();
        kf.update(new BoundingBox(14, 20, 34, 60)); // cx measured 24: innovation 4
        double s = 26.25 + 4; // P'00 + R00, R00 = (wp h)^2
        double[] m = kf.mean();
        assertThat(m[0]).isCloseTo(20 + 4 * 26.25 / s, within(1e-9)); // 23.4711
        assertThat(m[4]).isCloseTo(4 * 6.25 / s, within(1e-9)); // vx 0.8264
        assertThat(m[1]).isCloseTo(40, within(1e-9));
        assertThat(m[3]).isCloseTo(40, within(1e-9));
        assertThat(kf.covariance()[0]).isCloseTo(26.25 * 4 / s, within(1e-9));
        // then the next prediction moves by the estimated velocity
        kf.predict();
        assertThat(kf.mean()[0]).isCloseTo(20 + 4 * 26.25 / s + 4 * 6.25 / s, within(1e-9));
    }

    @Test
    void constantMotionIsLearnt() {
        BoxKalmanFilter kf = BoxKalmanFilter.initiate(BOX);
        for (int t = 1; t <= 30; t++) {
            kf.predict();
            kf.update(new BoundingBox(10 + 5 * t, 20, 30 + 5 * t, 60));
        }
        kf.predict();
        assertThat(kf.mean()[4]).isCloseTo(5, within(0.05));
        assertThat(kf.box().getX1()).isCloseTo(10 + 5 * 31, within(0.5f));
    }

    @Test
    void stateRoundTripsThroughArrays() {
        BoxKalmanFilter kf = BoxKalmanFilter.initiate(BOX);
        kf.predict();
        BoxKalmanFilter copy = BoxKalmanFilter.of(kf.mean(), kf.covariance());
        kf.update(new BoundingBox(12, 22, 32, 62));
        copy.update(new BoundingBox(12, 22, 32, 62));
        assertThat(copy.mean()).containsExactly(kf.mean());
        assertThat(copy.covariance()).containsExactly(kf.covariance());
    }

    @Test
    void zeroHeightBoxIsRejected() {
        assertThatThrownBy(() -> BoxKalmanFilter.initiate(new BoundingBox(1, 5, 9, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("height");
    }
}

package io.flinkvision.postprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class NmsTest {
    @Test
    void inclusivePixelIouMatchesHandComputedValue() {
        // boxes [0,0,9,9] and [5,0,14,9]: areas 10*10=100 each, intersection 5*10=50 -> IoU 50/150
        Candidate a = new Candidate(0, 0, 9, 9, 0.9f, 0);
        Candidate b = new Candidate(5, 0, 14, 9, 0.8f, 0);
        assertThat(Nms.iouInclusive(a, b)).isCloseTo(1f / 3f, within(1e-6f));
        assertThat(Nms.iouInclusive(a, new Candidate(20, 20, 30, 30, 0.5f, 0))).isZero();
    }

    @Test
    void suppressesOverlapsWithinAClassOnly() {
        Candidate high = new Candidate(0, 0, 99, 99, 0.9f, 0);
        Candidate overlapSameClass = new Candidate(5, 5, 104, 104, 0.8f, 0); // IoU ~0.82 -> suppressed
        Candidate overlapOtherClass = new Candidate(5, 5, 104, 104, 0.7f, 2); // other class -> kept
        Candidate farSameClass = new Candidate(300, 300, 350, 350, 0.6f, 0); // no overlap -> kept
        List<Candidate> kept = Nms.classAware(List.of(overlapSameClass, farSameClass, high, overlapOtherClass), 0.45f);
        assertThat(kept).containsExactly(high, overlapOtherClass, farSameClass);
    }

    @Test
    void boxJustBelowTheThresholdSurvives() {
        // IoU = 50/150 = 0.333: kept at threshold 0.45, suppressed at 0.3
        Candidate a = new Candidate(0, 0, 9, 9, 0.9f, 1);
        Candidate b = new Candidate(5, 0, 14, 9, 0.8f, 1);
        assertThat(Nms.classAware(List.of(a, b), 0.45f)).containsExactly(a, b);
        assertThat(Nms.classAware(List.of(a, b), 0.3f)).containsExactly(a);
    }
}

package io.flinkvision.verification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.CocoLabels;
import io.flinkvision.detection.Detection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Detection matching and agreement on hand-made detections; expected figures computed by hand. */
class DetectionAgreementTest {
    private static final int PERSON = 0;
    private static final int CAR = 2;
    private static final int DOG = 16;

    private static Detection det(int classId, float score, float x1, float y1, float x2, float y2) {
        return new Detection(classId, CocoLabels.label(classId), score, new BoundingBox(x1, y1, x2, y2));
    }

    @Test
    void matchesPerClassAtIoU05And09AndCountsMissedExtraAndScoreDifferences() {
        DetectionAgreement a = new DetectionAgreement(5);
        // frame 1: person IoU 100*100/(100*105) = 0.952 (matched at 0.9), car IoU 100*100/(100*150) = 0.667 (at 0.5
        // only), and an extra dog
        FrameAgreement f1 = a.add("f1",
                List.of(det(PERSON, 0.9f, 0, 0, 100, 100), det(CAR, 0.8f, 200, 200, 300, 300)),
                List.of(det(PERSON, 0.85f, 0, 0, 100, 105), det(CAR, 0.8f, 200, 200, 300, 350),
                        det(DOG, 0.5f, 400, 400, 450, 450)));
        assertThat(f1.matched50()).isEqualTo(2);
        assertThat(f1.matched90()).isEqualTo(1);
        assertThat(f1.extra()).isEqualTo(1);
        assertThat(f1.agreement()).isCloseTo(1.0 / (2 + 3 - 1), within(1e-12));
        // frame 2: a person the run under test missed
        a.add("f2", List.of(det(PERSON, 0.7f, 10, 10, 60, 60)), List.of());
        // frame 3: nothing on either side is agreement
        a.add("f3", List.of(), List.of());

        AgreementReport r = a.report();
        assertThat(r.frames()).isEqualTo(3);
        assertThat(r.framesInAgreement()).isEqualTo(1);
        ClassAgreement all = r.all();
        assertThat(all.reference()).isEqualTo(3);
        assertThat(all.test()).isEqualTo(3);
        assertThat(all.matched50()).isEqualTo(2);
        assertThat(all.matched90()).isEqualTo(1);
        assertThat(all.missed()).isEqualTo(1);
        assertThat(all.extra()).isEqualTo(1);
        assertThat(r.agreement()).isCloseTo(1.0 / (3 + 3 - 1), within(1e-12));
        assertThat(all.agreement50()).isCloseTo(2.0 / (3 + 3 - 2), within(1e-12));
        assertThat(all.recall90()).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(all.meanAbsScoreDiff()).isCloseTo((0.05 + 0.0) / 2, within(1e-6));
        assertThat(all.maxAbsScoreDiff()).isCloseTo(0.05, within(1e-6));
        assertThat(all.meanIou()).isCloseTo((100.0 / 105 + 100.0 / 150) / 2, within(1e-6));

        assertThat(r.classes()).extracting(ClassAgreement::label).containsExactly("person", "car", "dog");
        ClassAgreement person = r.classes().get(0);
        assertThat(person.reference()).isEqualTo(2);
        assertThat(person.test()).isEqualTo(1);
        assertThat(person.missed()).isEqualTo(1);
        assertThat(person.extra()).isZero();
        assertThat(person.agreement()).isCloseTo(0.5, within(1e-12));
        ClassAgreement car = r.classes().get(1);
        assertThat(car.matched50()).isEqualTo(1);
        assertThat(car.matched90()).isZero();
        assertThat(car.agreement()).isZero();
        ClassAgreement dog = r.classes().get(2);
        assertThat(dog.reference()).isZero();
        assertThat(dog.extra()).isEqualTo(1);

        // worst first: f2 (agreement 0) before f1 (0.25); f3 is in full agreement and not listed
        assertThat(r.worstFrames()).extracting(FrameAgreement::frame).containsExactly("f2", "f1");
    }

    @Test
    void theSameBoxOfAnotherClassIsNotAMatch() {
        List<DetectionMatch> m = DetectionMatch.greedy(List.of(det(PERSON, 0.9f, 0, 0, 10, 10)),
                List.of(det(CAR, 0.9f, 0, 0, 10, 10)), 0.5);
        assertThat(m).isEmpty();
    }

    @Test
    void greedyTakesTheBestOverlapFirstAndUsesEachDetectionOnce() {
        List<Detection> ref = List.of(det(PERSON, 0.9f, 0, 0, 100, 100));
        List<Detection> test = List.of(det(PERSON, 0.9f, 0, 0, 100, 90), det(PERSON, 0.8f, 0, 0, 100, 100));
        List<DetectionMatch> m = DetectionMatch.greedy(ref, test, 0.5);
        assertThat(m).hasSize(1);
        assertThat(m.get(0).test()).isEqualTo(1); // IoU 1.0 beats 0.9
        assertThat(m.get(0).iou()).isEqualTo(1.0f);
    }

    @Test
    void identicalDetectionsAgreeFully() {
        List<Detection> d = List.of(det(PERSON, 0.9f, 0, 0, 100, 100), det(CAR, 0.4f, 50, 60, 70, 80));
        DetectionAgreement a = new DetectionAgreement(2);
        a.add("x", d, d);
        AgreementReport r = a.report();
        assertThat(r.agreement()).isEqualTo(1.0);
        assertThat(r.all().maxAbsScoreDiff()).isZero();
        assertThat(r.worstFrames()).isEmpty();
    }
}

package io.flinkvision.tracking;

import static io.flinkvision.tracking.Scenes.frame;
import static io.flinkvision.tracking.Scenes.personAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ByteTracker} on hand-made sequences (one camera, 10 fps, 40x100 person boxes). */
class ByteTrackerTest {
    private final List<TrackState> tracks = new ArrayList<>();
    private final CameraTrackerState camera = new CameraTrackerState();
    private final List<TrackEvent> events = new ArrayList<>();

    private void run(ByteTracker tracker, FrameDetections f) {
        events.addAll(tracker.update(f, tracks, camera));
    }

    @Test
    void aSteadyObjectIsConfirmedAtTheSecondHitAndKeepsItsId() {
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            FrameDetections f = frame("c", i, personAt(0.9f, 100 + 8 * i, 200));
            run(t, f);
            ids.add(f.getDetections().get(0).getTrackId());
        }
        assertThat(ids.get(0)).isNull(); // tentative
        assertThat(ids.subList(1, 12)).containsOnly(1L);
        assertThat(events).extracting(TrackEvent::getType).containsExactly("started", "updated");
        assertThat(events.get(0).getFrameIndex()).isEqualTo(1);
        assertThat(events.get(1).getFrameIndex()).isEqualTo(11); // every 10 frames after the start
        assertThat(events.get(0).getFirstFrameIndex()).isZero();
    }

    @Test
    void minHitsDelaysConfirmation() {
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS.withMinHits(4));
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            FrameDetections f = frame("c", i, personAt(0.9f, 100, 200));
            run(t, f);
            ids.add(f.getDetections().get(0).getTrackId());
        }
        assertThat(ids).containsExactly(null, null, null, 1L, 1L, 1L);
    }

    @Test
    void crossingPathsKeepTheirIds() {
        // A walks right, B walks left on nearly the same row: their boxes overlap fully around frame 15
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS);
        Set<Long> idsA = new LinkedHashSet<>();
        Set<Long> idsB = new LinkedHashSet<>();
        for (int i = 0; i < 30; i++) {
            Detection a = personAt(0.9f, 100 + 10 * i, 200);
            Detection b = personAt(0.85f, 400 - 10 * i, 206);
            run(t, frame("c", i, a, b));
            if (i > 0) {
                idsA.add(a.getTrackId());
                idsB.add(b.getTrackId());
            }
        }
        assertThat(idsA).hasSize(1).doesNotContainNull();
        assertThat(idsB).hasSize(1).doesNotContainNull();
        assertThat(idsA).doesNotContainAnyElementsOf(idsB);
    }

    @Test
    void occlusionForAFewFramesKeepsTheIdThroughTheKalmanPrediction() {
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS);
        Set<Long> ids = new LinkedHashSet<>();
        for (int i = 0; i < 30; i++) {
            if (i >= 10 && i < 16) {
                run(t, frame("c", i)); // hidden 6 frames while moving 12 px/frame: 72 px, more than its width
                continue;
            }
            Detection a = personAt(0.9f, 100 + 12 * i, 200);
            run(t, frame("c", i, a));
            if (i > 0) {
                ids.add(a.getTrackId());
            }
        }
        assertThat(ids).containsExactly(1L);
        assertThat(events).extracting(TrackEvent::getType).doesNotContain("ended");
    }

    @Test
    void aMissedDetectionDoesNotSplitTheTrack() {
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS);
        Set<Long> ids = new LinkedHashSet<>();
        for (int i = 0; i < 12; i++) {
            if (i == 5) {
                run(t, frame("c", i));
                continue;
            }
            Detection a = personAt(0.9f, 100 + 5 * i, 200);
            run(t, frame("c", i, a));
            if (i > 0) {
                ids.add(a.getTrackId());
            }
        }
        assertThat(ids).containsExactly(1L);
    }

    @Test
    void lowScoreDetectionsContinueATrackInTheSecondAssociation() {
        // partly occluded for frames 5..9: score 0.35, below the high threshold. BYTE keeps the id and labels them.
        Set<Long> ids = trackLowScoreSequence(TrackerConfig.DEFAULTS);
        assertThat(ids).containsExactly(1L);
    }

    @Test
    void withoutTheSecondAssociationTheSameSequenceLosesTheId() {
        // the control: low-score detections ignored (low = high threshold) -> the track is lost and a new one starts
        TrackerConfig noLow = new TrackerConfig(0.5f, 0.5f, 0.6f, 0.8f, 0.5f, 0.7f, true, 2, 2, 0, true, 10, 32, 100,
                2000);
        Set<Long> ids = trackLowScoreSequence(noLow);
        assertThat(ids).hasSizeGreaterThan(1);
    }

    private Set<Long> trackLowScoreSequence(TrackerConfig config) {
        ByteTracker t = new ByteTracker(config);
        Set<Long> ids = new LinkedHashSet<>();
        for (int i = 0; i < 16; i++) {
            float score = i >= 5 && i < 10 ? 0.35f : 0.9f;
            Detection a = personAt(score, 100 + 15 * i, 200);
            run(t, frame("c", i, a));
            if (i > 0) {
                ids.add(a.getTrackId());
            }
        }
        ids.remove(null);
        return ids;
    }

    @Test
    void perClassAssociationAvoidsAnIdSwitchBetweenAPersonAndACar() {
        // a car drives through a standing person; class-agnostic matching may hand the person's id to the car
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS);
        Set<Long> personIds = new LinkedHashSet<>();
        Set<Long> carIds = new LinkedHashSet<>();
        for (int i = 0; i < 20; i++) {
            Detection p = personAt(0.9f, 300, 200);
            Detection c = Scenes.car(0.9f, 150 + 12 * i, 210, 200 + 12 * i, 300);
            run(t, frame("c", i, p, c));
            if (i > 0) {
                personIds.add(p.getTrackId());
                carIds.add(c.getTrackId());
            }
        }
        assertThat(personIds).hasSize(1).doesNotContainNull();
        assertThat(carIds).hasSize(1).doesNotContainNull().doesNotContainAnyElementsOf(personIds);
    }

    @Test
    void aLostTrackEndsAfterMaxLostFramesWithDurationAndPath() {
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS.withMaxLostFrames(5).withUpdateIntervalFrames(0));
        for (int i = 0; i < 8; i++) {
            run(t, frame("c", i, personAt(0.9f, 100 + 10 * i, 200)));
        }
        for (int i = 8; i <= 12; i++) {
            run(t, frame("c", i));
        }
        assertThat(events).extracting(TrackEvent::getType).containsExactly("started");
        run(t, frame("c", 13)); // last match at 7: 13 - 7 > 5
        assertThat(events).extracting(TrackEvent::getType).containsExactly("started", "ended");
        TrackEvent end = events.get(1);
        assertThat(end.getTrackId()).isEqualTo(1);
        assertThat(end.getEndReason()).isEqualTo("lost");
        assertThat(end.getFirstFrameIndex()).isZero();
        assertThat(end.getLastFrameIndex()).isEqualTo(7);
        assertThat(end.getDurationFrames()).isEqualTo(8);
        assertThat(end.getDurationMs()).isEqualTo(700);
        assertThat(end.getFirstBox().getX1()).isEqualTo(100);
        assertThat(end.getBox().getX1()).isEqualTo(170);
        assertThat(end.getDistancePx()).isCloseTo(70, org.assertj.core.api.Assertions.within(1e-3));
        assertThat(end.getPath()).hasNumberOfRows(8);
        assertThat(end.getPath()[0]).containsExactly(120f, 250f);
        assertThat(end.getPath()[7]).containsExactly(190f, 250f);
        assertThat(tracks).isEmpty();
        // a new object later gets the next id
        run(t, frame("c", 20, personAt(0.9f, 500, 100)));
        FrameDetections f = frame("c", 21, personAt(0.9f, 502, 100));
        run(t, f);
        assertThat(f.getDetections().get(0).getTrackId()).isEqualTo(2);
    }

    @Test
    void thePathIsThinnedToTheBound() {
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS);
        for (int i = 0; i < 200; i++) {
            run(t, frame("c", i, personAt(0.9f, 2 * i, 200)));
        }
        List<TrackEvent> end = t.endAll("c", tracks, camera);
        assertThat(end).singleElement().satisfies(e -> {
            assertThat(e.getEndReason()).isEqualTo("end-of-stream");
            assertThat(e.getPath().length).isBetween(17, 33);
            assertThat(e.getPath()[0]).containsExactly(20f, 250f);
            assertThat(e.getPath()[e.getPath().length - 1]).containsExactly(2 * 199 + 20f, 250f);
        });
    }

    @Test
    void aLowScoreDetectionNeverStartsATrackAndErrorRecordsAreSkipped() {
        ByteTracker t = new ByteTracker(TrackerConfig.DEFAULTS);
        for (int i = 0; i < 5; i++) {
            run(t, frame("c", i, personAt(0.55f, 100, 200))); // high but below new-track-score 0.6
        }
        assertThat(tracks).isEmpty();
        FrameDetections error = frame("c", 5);
        error.setStatus(FrameDetections.STATUS_ERROR);
        run(t, error);
        assertThat(camera.lastFrameIndex).isEqualTo(5);
        assertThat(events).isEmpty();
    }
}

package io.flinkvision.tracking;

import static io.flinkvision.tracking.Scenes.frame;
import static io.flinkvision.tracking.Scenes.personAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ObjectTracker} in Flink's keyed operator test harness: real keyed state (snapshot and restore through the
 * state serializers), event- and processing-time timers driven by the test, so nothing depends on the machine's speed.
 */
class ObjectTrackerTest {
    private KeyedOneInputStreamOperatorTestHarness<String, FrameDetections, FrameDetections> harness;

    private static KeyedOneInputStreamOperatorTestHarness<String, FrameDetections, FrameDetections> open(
            TrackerConfig config, OperatorSubtaskState restore) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new ObjectTracker(config)),
                FrameDetections::getCameraId, Types.STRING);
        if (restore != null) {
            h.initializeState(restore);
        }
        h.open();
        return h;
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private void send(FrameDetections f) throws Exception {
        harness.processElement(new StreamRecord<>(f, f.getCaptureTimestampMs()));
    }

    private List<FrameDetections> output() {
        List<FrameDetections> out = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add((FrameDetections) r.getValue());
            }
        }
        return out;
    }

    private List<TrackEvent> events() {
        ConcurrentLinkedQueue<StreamRecord<TrackEvent>> q = harness.getSideOutput(ObjectTracker.TRACK_EVENTS);
        List<TrackEvent> out = new ArrayList<>();
        if (q != null) {
            q.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    private static List<Long> indexes(List<FrameDetections> frames) {
        return frames.stream().map(FrameDetections::getFrameIndex).toList();
    }

    private static FrameDetections walker(long i) {
        return frame("cam", i, personAt(0.9f, 100 + 6 * i, 200));
    }

    @Test
    void framesArrivingOutOfOrderAreTrackedInFrameIndexOrder() throws Exception {
        harness = open(TrackerConfig.DEFAULTS, null);
        for (long i : new long[] {0, 1, 3, 2, 4, 6, 5, 7}) {
            send(walker(i));
        }
        assertThat(indexes(output())).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(output().subList(1, 8)).allSatisfy(f ->
                assertThat(f.getDetections().get(0).getTrackId()).isEqualTo(1L));
    }

    @Test
    void aGapIsHeldUntilTheWatermarkPassesThenSkipped() throws Exception {
        harness = open(TrackerConfig.DEFAULTS, null);
        send(walker(0));
        send(walker(1));
        send(walker(3)); // frame 2 was dead-lettered
        send(walker(4));
        assertThat(indexes(output())).containsExactly(0L, 1L);
        harness.processWatermark(walker(3).getCaptureTimestampMs());
        assertThat(indexes(output())).containsExactly(0L, 1L, 3L, 4L);
        assertThat(output().get(3).getDetections().get(0).getTrackId()).isEqualTo(1L); // bridged by prediction
    }

    @Test
    void aGapIsHeldAtMostTheMaxWaitOfProcessingTime() throws Exception {
        harness = open(TrackerConfig.DEFAULTS, null);
        harness.setProcessingTime(1_000);
        send(walker(0));
        send(walker(2));
        harness.setProcessingTime(1_000 + TrackerConfig.DEFAULTS.reorderMaxWaitMs() - 1);
        assertThat(indexes(output())).containsExactly(0L);
        harness.setProcessingTime(1_000 + TrackerConfig.DEFAULTS.reorderMaxWaitMs());
        assertThat(indexes(output())).containsExactly(0L, 2L);
    }

    @Test
    void theReorderBufferIsBounded() throws Exception {
        TrackerConfig small = new TrackerConfig(0.5f, 0.1f, 0.6f, 0.8f, 0.5f, 0.7f, true, 2, 30, 0, true, 10, 32, 3,
                60_000);
        harness = open(small, null);
        send(walker(0));
        for (long i = 2; i <= 4; i++) {
            send(walker(i));
        }
        assertThat(indexes(output())).containsExactly(0L); // 3 held: at the bound
        send(walker(5)); // 4 held > 3: the oldest goes, and the run after it
        assertThat(indexes(output())).containsExactly(0L, 2L, 3L, 4L, 5L);
    }

    @Test
    void aLateFrameIsPassedOnUntrackedNotDropped() throws Exception {
        harness = open(TrackerConfig.DEFAULTS, null);
        for (long i = 0; i < 5; i++) {
            send(walker(i));
        }
        FrameDetections late = walker(2);
        send(late);
        List<FrameDetections> out = output();
        assertThat(indexes(out)).containsExactly(0L, 1L, 2L, 3L, 4L, 2L);
        assertThat(out.get(5).getDetections()).extracting(Detection::getTrackId).containsOnlyNulls();
    }

    @Test
    void aRestoredTrackerContinuesTheSameTrackIds() throws Exception {
        harness = open(TrackerConfig.DEFAULTS, null);
        for (long i = 0; i < 6; i++) {
            send(walker(i));
        }
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();
        assertThat(events()).extracting(TrackEvent::getType).containsExactly("started");

        harness = open(TrackerConfig.DEFAULTS, snapshot);
        for (long i = 6; i < 12; i++) {
            FrameDetections f = i < 8 ? walker(i)
                    : frame("cam", i, personAt(0.9f, 100 + 6 * i, 200), personAt(0.9f, 600, 300));
            send(f);
        }
        List<FrameDetections> out = output();
        assertThat(indexes(out)).containsExactly(6L, 7L, 8L, 9L, 10L, 11L);
        assertThat(out).allSatisfy(f -> assertThat(f.getDetections().get(0).getTrackId()).isEqualTo(1L));
        assertThat(out.get(5).getDetections().get(1).getTrackId()).isEqualTo(2L); // a new object: the next id
        // no second 'started' for track 1 after the restore; the 'updated' every 10 frames continues from frame 1
        assertThat(events()).extracting(e -> e.getType() + " " + e.getTrackId() + "@" + e.getFrameIndex())
                .containsExactly("started 2@9", "updated 1@11");
    }

    @Test
    void theEndOfInputFlushesTheBufferAndEndsOpenTracks() throws Exception {
        harness = open(TrackerConfig.DEFAULTS, null);
        send(frame("a", 0, personAt(0.9f, 10, 10)));
        send(frame("a", 1, personAt(0.9f, 12, 10)));
        send(frame("b", 0, personAt(0.9f, 300, 10)));
        send(frame("b", 1, personAt(0.9f, 302, 10)));
        send(frame("b", 3, personAt(0.9f, 306, 10)));
        harness.processWatermark(Long.MAX_VALUE);
        assertThat(output()).extracting(f -> f.getCameraId() + f.getFrameIndex())
                .containsExactlyInAnyOrder("a0", "a1", "b0", "b1", "b3");
        assertThat(events()).filteredOn(e -> e.getType().equals("ended"))
                .extracting(e -> e.getCameraId() + "#" + e.getTrackId() + " " + e.getEndReason())
                .containsExactlyInAnyOrder("a#1 end-of-stream", "b#1 end-of-stream"); // ids are per camera
    }

    @Test
    void stateTypesAreFlinkPojosNotKryo() {
        for (Class<?> c : List.of(TrackState.class, CameraTrackerState.class, PendingFrame.class)) {
            TypeInformation<?> t = TypeInformation.of(c);
            assertThat(t).as(c.getSimpleName()).isInstanceOf(PojoTypeInfo.class);
        }
        assertThat(Objects.requireNonNull(TrackerConfig.DEFAULTS)).isNotNull();
    }
}

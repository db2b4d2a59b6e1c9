package io.flinkvision.tracking.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LineZoneAnalytics} in Flink's keyed operator harness: a horizontal line at y = 300 from x = 0 to 400 and a
 * zone [100, 200] x [100, 200], 1 s windows, frames every 100 ms; tracked detections are hand-placed 20x40 boxes whose
 * bottom-center anchor is the given point.
 */
class LineZoneAnalyticsTest {
    private static final String YAML = """
            windowMs: 1000
            trackTimeoutMs: 500
            cameras:
              cam:
                lines:
                  - {id: door, from: [0, 300], to: [400, 300], labels: [person]}
                zones:
                  - {id: desk, polygon: [[100, 100], [200, 100], [200, 200], [100, 200]]}
            """;
    private KeyedOneInputStreamOperatorTestHarness<String, FrameDetections, AnalyticsWindow> harness;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private void open() throws Exception {
        AnalyticsConfig c = AnalyticsConfig.parse(new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)),
                true);
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new LineZoneAnalytics(c)),
                FrameDetections::getCameraId, Types.STRING);
        harness.open();
    }

    /** A frame at 100 ms * index with tracked people whose anchors are (x, y) pairs: {id, x, y, id, x, y...}. */
    private void frame(long index, float... idXy) throws Exception {
        FrameDetections f = new FrameDetections();
        f.setCameraId("cam");
        f.setFrameIndex(index);
        f.setCaptureTimestampMs(100 * index);
        List<Detection> dets = new ArrayList<>();
        for (int i = 0; i < idXy.length; i += 3) {
            float x = idXy[i + 1];
            float y = idXy[i + 2];
            Detection d = new Detection(0, "person", 0.9f, new BoundingBox(x - 10, y - 40, x + 10, y));
            d.setTrackId((long) idXy[i]);
            dets.add(d);
        }
        f.setDetections(dets);
        harness.processElement(new StreamRecord<>(f, f.getCaptureTimestampMs()));
    }

    private List<AnalyticsWindow> windows() {
        List<AnalyticsWindow> out = new ArrayList<>();
        for (Object o : harness.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add((AnalyticsWindow) r.getValue());
            }
        }
        return out;
    }

    @Test
    void crossingsAreCountedByDirection() throws Exception {
        open();
        // track 1 walks down across the line (left of the rightward line is above: leftToRight), track 2 walks up
        for (int i = 0; i < 8; i++) {
            frame(i, 1, 50, 270 + 10 * i, 2, 300, 330 - 10 * i);
        }
        // track 3 passes beyond the segment's end (x = 450 > 400): no crossing
        frame(8, 3, 450, 280);
        frame(9, 3, 450, 320);
        harness.processWatermark(999);
        assertThat(windows()).singleElement().satisfies(w -> {
            assertThat(w.getWindowStartMs()).isZero();
            assertThat(w.getWindowEndMs()).isEqualTo(1000);
            assertThat(w.getFrames()).isEqualTo(10);
            assertThat(w.getLines()).singleElement().satisfies(l -> {
                assertThat(l.getId()).isEqualTo("door");
                assertThat(l.getLeftToRight()).isEqualTo(1);
                assertThat(l.getRightToLeft()).isEqualTo(1);
            });
        });
    }

    @Test
    void jitterOnTheLineCountsEachRealCrossingOnce() throws Exception {
        open();
        float[] ys = {290, 300, 300, 310, 310, 295, 305}; // down (via the line), back up, down again
        for (int i = 0; i < ys.length; i++) {
            frame(i, 1, 50, ys[i]);
        }
        harness.processWatermark(999);
        assertThat(windows().get(0).getLines().get(0).getLeftToRight()).isEqualTo(2);
        assertThat(windows().get(0).getLines().get(0).getRightToLeft()).isEqualTo(1);
    }

    @Test
    void zoneOccupancyAndDwell() throws Exception {
        open();
        // track 1 inside from frame 2 (t=200) to frame 6 (t=600), seen outside at frame 7 (t=700): dwell 500 ms
        // track 2 inside at frames 4..5, then never seen again: leaves 500 ms after t=500, dwell 100 ms
        for (int i = 0; i < 12; i++) {
            List<Float> a = new ArrayList<>();
            float x1 = i >= 2 && i < 7 ? 150 : 50;
            a.add(1f); a.add(x1); a.add(150f);
            if (i == 4 || i == 5) {
                a.add(2f); a.add(120f); a.add(180f);
            }
            float[] arr = new float[a.size()];
            for (int k = 0; k < arr.length; k++) {
                arr[k] = a.get(k);
            }
            frame(i, arr);
        }
        harness.processWatermark(1999);
        List<AnalyticsWindow> w = windows();
        assertThat(w).hasSize(2);
        AnalyticsWindow.ZoneCount first = w.get(0).getZones().get(0);
        assertThat(first.getEntered()).isEqualTo(2);
        assertThat(first.getExited()).isEqualTo(1);
        assertThat(first.getOccupancyMax()).isEqualTo(2);
        assertThat(first.getOccupancyMean()).isEqualTo((5 + 2) / 10.0);
        assertThat(first.getDwellMaxMs()).isEqualTo(500);
        AnalyticsWindow.ZoneCount second = w.get(1).getZones().get(0);
        assertThat(second.getExited()).isEqualTo(1); // track 2 timed out at t=1100 (> 500 ms after 500)
        assertThat(second.getDwellMaxMs()).isEqualTo(100);
        assertThat(second.getOccupancyMax()).isZero();
    }

    @Test
    void windowsAreEmittedWhenTheWatermarkPassesAndAtTheEndOfInput() throws Exception {
        open();
        frame(0, 1, 150, 150);
        frame(15, 1, 150, 150);
        harness.processWatermark(998);
        assertThat(windows()).isEmpty();
        harness.processWatermark(999);
        assertThat(windows()).hasSize(1);
        frame(3, 1, 150, 150); // late: its window is out; not counted, not an error
        harness.processWatermark(Long.MAX_VALUE);
        assertThat(windows()).hasSize(2);
        AnalyticsWindow last = windows().get(1);
        assertThat(last.getWindowStartMs()).isEqualTo(1000);
        assertThat(last.getFrames()).isEqualTo(1);
        assertThat(last.getZones().get(0).getExited()).isEqualTo(1); // still inside at the end: leaves there
        assertThat(windows().get(0).getFrames()).isEqualTo(1);
    }

    @Test
    void badConfigsAreRejectedWithTheField() {
        assertThatThrownBy(() -> AnalyticsConfig.parse(new ByteArrayInputStream(
                "{\"cameras\":{\"c\":{\"lines\":[{\"id\":\"a\",\"from\":[0,0],\"to\":[0,0]}]}}}".getBytes()), false))
                .hasMessageContaining("line a: from and to must differ");
        assertThatThrownBy(() -> AnalyticsConfig.parse(new ByteArrayInputStream(
                "{\"cameras\":{\"c\":{\"zones\":[{\"id\":\"z\",\"polygon\":[[0,0],[1,1]]}]}}}".getBytes()), false))
                .hasMessageContaining("at least 3 points");
        assertThatThrownBy(() -> AnalyticsConfig.parse(new ByteArrayInputStream("{\"windowMs\":0}".getBytes()),
                false)).hasMessageContaining("windowMs");
        assertThatThrownBy(() -> AnalyticsConfig.parse(new ByteArrayInputStream("{\"windowMS\":5}".getBytes()),
                false)).hasMessageContaining("windowMS"); // unknown field: a typo is not ignored
    }

    @Test
    void theWildcardCameraAppliesToOthers() throws Exception {
        AnalyticsConfig c = AnalyticsConfig.parse(new ByteArrayInputStream(
                "{\"cameras\":{\"*\":{\"lines\":[{\"id\":\"a\",\"from\":[0,0],\"to\":[5,0]}]},\"x\":{}}}".getBytes()),
                false);
        assertThat(c.regionsFor("any").getLines()).hasSize(1);
        assertThat(c.regionsFor("x").isEmpty()).isTrue();
    }

    @Test
    void sideOfADirectedLineAsSeenOnTheImage() {
        float[] a = {0, 0};
        float[] b = {10, 0}; // pointing right: below (y > 0) is its right-hand side
        assertThat(Geometry.side(a, b, 5, 3)).isEqualTo(1);
        assertThat(Geometry.side(a, b, 5, -3)).isEqualTo(-1);
        assertThat(Geometry.side(a, b, 5, 0)).isZero();
        assertThat(Geometry.side(b, a, 5, 3)).isEqualTo(-1);
    }
}

package io.flinkvision.jobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.LatencyBreakdown;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Matching of frames with detection records, counters, frames/s, latency percentiles and the label series. */
class DashboardStateTest {
    private static final long T0 = 1_700_000_000_000L;

    static FrameDetections record(String camera, long index, long captureMs, long emitMs, String... labels) {
        FrameDetections r = new FrameDetections();
        r.setCameraId(camera);
        r.setFrameIndex(index);
        r.setCaptureTimestampMs(captureMs);
        r.setEmitTimestampMs(emitMs);
        r.setImageWidth(768);
        r.setImageHeight(576);
        r.setBackend("onnxruntime");
        r.setPrecision("fp32");
        r.setModel("yolox_nano_dyn.onnx");
        r.setBatchSize(4);
        r.setLatencyMs(new LatencyBreakdown(5, 20, 30));
        List<Detection> ds = new ArrayList<>();
        for (String l : labels) {
            ds.add(new Detection(l.equals("person") ? 0 : 2, l, 0.8f, new BoundingBox(10, 20, 110, 220)));
        }
        r.setDetections(ds);
        return r;
    }

    static Frame frame(String camera, long index, byte[] jpeg) {
        return new Frame(camera, index, T0 + index * 100, FrameEncoding.JPEG, jpeg);
    }

    @Test
    void matchesFrameAndRecordInEitherOrder() {
        DashboardState s = new DashboardState(1 << 20, "detections", "frames");
        byte[] jpeg0 = {1, 2, 3};
        byte[] jpeg1 = {4, 5, 6};
        s.onFrame(frame("cam", 0, jpeg0), T0);
        s.onDetections(record("cam", 0, T0, T0 + 50, "person"), T0 + 60);
        DashboardState.CameraSnapshot c = s.snapshot(T0 + 100).cameras().get(0);
        assertThat(c.frame().frameIndex()).isEqualTo(0);
        assertThat(c.frame().imageUrl()).isEqualTo("api/frame?camera=cam&index=0");
        assertThat(s.image("cam", 0).bytes()).isEqualTo(jpeg0);

        // The record first, its frame afterwards: shown once the frame arrives.
        s.onDetections(record("cam", 1, T0 + 100, T0 + 150, "car", "car"), T0 + 160);
        assertThat(s.snapshot(T0 + 170).cameras().get(0).frame().frameIndex()).isEqualTo(0);
        s.onFrame(frame("cam", 1, jpeg1), T0 + 180);
        c = s.snapshot(T0 + 190).cameras().get(0);
        assertThat(c.frame().frameIndex()).isEqualTo(1);
        assertThat(c.frame().boxes()).hasSize(2);
        assertThat(s.image("cam", 1).contentType()).isEqualTo("image/jpeg");
        assertThat(c.framesTotal()).isEqualTo(2);
        assertThat(c.detectionsTotal()).isEqualTo(3);
        assertThat(c.framesReceived()).isEqualTo(2);
    }

    @Test
    void showsTheNewestRecordWithoutImageWhenFramesStopArriving() {
        DashboardState s = new DashboardState(1 << 20, "detections", "frames");
        s.onFrame(frame("cam", 0, new byte[] {1}), T0);
        s.onDetections(record("cam", 0, T0, T0 + 50, "person"), T0);
        s.onDetections(record("cam", 7, T0 + 700, T0 + 750, "car"), T0 + DashboardState.MATCH_STALE_MS + 1);
        DashboardState.ShownFrame f = s.snapshot(T0).cameras().get(0).frame();
        assertThat(f.frameIndex()).isEqualTo(7);
        assertThat(f.imageUrl()).isNull();
    }

    @Test
    void framesPerSecondAndLatencyPercentiles() {
        DashboardState s = new DashboardState(1 << 20, "detections", "frames");
        // 101 records, 10 per second of emit time; end-to-end 100..200 ms.
        for (int i = 0; i <= 100; i++) {
            long capture = T0 + i * 100L;
            s.onDetections(record("cam", i, capture, capture + 100 + i), T0 + i * 100L);
        }
        DashboardState.CameraSnapshot c = s.snapshot(T0 + 10_000).cameras().get(0);
        assertThat(c.fps()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(0.2));
        assertThat(c.latency().samples()).isEqualTo(101);
        assertThat(c.latency().endToEndP50()).isEqualTo(150.0);
        assertThat(c.latency().endToEndP99()).isEqualTo(199.0);
        assertThat(c.latency().operatorP50()).isEqualTo(30.0);

        // no record for longer than DEFAULT_STALLED_AFTER_MS of wall clock: the last rate is not shown as live
        assertThat(c.stale()).isFalse();
        DashboardState.CameraSnapshot later =
                s.snapshot(T0 + 10_000 + DashboardState.DEFAULT_STALLED_AFTER_MS + 1).cameras().get(0);
        assertThat(later.stale()).isTrue();
        assertThat(later.fps()).isNull();

        DashboardState one = new DashboardState(1 << 20, "detections", "frames");
        one.onDetections(record("cam", 0, T0, T0 + 10), T0);
        assertThat(one.snapshot(T0).cameras().get(0).fps()).isNull();
    }

    @Test
    void latencyWindowKeepsTheLastMinuteOfEmitTime() {
        DashboardState s = new DashboardState(1 << 20, "detections", "frames");
        s.onDetections(record("cam", 0, T0, T0 + 5_000), T0);
        s.onDetections(record("cam", 1, T0 + 70_000, T0 + 70_010), T0 + 70_000);
        DashboardState.Latency l = s.snapshot(T0 + 70_000).cameras().get(0).latency();
        assertThat(l.samples()).isEqualTo(1);
        assertThat(l.endToEndP99()).isEqualTo(10.0);
    }

    @Test
    void labelSeriesIsObjectsPerFramePerSecond() {
        DashboardState s = new DashboardState(1 << 20, "detections", "frames");
        long base = (T0 / 1000) * 1000;
        s.onDetections(record("cam", 0, base + 100, base + 150, "person", "person", "car"), base);
        s.onDetections(record("cam", 1, base + 600, base + 650, "person"), base);
        s.onDetections(record("cam", 2, base + 2_100, base + 2_150, "car"), base);
        DashboardState.Series series = s.snapshot(base).cameras().get(0).labelSeries();
        assertThat(series.startMs()).isEqualTo(base);
        assertThat(series.frames()).containsExactly(2, 0, 1);
        assertThat(series.labels()).extracting(DashboardState.LabelSeries::label).containsExactly("person", "car");
        assertThat(series.labels().get(0).values()).containsExactly(1.5, null, 0.0);
        assertThat(series.labels().get(1).values()).containsExactly(0.5, null, 1.0);
        assertThat(series.labels().get(1).classId()).isEqualTo(2);
    }

    @Test
    void errorRecordsAreCountedNotShown() {
        DashboardState s = new DashboardState(1 << 20, "detections", "frames");
        FrameDetections err = record("cam", 3, T0, T0 + 10);
        err.setStatus(FrameDetections.STATUS_ERROR);
        err.setError(new FrameDetections.ErrorInfo("timeout", "inference timed out"));
        s.onDetections(err, T0);
        DashboardState.CameraSnapshot c = s.snapshot(T0).cameras().get(0);
        assertThat(c.errorsTotal()).isEqualTo(1);
        assertThat(c.lastError()).isEqualTo("timeout");
        assertThat(c.frame()).isNull();
    }

    @Test
    void frameCacheIsBoundedByBytes() {
        DashboardState s = new DashboardState(10, "detections", "frames");
        for (int i = 0; i < 5; i++) {
            s.onFrame(frame("cam", i, new byte[4]), T0);
        }
        assertThat(s.snapshot(T0).cachedFrameBytes()).isLessThanOrEqualTo(10);
        assertThat(s.image("cam", 0)).isNull();
        assertThat(s.image("cam", 4)).isNotNull();
        assertThatThrownBy(() -> new DashboardState(0, "d", "f")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rawBgrFramesAreReEncodedAsJpegAndInvalidFramesCounted() throws Exception {
        DashboardState s = new DashboardState(1 << 20, "detections", "frames");
        Frame raw = new Frame("cam", 0, T0, FrameEncoding.RAW_BGR, new byte[4 * 2 * 3]);
        raw.setWidth(4);
        raw.setHeight(2);
        s.onFrame(raw, T0);
        DashboardState.FrameImage image = s.image("cam", 0);
        assertThat(image.contentType()).isEqualTo("image/jpeg");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(image.bytes()));
        assertThat(decoded.getWidth()).isEqualTo(4);
        Frame bad = new Frame();
        bad.markInvalid("missing-header", "no key");
        s.onFrame(bad, T0);
        assertThat(s.snapshot(T0).invalidFrameRecords()).isEqualTo(1);
    }

    @Test
    void percentileIsNearestRank() {
        assertThat(DashboardState.percentile(new double[] {}, 0.5)).isNull();
        assertThat(DashboardState.percentile(new double[] {3, 1, 2}, 0.5)).isEqualTo(2.0);
        assertThat(DashboardState.percentile(new double[] {1, 2, 3, 4}, 0.99)).isEqualTo(4.0);
        assertThat(DashboardState.percentile(new double[] {7}, 0.01)).isEqualTo(7.0);
    }
}

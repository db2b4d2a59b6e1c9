package io.flinkvision.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.DeadLetter;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.detection.LatencyBreakdown;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.Precision;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.FrameHeader;
import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.OutputLayout;
import io.flinkvision.testing.TestFixtures;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link OutcomeFactory}: every outcome a frame can end as carries the frame's identity (camera id, frame index,
 * capture time), a dead letter also the original record and its source coordinates, and records name the engine.
 */
class OutcomeFactoryTest {
    private static final EngineInfo ENGINE = new EngineInfo("yolox_nano.onnx", "ab12", Backend.TENSORRT,
            Precision.FP16, "cuda:0", ElementType.UINT8, 3, 416, 416, 3549, 85, 8, 2, OutputLayout.raw(80));

    private static Frame frame() {
        Frame f = new Frame("cam-7", 4242L, 1_700_000_000_123L, FrameEncoding.JPEG,
                TestFixtures.bytes("messi5.jpg"));
        f.setKey("cam-7".getBytes(StandardCharsets.UTF_8));
        f.setHeaders(new FrameHeader[] {new FrameHeader("encoding", "jpeg".getBytes(StandardCharsets.UTF_8))});
        f.setSourceTopic("frames");
        f.setSourcePartition(3);
        f.setSourceOffset(99_001L);
        return f;
    }

    @Test
    void aDetectionRecordCarriesTheFrameIdentityAndTheEngine() {
        Frame f = frame();
        Detection person = new Detection(0, "person", 0.91f, new BoundingBox(10, 20, 110, 220));
        LatencyBreakdown latency = new LatencyBreakdown(1.5, 2.25, 5.0);
        long before = System.currentTimeMillis();

        InferenceOutcome o = new OutcomeFactory(ENGINE).detections(f, 640, 480, List.of(person), 6, latency);

        assertThat(o.isDeadLetter()).isFalse();
        FrameDetections d = o.getDetections();
        assertThat(d.getCameraId()).isEqualTo("cam-7");
        assertThat(d.getFrameIndex()).isEqualTo(4242L);
        assertThat(d.getCaptureTimestampMs()).isEqualTo(1_700_000_000_123L);
        assertThat(d.getImageWidth()).isEqualTo(640);
        assertThat(d.getImageHeight()).isEqualTo(480);
        assertThat(d.getDetections()).containsExactly(person);
        assertThat(d.getBatchSize()).isEqualTo(6);
        assertThat(d.getLatencyMs()).isSameAs(latency);
        assertThat(d.getModel()).isEqualTo("yolox_nano.onnx");
        assertThat(d.getBackend()).isEqualTo("tensorrt");
        assertThat(d.getPrecision()).isEqualTo("fp16");
        assertThat(d.getStatus()).isNotEqualTo(FrameDetections.STATUS_ERROR);
        assertThat(d.getEmitTimestampMs()).isBetween(before, System.currentTimeMillis());
    }

    @Test
    void aDeadLetterCarriesTheFrameIdentityTheOriginalRecordAndItsSourceCoordinates() {
        Frame f = frame();

        InferenceOutcome o = OutcomeFactory.deadLetter(f, DeadLetterReason.DECODE_FAILED.code(), "corrupt JPEG");

        assertThat(o.isDeadLetter()).isTrue();
        DeadLetter dl = o.getDeadLetter();
        assertThat(dl.getCameraId()).isEqualTo("cam-7");
        assertThat(dl.getFrameIndex()).isEqualTo(4242L);
        assertThat(dl.getCaptureTimestampMs()).isEqualTo(1_700_000_000_123L);
        assertThat(dl.getReason()).isEqualTo("decode-failed");
        assertThat(dl.getMessage()).isEqualTo("corrupt JPEG");
        assertThat(dl.getOriginalKey()).isEqualTo(f.getKey());
        assertThat(dl.getOriginalValue()).isEqualTo(TestFixtures.bytes("messi5.jpg"));
        assertThat(dl.getOriginalHeaders()).hasSize(1).isNotSameAs(f.getHeaders());
        assertThat(dl.getOriginalHeaders()[0].getKey()).isEqualTo("encoding");
        assertThat(dl.getSourceTopic()).isEqualTo("frames");
        assertThat(dl.getSourcePartition()).isEqualTo(3);
        assertThat(dl.getSourceOffset()).isEqualTo(99_001L);
    }

    @Test
    void aDeadLetterOfAFrameWithoutHeadersHasNone() {
        Frame f = frame();
        f.setHeaders(null);
        assertThat(OutcomeFactory.deadLetter(f, "file-unreadable", "gone").getDeadLetter().getOriginalHeaders())
                .isEmpty();
    }

    @Test
    void aTimeoutIsAnErrorRecordOrADeadLetterWithTheFrameIdentity() {
        Frame f = frame();

        FrameDetections record = new OutcomeFactory(ENGINE).timeoutRecord(f).getDetections();
        assertThat(record.getCameraId()).isEqualTo("cam-7");
        assertThat(record.getFrameIndex()).isEqualTo(4242L);
        assertThat(record.getCaptureTimestampMs()).isEqualTo(1_700_000_000_123L);
        assertThat(record.getStatus()).isEqualTo(FrameDetections.STATUS_ERROR);
        assertThat(record.getError().getReason()).isEqualTo("inference-timeout");
        assertThat(record.getError().getMessage()).isEqualTo(OutcomeFactory.TIMEOUT_MESSAGE);
        assertThat(record.getModel()).isEqualTo("yolox_nano.onnx");
        assertThat(record.getBackend()).isEqualTo("tensorrt");
        assertThat(record.getPrecision()).isEqualTo("fp16");

        DeadLetter dl = OutcomeFactory.timeoutDeadLetter(f).getDeadLetter();
        assertThat(dl.getCameraId()).isEqualTo("cam-7");
        assertThat(dl.getFrameIndex()).isEqualTo(4242L);
        assertThat(dl.getCaptureTimestampMs()).isEqualTo(1_700_000_000_123L);
        assertThat(dl.getReason()).isEqualTo("inference-timeout");
        assertThat(dl.getMessage()).isEqualTo(OutcomeFactory.TIMEOUT_MESSAGE);
        assertThat(dl.getSourceTopic()).isEqualTo("frames");
        assertThat(dl.getSourcePartition()).isEqualTo(3);
        assertThat(dl.getSourceOffset()).isEqualTo(99_001L);
    }

    @Test
    void aTimeoutRecordBeforeTheEngineIsOpenNamesNoEngine() {
        FrameDetections record = new OutcomeFactory(null).timeoutRecord(frame()).getDetections();
        assertThat(record.getCameraId()).isEqualTo("cam-7");
        assertThat(record.getModel()).isNull();
        assertThat(record.getBackend()).isNull();
        assertThat(record.getPrecision()).isNull();
    }
}

package io.flinkvision.jobs.dashboard;

import static io.flinkvision.jobs.dashboard.DashboardStateTest.frame;
import static io.flinkvision.jobs.dashboard.DashboardStateTest.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.detection.DeadLetter;
import io.flinkvision.flink.kafka.DeadLetterSerializationSchema;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.FrameHeader;
import io.flinkvision.frame.FrameSerde;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * The wall-of-cameras logic of {@link DashboardState}: camera states by an injected wall clock (the arrival and
 * snapshot times passed in), the order of the cards, pipeline totals and the dead-letter panel, with dead letters as
 * {@link DeadLetterSerializationSchema} writes them.
 */
class DashboardWallStateTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long STALLED = 10_000;
    private static final long OFFLINE = 60_000;

    private static DashboardState state() {
        return new DashboardState(1 << 20, "detections", "frames", "frames-dlq", STALLED, OFFLINE);
    }

    private static Map<String, String> states(DashboardState.Snapshot s) {
        return s.cameras().stream().collect(Collectors.toMap(DashboardState.CameraSnapshot::cameraId,
                DashboardState.CameraSnapshot::state));
    }

    private static List<String> order(DashboardState.Snapshot s) {
        return s.cameras().stream().map(DashboardState.CameraSnapshot::cameraId).collect(Collectors.toList());
    }

    @Test
    void cameraStateFollowsTheWallClock() {
        DashboardState s = state();
        s.onDetections(record("cam", 0, T0, T0 + 10, "person"), T0);
        assertThat(states(s.snapshot(T0 + STALLED))).containsEntry("cam", DashboardState.LIVE);
        DashboardState.CameraSnapshot stalled = s.snapshot(T0 + STALLED + 1).cameras().get(0);
        assertThat(stalled.state()).isEqualTo(DashboardState.STALLED);
        assertThat(stalled.stale()).isTrue();
        assertThat(stalled.fps()).isNull();

        // Frames still arrive (the detections stall, not the camera): stalled, never offline.
        s.onFrame(frame("cam", 1, new byte[] {1}), T0 + OFFLINE);
        assertThat(states(s.snapshot(T0 + OFFLINE + 1))).containsEntry("cam", DashboardState.STALLED);
        assertThat(states(s.snapshot(T0 + 2 * OFFLINE))).containsEntry("cam", DashboardState.STALLED);
        // Nothing at all for longer than OFFLINE: offline.
        DashboardState.CameraSnapshot offline = s.snapshot(T0 + 2 * OFFLINE + 1).cameras().get(0);
        assertThat(offline.state()).isEqualTo(DashboardState.OFFLINE);
        assertThat(offline.lastActivityAgeMs()).isEqualTo(OFFLINE + 1);
        assertThat(offline.lastRecordAgeMs()).isEqualTo(2 * OFFLINE + 1);

        // A record again: live.
        s.onDetections(record("cam", 2, T0, T0 + 10), T0 + 3 * OFFLINE);
        assertThat(states(s.snapshot(T0 + 3 * OFFLINE))).containsEntry("cam", DashboardState.LIVE);
    }

    @Test
    void keysWithoutDetectionRecordsAreNoRecordsNeverLive() {
        DashboardState s = state();
        s.onFrame(frame("bad-1", 0, new byte[] {1}), T0);
        s.onDeadLetter(deadLetter("bad-2", 3L, "decode-failed", T0), T0);
        DashboardState.Snapshot snap = s.snapshot(T0 + 1);
        assertThat(states(snap)).containsEntry("bad-1", DashboardState.NO_RECORDS)
                .containsEntry("bad-2", DashboardState.NO_RECORDS);
        assertThat(states(s.snapshot(T0 + 10 * OFFLINE)).values()).containsOnly(DashboardState.NO_RECORDS);
        assertThat(snap.totals().noRecords()).isEqualTo(2);
        assertThat(snap.totals().live()).isZero();
    }

    @Test
    void liveCamerasFirstThenStalledAndOfflineMostRecentFirstThenKeysWithoutRecords() {
        DashboardState s = state();
        long now = T0 + 2 * OFFLINE;
        // Names chosen so that the name order is not the expected order.
        s.onFrame(frame("a-bad", 0, new byte[] {1}), now - 1_000);                   // no detection record
        s.onDeadLetter(deadLetter("a-bad", 0L, "decode-failed", now - 1_000), now - 1_000);
        s.onDetections(record("b-offline", 0, T0, T0 + 10), now - OFFLINE - 5_000);  // offline
        s.onDetections(record("c-stalled-long", 0, T0, T0 + 10), now - STALLED - 20_000);
        s.onDetections(record("d-stalled", 0, T0, T0 + 10), now - STALLED - 2_000);  // more recently active
        s.onDetections(record("z-live", 0, T0, T0 + 10), now - 100);
        s.onDetections(record("e-live", 0, T0, T0 + 10), now - 5_000);
        s.onDetections(record("m-live", 0, T0, T0 + 10), now);
        DashboardState.Snapshot snap = s.snapshot(now);
        assertThat(order(snap)).containsExactly("e-live", "m-live", "z-live", "d-stalled", "c-stalled-long",
                "b-offline", "a-bad");
        assertThat(states(snap)).containsEntry("e-live", DashboardState.LIVE)
                .containsEntry("d-stalled", DashboardState.STALLED)
                .containsEntry("c-stalled-long", DashboardState.STALLED)
                .containsEntry("b-offline", DashboardState.OFFLINE)
                .containsEntry("a-bad", DashboardState.NO_RECORDS);
        DashboardState.Totals t = snap.totals();
        assertThat(List.of(t.live(), t.stalled(), t.offline(), t.noRecords())).containsExactly(3, 2, 1, 1);
    }

    @Test
    void totalsCountFramesRecordsErrorsAndDeadLettersAndSumLiveFramesPerSecond() {
        DashboardState s = state();
        for (int i = 0; i <= 10; i++) { // 10 records/s of emit time on each camera
            s.onFrame(frame("cam-a", i, new byte[] {1}), T0 + i * 100L);
            s.onDetections(record("cam-a", i, T0 + i * 100L, T0 + i * 100L + 5, "person"), T0 + i * 100L);
            s.onDetections(record("cam-b", i, T0 + i * 100L, T0 + i * 100L + 5), T0 + i * 100L);
        }
        var err = record("cam-b", 99, T0, T0 + 10);
        err.setStatus(io.flinkvision.detection.FrameDetections.STATUS_ERROR);
        err.setError(new io.flinkvision.detection.FrameDetections.ErrorInfo("inference-timeout", "timed out"));
        s.onDetections(err, T0 + 1_000);
        Frame invalid = new Frame();
        invalid.markInvalid("missing-header", "no key");
        s.onFrame(invalid, T0 + 1_000);
        s.onDeadLetter(deadLetter(null, null, "missing-header", T0 + 1_000), T0 + 1_000);
        DashboardState.Totals t = s.snapshot(T0 + 1_000).totals();
        assertThat(t.framesRead()).isEqualTo(12);
        assertThat(t.invalidFrames()).isEqualTo(1);
        assertThat(t.detectionRecords()).isEqualTo(23);
        assertThat(t.errorRecords()).isEqualTo(1);
        assertThat(t.deadLetters()).isEqualTo(1);
        assertThat(t.framesPerSecond()).isCloseTo(20.0, org.assertj.core.data.Offset.offset(0.5));
        // a dead letter without a key is counted, but makes no camera
        assertThat(order(s.snapshot(T0 + 1_000))).containsExactly("cam-a", "cam-b");
        // stalled cameras add no frames/s
        assertThat(s.snapshot(T0 + 1_000 + STALLED + 1).totals().framesPerSecond()).isNull();
    }

    @Test
    void deadLettersAreCountedPerReasonAndTheNewestListedFirst() {
        DashboardState s = state();
        for (int i = 0; i < 25; i++) {
            String reason = i % 5 == 0 ? "payload-too-large" : "decode-failed";
            s.onDeadLetter(deadLetter("bad-" + (i % 3), (long) i, reason, T0 + i), T0 + i);
        }
        s.onDeadLetter(deadLetter("bad-0", 100L, "missing-header", T0 + 100), T0 + 100);
        DashboardState.Snapshot snap = s.snapshot(T0 + 200);
        DashboardState.DeadLetters dl = snap.deadLetters();
        assertThat(dl.topic()).isEqualTo("frames-dlq");
        assertThat(dl.total()).isEqualTo(26);
        assertThat(dl.byReason()).extracting(DashboardState.ReasonCount::reason, DashboardState.ReasonCount::count)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("decode-failed", 20L),
                        org.assertj.core.groups.Tuple.tuple("payload-too-large", 5L),
                        org.assertj.core.groups.Tuple.tuple("missing-header", 1L));
        assertThat(dl.byReason().get(0).lastAtMs()).isEqualTo(T0 + 24);
        assertThat(dl.recent()).hasSize(DashboardState.RECENT_DEAD_LETTERS);
        assertThat(dl.recent().get(0).frameIndex()).isEqualTo(100L);
        assertThat(dl.recent().get(1).frameIndex()).isEqualTo(24L);
        assertThat(dl.recent().get(DashboardState.RECENT_DEAD_LETTERS - 1).frameIndex()).isEqualTo(6L);
        DashboardState.CameraSnapshot bad0 = snap.cameras().stream().filter(c -> c.cameraId().equals("bad-0"))
                .findFirst().orElseThrow();
        assertThat(bad0.deadLettersTotal()).isEqualTo(10); // i = 0, 3, ..., 24 and the missing-header one
        assertThat(bad0.lastDeadLetterReason()).isEqualTo("missing-header");

        String metrics = DashboardMetrics.render(snap);
        assertThat(metrics).contains(
                "flinkvision_dashboard_dead_letters_total{topic=\"frames-dlq\",reason=\"decode-failed\"} 20\n",
                "flinkvision_dashboard_dead_letters_total{topic=\"frames-dlq\",reason=\"missing-header\"} 1\n",
                "flinkvision_dashboard_cameras{state=\"no-records\"} 3\n");

        // the topic is shown absent until the consumer finds it
        assertThat(dl.topicPresent()).isFalse();
        s.deadLetterTopicPresent(true);
        assertThat(s.snapshot(T0).deadLetters().topicPresent()).isTrue();
    }

    @Test
    void deadLetterRecordReadsWhatTheJobsSerializerWrites() {
        Frame f = new Frame("bad-cam", 42, T0, FrameEncoding.JPEG, new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2});
        ProducerRecord<byte[], byte[]> frameRecord = FrameSerde.toRecord("frames", f);
        DeadLetter dl = new DeadLetter();
        dl.setCameraId("bad-cam");
        dl.setFrameIndex(42);
        dl.setCaptureTimestampMs(T0);
        dl.setReason(DeadLetterReason.DECODE_FAILED.code());
        dl.setMessage("x".repeat(1_000));
        dl.setOriginalKey(frameRecord.key());
        dl.setOriginalValue(frameRecord.value());
        FrameHeader[] headers = new FrameHeader[frameRecord.headers().toArray().length];
        int i = 0;
        for (Header h : frameRecord.headers()) {
            headers[i++] = new FrameHeader(h.key(), h.value());
        }
        dl.setOriginalHeaders(headers);
        dl.setSourceTopic("frames");
        dl.setSourcePartition(1);
        dl.setSourceOffset(1234);
        long before = System.currentTimeMillis();
        DeadLetterRecord r = DeadLetterRecord.fromRecord(consumed(
                new DeadLetterSerializationSchema("frames-dlq").serialize(dl, null, null)));
        assertThat(r.cameraId()).isEqualTo("bad-cam");
        assertThat(r.frameIndex()).isEqualTo(42L);
        assertThat(r.reason()).isEqualTo("decode-failed");
        assertThat(r.message()).hasSize(DeadLetterRecord.MAX_MESSAGE_CHARS).endsWith("...");
        assertThat(r.sourceTopic()).isEqualTo("frames");
        assertThat(r.sourcePartition()).isEqualTo(1);
        assertThat(r.sourceOffset()).isEqualTo(1234);
        assertThat(r.deadLetteredAtMs()).isGreaterThanOrEqualTo(before);
        assertThat(r.truncated()).isFalse();

        // No key, no headers, no dlq.* headers: still a dead letter, of an unknown reason.
        DeadLetterRecord bare = DeadLetterRecord.fromRecord(new ConsumerRecord<>("frames-dlq", 0, 7, T0,
                TimestampType.CREATE_TIME, 0, 0, null, new byte[] {1}, new org.apache.kafka.common.header.internals
                        .RecordHeaders(), Optional.empty()));
        assertThat(bare.cameraId()).isNull();
        assertThat(bare.frameIndex()).isNull();
        assertThat(bare.reason()).isEqualTo(DeadLetterRecord.UNKNOWN_REASON);
        assertThat(bare.sourcePartition()).isEqualTo(-1);
        assertThat(bare.deadLetteredAtMs()).isEqualTo(T0);
    }

    @Test
    void thresholdsAreChecked() {
        assertThatThrownBy(() -> new DashboardState(1, "d", "f", null, 0, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DashboardState(1, "d", "f", null, 10, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DetectionsDashboard.builder().bootstrapServers("127.0.0.1:1")
                .deadLetterTopic("frames").start()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dead-letter topic");
        assertThatThrownBy(() -> DetectionsDashboard.builder().bootstrapServers("127.0.0.1:1")
                .stalledAfter(java.time.Duration.ofSeconds(60)).offlineAfter(java.time.Duration.ofSeconds(30))
                .start()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stalledAfter");
    }

    /** A dead letter as the consumer gets it from the topic: the real serializer's record. */
    static DeadLetterRecord deadLetter(String camera, Long frameIndex, String reason, long atMs) {
        DeadLetter dl = new DeadLetter();
        dl.setCameraId(camera);
        dl.setReason(reason);
        dl.setMessage("test " + reason);
        dl.setOriginalKey(camera == null ? null : camera.getBytes(StandardCharsets.UTF_8));
        dl.setOriginalValue(new byte[] {1, 2, 3});
        if (frameIndex != null) {
            dl.setOriginalHeaders(new FrameHeader[] {new FrameHeader("frame-index",
                    Long.toString(frameIndex).getBytes(StandardCharsets.UTF_8))});
        }
        dl.setSourceTopic("frames");
        dl.setSourcePartition(0);
        dl.setSourceOffset(frameIndex == null ? 0 : frameIndex);
        DeadLetterRecord r = DeadLetterRecord.fromRecord(consumed(
                new DeadLetterSerializationSchema("frames-dlq").serialize(dl, null, null)));
        // dlq.timestamp is the serializer's wall clock; the test's clock replaces it
        return new DeadLetterRecord(r.cameraId(), r.frameIndex(), r.reason(), r.message(), r.sourceTopic(),
                r.sourcePartition(), r.sourceOffset(), atMs, r.truncated());
    }

    static ConsumerRecord<byte[], byte[]> consumed(ProducerRecord<byte[], byte[]> p) {
        return new ConsumerRecord<>(p.topic(), 0, 0, p.timestamp() == null ? 0 : p.timestamp(),
                TimestampType.CREATE_TIME, 0, 0, p.key(), p.value(), p.headers(), Optional.empty());
    }
}

package io.flinkvision.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameSerde;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.imaging.TestImages;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bad-input corpus of issue 4, one test per case, each through the operator's whole path: a Kafka record parsed
 * by {@link FrameSerde#fromRecord} (as the job's source does) and submitted to a {@link DetectionPipeline} running the
 * real ONNX Runtime engine and the bundled YOLOX-Nano. Every bad frame must come back as exactly one dead letter with
 * its machine-readable reason (and a message), good frames in other encodings as detections, and the pipeline keeps
 * working. {@link #countsBalance()} (run last) checks frames in = detection records + dead letters.
 */
class BadInputCorpusTest {
    private static InferenceEngine engine;
    /** Default limits: 16 MiB per frame, 40 MP per image. */
    private static DetectionPipeline pipeline;
    /** Tight, configured limits: 50 KB per frame, 0.4 MP per image. */
    private static DetectionPipeline tightPipeline;
    private static final AtomicInteger submitted = new AtomicInteger();
    private static final AtomicInteger detectionRecords = new AtomicInteger();
    private static final AtomicInteger deadLetters = new AtomicInteger();
    private static byte[] jpeg;
    private static byte[] bgr;

    @BeforeAll
    static void setUp() throws Exception {
        engine = InferenceEngines.open(EngineSpec.builder().backend(Backend.ONNXRUNTIME)
                .maxBatchSize(4).maxInFlight(2).build());
        PipelineListener counting = new PipelineListener() {
            @Override
            public void onOutcome(InferenceOutcome o) {
                (o.isDeadLetter() ? deadLetters : detectionRecords).incrementAndGet();
            }
        };
        pipeline = DetectionPipeline.builder(engine).batchPolicy(new BatchPolicy(4, 5, 2)).preprocessThreads(2)
                .listener(counting).build();
        tightPipeline = DetectionPipeline.builder(engine).batchPolicy(new BatchPolicy(4, 5, 2))
                .decodeLimits(new DecodeLimits(50_000, 400_000)).preprocessThreads(1).listener(counting).build();
        try (InputStream in = BadInputCorpusTest.class.getResourceAsStream("/flinkvision/golden/vtest_000.jpg")) {
            jpeg = in.readAllBytes();
        }
        try (Mat m = new ImageDecoder(DecodeLimits.DEFAULT).decode("jpeg", jpeg, 0, 0)) {
            bgr = new byte[m.rows() * m.cols() * 3];
            m.data().get(bgr);
        }
    }

    @AfterAll
    static void tearDown() {
        pipeline.close();
        tightPipeline.close();
        engine.close();
    }

    // ---- payload -------------------------------------------------------------------------------------------------

    @Test
    void zeroBytes() throws Exception {
        assertDeadLetter(run(record("jpeg", new byte[0])), DeadLetterReason.EMPTY_PAYLOAD);
    }

    @Test
    void nullValueTombstone() throws Exception {
        assertDeadLetter(run(record("jpeg", null)), DeadLetterReason.EMPTY_PAYLOAD);
    }

    @Test
    void truncatedJpeg() throws Exception {
        InferenceOutcome o = run(record("jpeg", Arrays.copyOf(jpeg, jpeg.length / 2)));
        assertDeadLetter(o, DeadLetterReason.DECODE_FAILED);
        assertThat(o.getDeadLetter().getMessage()).contains("truncated JPEG");
    }

    @Test
    void jpegCutJustBeforeItsEndMarker() throws Exception {
        assertDeadLetter(run(record("jpeg", Arrays.copyOf(jpeg, jpeg.length - 2))), DeadLetterReason.DECODE_FAILED);
    }

    @Test
    void randomBytesAsJpeg() throws Exception {
        assertDeadLetter(run(record("jpeg", random(20_000, 1))), DeadLetterReason.DECODE_FAILED);
    }

    @Test
    void randomBytesAsPng() throws Exception {
        assertDeadLetter(run(record("png", random(20_000, 2))), DeadLetterReason.DECODE_FAILED);
    }

    @Test
    void randomBytesBehindAJpegSignatureAndEndMarker() throws Exception {
        byte[] b = random(20_000, 3);
        b[0] = (byte) 0xFF;
        b[1] = (byte) 0xD8;
        b[b.length - 2] = (byte) 0xFF;
        b[b.length - 1] = (byte) 0xD9;
        assertDeadLetter(run(record("jpeg", b)), DeadLetterReason.DECODE_FAILED);
    }

    @Test
    void frameOverTheDefaultMaxBytes() throws Exception {
        byte[] big = Arrays.copyOf(jpeg, DecodeLimits.DEFAULT.maxFrameBytes() + 1);
        InferenceOutcome o = run(record("jpeg", big));
        assertDeadLetter(o, DeadLetterReason.PAYLOAD_TOO_LARGE);
        assertThat(o.getDeadLetter().getMessage()).contains("inference.max-frame-bytes");
    }

    @Test
    void frameOverAConfiguredMaxBytes() throws Exception {
        assertThat(jpeg.length).isGreaterThan(50_000);
        assertDeadLetter(run(tightPipeline, record("jpeg", jpeg)), DeadLetterReason.PAYLOAD_TOO_LARGE);
    }

    // ---- image geometry ------------------------------------------------------------------------------------------

    @Test
    void validPngGivesDetections() throws Exception {
        InferenceOutcome o = run(record("png", encode(".png", jpeg)));
        assertThat(o.isDeadLetter()).as("%s", o).isFalse();
        assertThat(o.getDetections().getImageWidth()).isEqualTo(768);
        assertThat(o.getDetections().getDetections()).anyMatch(d -> d.getLabel().equals("person"));
    }

    @Test
    void validRawBgrGivesDetections() throws Exception {
        InferenceOutcome o = run(record("raw-bgr", bgr, "width", "768", "height", "576"));
        assertThat(o.isDeadLetter()).as("%s", o).isFalse();
        assertThat(o.getDetections().getDetections()).anyMatch(d -> d.getLabel().equals("person"));
    }

    @Test
    void onePixelJpeg() throws Exception {
        assertDeadLetter(run(record("jpeg", TestImages.onePixel(".jpg"))), DeadLetterReason.IMAGE_TOO_SMALL);
    }

    @Test
    void onePixelPng() throws Exception {
        assertDeadLetter(run(record("png", TestImages.onePixel(".png"))), DeadLetterReason.IMAGE_TOO_SMALL);
    }

    @Test
    void jpegDeclaring60000x60000IsRefusedBeforeDecoding() throws Exception {
        InferenceOutcome o = run(record("jpeg", TestImages.declaring(jpeg, 60000, 60000)));
        assertDeadLetter(o, DeadLetterReason.IMAGE_TOO_LARGE);
        // "declared by the jpeg header": refused by the header probe, before any decoding of 3.6 gigapixels
        assertThat(o.getDeadLetter().getMessage()).contains("60000x60000").contains("declared by the jpeg header")
                .contains("inference.max-pixels");
    }

    @Test
    void pngDeclaring60000x60000IsRefusedBeforeDecoding() throws Exception {
        byte[] png = encode(".png", jpeg);
        png[16] = 0; // IHDR width, height: big-endian u32 at 16 and 20
        png[17] = 0;
        png[18] = (byte) (60000 >> 8);
        png[19] = (byte) 60000;
        png[20] = 0;
        png[21] = 0;
        png[22] = (byte) (60000 >> 8);
        png[23] = (byte) 60000;
        assertDeadLetter(run(record("png", png)), DeadLetterReason.IMAGE_TOO_LARGE);
    }

    @Test
    void pixelLimitIsConfigurable() throws Exception {
        // 768x576 = 442,368 pixels: fine under the default 40 MP, refused under a configured 400,000
        byte[] small = encode(".jpg", jpeg, 50);
        assertThat(small.length).isLessThan(50_000);
        InferenceOutcome o = run(tightPipeline, record("jpeg", small));
        assertDeadLetter(o, DeadLetterReason.IMAGE_TOO_LARGE);
        assertThat(o.getDeadLetter().getMessage()).contains("768x576").contains("400000");
        assertThat(run(record("jpeg", small)).isDeadLetter()).isFalse();
    }

    // ---- raw frames ----------------------------------------------------------------------------------------------

    @Test
    void rawFrameSmallerThanItsWidthAndHeight() throws Exception {
        assertDeadLetter(run(record("raw-bgr", Arrays.copyOf(bgr, bgr.length - 3), "width", "768", "height", "576")),
                DeadLetterReason.SIZE_MISMATCH);
    }

    @Test
    void rawFrameLargerThanItsWidthAndHeight() throws Exception {
        assertDeadLetter(run(record("raw-bgr", bgr, "width", "640", "height", "480")), DeadLetterReason.SIZE_MISMATCH);
    }

    @Test
    void rawFrameWithoutWidthAndHeight() throws Exception {
        assertDeadLetter(run(record("raw-bgr", bgr)), DeadLetterReason.MISSING_HEADER);
    }

    @Test
    void rawFrameDeclaringTooManyPixels() throws Exception {
        assertDeadLetter(run(record("raw-bgr", bgr, "width", "60000", "height", "60000")),
                DeadLetterReason.IMAGE_TOO_LARGE);
    }

    // ---- headers -------------------------------------------------------------------------------------------------

    @Test
    void missingKey() throws Exception {
        RecordHeaders h = headers("frame-index", "7", "encoding", "jpeg");
        assertDeadLetter(run(FrameSerde.fromRecord(consumed(null, jpeg, h))), DeadLetterReason.MISSING_HEADER);
    }

    @Test
    void missingFrameIndex() throws Exception {
        RecordHeaders h = headers("encoding", "jpeg");
        assertDeadLetter(run(FrameSerde.fromRecord(consumed(key(), jpeg, h))), DeadLetterReason.MISSING_HEADER);
    }

    @Test
    void missingEncoding() throws Exception {
        RecordHeaders h = headers("frame-index", "7");
        assertDeadLetter(run(FrameSerde.fromRecord(consumed(key(), jpeg, h))), DeadLetterReason.MISSING_HEADER);
    }

    @Test
    void noHeadersAtAll() throws Exception {
        assertDeadLetter(run(FrameSerde.fromRecord(consumed(key(), jpeg, new RecordHeaders()))),
                DeadLetterReason.MISSING_HEADER);
    }

    @Test
    void malformedFrameIndex() throws Exception {
        RecordHeaders h = headers("frame-index", "seven", "encoding", "jpeg");
        assertDeadLetter(run(FrameSerde.fromRecord(consumed(key(), jpeg, h))), DeadLetterReason.MALFORMED_HEADER);
    }

    @Test
    void negativeFrameIndex() throws Exception {
        RecordHeaders h = headers("frame-index", "-1", "encoding", "jpeg");
        assertDeadLetter(run(FrameSerde.fromRecord(consumed(key(), jpeg, h))), DeadLetterReason.MALFORMED_HEADER);
    }

    @Test
    void malformedWidth() throws Exception {
        assertDeadLetter(run(record("raw-bgr", bgr, "width", "0x300", "height", "576")),
                DeadLetterReason.MALFORMED_HEADER);
    }

    @Test
    void malformedCaptureTimestamp() throws Exception {
        assertDeadLetter(run(record("jpeg", jpeg, "capture-ts", "yesterday")), DeadLetterReason.MALFORMED_HEADER);
    }

    @Test
    void unknownEncoding() throws Exception {
        InferenceOutcome o = run(record("webp", jpeg));
        assertDeadLetter(o, DeadLetterReason.UNKNOWN_ENCODING);
        assertThat(o.getDeadLetter().getMessage()).contains("webp");
    }

    @Test
    void jpegBytesLabelledPng() throws Exception {
        assertDeadLetter(run(record("png", jpeg)), DeadLetterReason.DECODE_FAILED);
    }

    // ---- the pipeline still works and the counts balance ---------------------------------------------------------

    @Test
    void goodJpegStillGivesDetectionsAfterBadInput() throws Exception {
        InferenceOutcome o = run(record("jpeg", jpeg));
        assertThat(o.isDeadLetter()).as("%s", o).isFalse();
        assertThat(o.getDetections().getStatus()).isEqualTo("ok");
    }

    /** Counts are also checked after every case ({@link #assertDeadLetter}); this one mixes good and bad frames. */
    @Test
    void countsBalance() throws Exception {
        // a mixed burst through one pipeline: every frame in gets exactly one outcome
        int before = submitted.get();
        int goodBefore = detectionRecords.get();
        int badBefore = deadLetters.get();
        for (int i = 0; i < 8; i++) {
            run(record("jpeg", i % 2 == 0 ? jpeg : random(1000, 10 + i)));
        }
        assertThat(submitted.get() - before).isEqualTo(8);
        assertThat(detectionRecords.get() - goodBefore).isEqualTo(4);
        assertThat(deadLetters.get() - badBefore).isEqualTo(4);
        assertThat(detectionRecords.get() + deadLetters.get()).as("frames in = detection records + dead letters")
                .isEqualTo(submitted.get());
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static void assertDeadLetter(InferenceOutcome o, DeadLetterReason reason) {
        assertThat(o.isDeadLetter()).as("outcome %s", o).isTrue();
        assertThat(o.getDeadLetter().getReason()).as("%s", o).isEqualTo(reason.code());
        assertThat(o.getDeadLetter().getMessage()).isNotBlank();
        assertThat(detectionRecords.get() + deadLetters.get()).isEqualTo(submitted.get());
    }

    private static InferenceOutcome run(Frame f) throws Exception {
        return run(pipeline, f);
    }

    private static InferenceOutcome run(DetectionPipeline p, Frame f) throws Exception {
        submitted.incrementAndGet();
        InferenceOutcome o = p.submit(f).get(60, TimeUnit.SECONDS);
        assertThat(o).isNotNull();
        if (o.isDeadLetter()) { // the dead letter keeps the original record for replay
            assertThat(o.getDeadLetter().getOriginalValue()).isSameAs(f.getPayload());
        }
        return o;
    }

    private static final AtomicInteger nextIndex = new AtomicInteger();

    /** A frame parsed from a Kafka record with key cam-corpus, a fresh frame index and the given encoding. */
    private static Frame record(String encoding, byte[] value, String... moreHeaders) {
        String[] h = new String[4 + moreHeaders.length];
        h[0] = "frame-index";
        h[1] = Integer.toString(nextIndex.getAndIncrement());
        h[2] = "encoding";
        h[3] = encoding;
        System.arraycopy(moreHeaders, 0, h, 4, moreHeaders.length);
        Frame f = FrameSerde.fromRecord(consumed(key(), value, headers(h)));
        return f;
    }

    private static byte[] key() {
        return "cam-corpus".getBytes(StandardCharsets.UTF_8);
    }

    private static RecordHeaders headers(String... kv) {
        RecordHeaders h = new RecordHeaders();
        for (int i = 0; i < kv.length; i += 2) {
            h.add(kv[i], kv[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return h;
    }

    private static ConsumerRecord<byte[], byte[]> consumed(byte[] key, byte[] value, RecordHeaders headers) {
        return new ConsumerRecord<>("frames", 0, 0, 1_700_000_000_000L, TimestampType.CREATE_TIME, -1, -1, key, value,
                headers, Optional.empty());
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Re-encodes a JPEG with OpenCV ({@code .png}, {@code .jpg}). */
    static byte[] encode(String ext, byte[] jpegBytes, int... jpegQuality) throws Exception {
        try (Mat m = new ImageDecoder(DecodeLimits.DEFAULT).decode("jpeg", jpegBytes, 0, 0);
                BytePointer out = new BytePointer()) {
            if (jpegQuality.length > 0) {
                opencv_imgcodecs.imencode(ext, m, out,
                        new org.bytedeco.javacpp.IntPointer(opencv_imgcodecs.IMWRITE_JPEG_QUALITY, jpegQuality[0]));
            } else {
                opencv_imgcodecs.imencode(ext, m, out);
            }
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }

}

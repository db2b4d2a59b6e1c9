package io.flinkvision.jobs;

import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * The bad-input corpus of issue 4 as Kafka records for the frames topic, for job-level tests: each record carries a
 * {@value #CASE_HEADER} header naming its case (the dead-letter record keeps the original headers, so the test can
 * tell them apart) and the reason code it must end with, or null for the two good frames in other encodings (PNG, raw
 * BGR) that must give detection records. Key {@value #CAMERA} (except the missing-key case), frame indexes from
 * {@code firstIndex}.
 */
public final class BadFrameCorpus {
    static final String CASE_HEADER = "test-case";
    static final String CAMERA = "cam-corpus";
    /** The job under test must run with {@code inference.max-frame-bytes} = this. */
    static final int MAX_FRAME_BYTES = 2_000_000; // a raw 768x576 BGR frame is 1,327,104 bytes

    /**
     * One record of the corpus.
     *
     * @param name case name (also the {@value #CASE_HEADER} header)
     * @param record the record to send
     * @param expectedReason the {@link DeadLetterReason} code it must end with; null when it must give detections
     * @param frameIndex its frame index (-1 where the header is missing or malformed)
     */
    record Case(String name, ProducerRecord<byte[], byte[]> record, String expectedReason, long frameIndex) {
        boolean good() {
            return expectedReason == null;
        }
    }

    private BadFrameCorpus() {}

    /** Builds the corpus around a real JPEG frame of the clip. */
    static List<Case> build(String topic, byte[] jpeg, long firstIndex) throws Exception {
        byte[] bgr;
        int w;
        int h;
        try (Mat m = new ImageDecoder(DecodeLimits.DEFAULT).decode("jpeg", jpeg, 0, 0)) {
            w = m.cols();
            h = m.rows();
            bgr = new byte[w * h * 3];
            m.data().get(bgr);
        }
        byte[] random = new byte[20_000];
        new Random(7).nextBytes(random);
        List<Case> cases = new ArrayList<>();
        long i = firstIndex;
        cases.add(frame(topic, "zero-bytes", i++, "jpeg", new byte[0], DeadLetterReason.EMPTY_PAYLOAD));
        cases.add(frame(topic, "null-value", i++, "jpeg", null, DeadLetterReason.EMPTY_PAYLOAD));
        cases.add(frame(topic, "truncated-jpeg", i++, "jpeg", Arrays.copyOf(jpeg, jpeg.length / 2),
                DeadLetterReason.DECODE_FAILED));
        cases.add(frame(topic, "random-bytes", i++, "jpeg", random, DeadLetterReason.DECODE_FAILED));
        cases.add(frame(topic, "valid-png", i++, "png", encode(".png", jpeg), null));
        cases.add(frame(topic, "one-pixel-jpeg", i++, "jpeg", onePixel(".jpg"), DeadLetterReason.IMAGE_TOO_SMALL));
        cases.add(frame(topic, "one-pixel-png", i++, "png", onePixel(".png"), DeadLetterReason.IMAGE_TOO_SMALL));
        cases.add(frame(topic, "jpeg-declaring-60000x60000", i++, "jpeg", declaring(jpeg, 60000, 60000),
                DeadLetterReason.IMAGE_TOO_LARGE));
        cases.add(frame(topic, "valid-raw-bgr", i++, "raw-bgr", bgr, null, "width", Integer.toString(w), "height",
                Integer.toString(h)));
        cases.add(frame(topic, "raw-size-mismatch", i++, "raw-bgr", Arrays.copyOf(bgr, bgr.length - 3),
                DeadLetterReason.SIZE_MISMATCH, "width", Integer.toString(w), "height", Integer.toString(h)));
        cases.add(frame(topic, "raw-without-width-height", i++, "raw-bgr", bgr, DeadLetterReason.MISSING_HEADER));
        cases.add(frame(topic, "unknown-encoding", i++, "webp", jpeg, DeadLetterReason.UNKNOWN_ENCODING));
        cases.add(frame(topic, "over-max-frame-bytes", i++, "jpeg", Arrays.copyOf(jpeg, MAX_FRAME_BYTES + 200_000),
                DeadLetterReason.PAYLOAD_TOO_LARGE));
        cases.add(frame(topic, "malformed-width", i++, "raw-bgr", bgr, DeadLetterReason.MALFORMED_HEADER, "width",
                "wide", "height", Integer.toString(h)));
        // header-level cases: the record itself breaks the contract
        cases.add(custom(topic, "missing-key", null, jpeg, DeadLetterReason.MISSING_HEADER, i,
                "frame-index", Long.toString(i++), "encoding", "jpeg"));
        cases.add(custom(topic, "missing-frame-index", key(), jpeg, DeadLetterReason.MISSING_HEADER, -1,
                "encoding", "jpeg"));
        cases.add(custom(topic, "missing-encoding", key(), jpeg, DeadLetterReason.MISSING_HEADER, i,
                "frame-index", Long.toString(i++)));
        cases.add(custom(topic, "malformed-frame-index", key(), jpeg, DeadLetterReason.MALFORMED_HEADER, -1,
                "frame-index", "twelve", "encoding", "jpeg"));
        cases.add(custom(topic, "no-headers", key(), jpeg, DeadLetterReason.MISSING_HEADER, -1));
        return cases;
    }

    private static Case frame(String topic, String name, long index, String encoding, byte[] value,
            DeadLetterReason reason, String... more) {
        String[] h = new String[4 + more.length];
        h[0] = "frame-index";
        h[1] = Long.toString(index);
        h[2] = "encoding";
        h[3] = encoding;
        System.arraycopy(more, 0, h, 4, more.length);
        return custom(topic, name, key(), value, reason, index, h);
    }

    private static Case custom(String topic, String name, byte[] key, byte[] value, DeadLetterReason reason,
            long index, String... kv) {
        RecordHeaders headers = new RecordHeaders();
        for (int k = 0; k < kv.length; k += 2) {
            headers.add(kv[k], kv[k + 1].getBytes(StandardCharsets.UTF_8));
        }
        headers.add(CASE_HEADER, name.getBytes(StandardCharsets.UTF_8));
        return new Case(name, new ProducerRecord<>(topic, null, System.currentTimeMillis(), key, value, headers),
                reason == null ? null : reason.code(), index);
    }

    private static byte[] key() {
        return CAMERA.getBytes(StandardCharsets.UTF_8);
    }

    /** Re-encodes a JPEG with OpenCV (e.g. {@code .png}). */
    static byte[] encode(String ext, byte[] jpeg) throws Exception {
        try (Mat m = new ImageDecoder(DecodeLimits.DEFAULT).decode("jpeg", jpeg, 0, 0);
                BytePointer out = new BytePointer()) {
            opencv_imgcodecs.imencode(ext, m, out);
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }

    /** A 1x1 image encoded by OpenCV ({@code .jpg} or {@code .png}). */
    public static byte[] onePixel(String ext) {
        try (Mat m = new Mat(1, 1, opencv_core.CV_8UC3, new Scalar(40, 80, 120, 0));
                BytePointer out = new BytePointer()) {
            opencv_imgcodecs.imencode(ext, m, out);
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }

    /** A copy of a baseline JPEG whose SOF0 frame header declares {@code w x h}; the scan data is unchanged. */
    public static byte[] declaring(byte[] jpeg, int w, int h) {
        byte[] forged = jpeg.clone();
        for (int k = 2; k < forged.length - 9; k++) {
            if ((forged[k] & 0xFF) == 0xFF && (forged[k + 1] & 0xFF) == 0xC0) {
                forged[k + 5] = (byte) (h >> 8);
                forged[k + 6] = (byte) h;
                forged[k + 7] = (byte) (w >> 8);
                forged[k + 8] = (byte) w;
                return forged;
            }
        }
        throw new AssertionError("no SOF0 marker in the JPEG");
    }
}

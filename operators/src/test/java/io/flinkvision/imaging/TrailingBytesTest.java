package io.flinkvision.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.InvalidFrameException;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bytes after a JPEG's EOI or a PNG's IEND chunk (padding, a second image, garbage holding {@code FF D9}) do not make
 * a valid file a dead letter: the frame decodes to the same pixels as without them, as libjpeg/libpng (OpenCV
 * {@code imdecode}) decode it, and the device decoder is given the datastream without them. Files cut before their
 * end marker stay {@code decode-failed}, also when an earlier EOI (an EXIF-style thumbnail in APP1) is in the file.
 */
class TrailingBytesTest {
    private static final ImageDecoder DECODER = new ImageDecoder(DecodeLimits.DEFAULT);
    private static byte[] jpeg;
    private static byte[] png;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = TrailingBytesTest.class.getResourceAsStream("/flinkvision/golden/vtest_000.jpg")) {
            jpeg = in.readAllBytes();
        }
        try (Mat m = DECODER.decode("jpeg", jpeg, 0, 0); BytePointer out = new BytePointer()) {
            opencv_imgcodecs.imencode(".png", m, out);
            png = new byte[(int) out.limit()];
            out.get(png);
        }
    }

    /** Tails of many lengths, random and with end markers in them, seeded. */
    private static Map<String, byte[]> tails(byte[] image) {
        Random r = new Random(16);
        Map<String, byte[]> t = new LinkedHashMap<>();
        for (int n : new int[] {1, 2, 63, 64, 65, 66, 1000, 100 * 1024}) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            t.put("random-" + n, b);
            t.put("zeros-" + n, new byte[n]);
        }
        byte[] eoi = new byte[1000];
        r.nextBytes(eoi);
        for (int k = 0; k < eoi.length - 1; k += 97) {
            eoi[k] = (byte) 0xFF;
            eoi[k + 1] = (byte) 0xD9;
        }
        t.put("ff-d9-inside", eoi);
        t.put("iend-inside", concat(new byte[100], Arrays.copyOfRange(png, png.length - 12, png.length)));
        t.put("second-image", image);
        return t;
    }

    @Test
    void jpegWithTrailingBytesDecodesToTheSamePixelsAndIsStagedWithoutThem() throws Exception {
        byte[] expected = pixels(DECODER.decode("jpeg", jpeg, 0, 0));
        for (Map.Entry<String, byte[]> e : tails(jpeg).entrySet()) {
            byte[] file = concat(jpeg, e.getValue());
            assertThat(pixels(imdecode(file))).as("libjpeg decodes %s", e.getKey()).isEqualTo(expected);
            assertThat(pixels(DECODER.decode("jpeg", file, 0, 0))).as(e.getKey()).isEqualTo(expected);
            assertThat(ImageHeaderProbe.jpegLength(file)).as(e.getKey()).isEqualTo(jpeg.length);
            try (SourceImage s = DECODER.decodeSource("jpeg", file, 0, 0, true)) {
                assertThat(s.isJpeg()).isTrue();
                assertThat(s.stagedBytes()).as(e.getKey()).isEqualTo(jpeg.length);
                ByteBuffer staged = ByteBuffer.allocate(jpeg.length);
                s.copyTo(staged, 0);
                assertThat(staged.array()).as(e.getKey()).isEqualTo(jpeg);
            }
        }
    }

    @Test
    void pngWithTrailingBytesDecodesToTheSamePixels() throws Exception {
        byte[] expected = pixels(DECODER.decode("png", png, 0, 0));
        for (Map.Entry<String, byte[]> e : tails(png).entrySet()) {
            byte[] file = concat(png, e.getValue());
            assertThat(pixels(imdecode(file))).as("libpng decodes %s", e.getKey()).isEqualTo(expected);
            assertThat(pixels(DECODER.decode("png", file, 0, 0))).as(e.getKey()).isEqualTo(expected);
        }
    }

    @Test
    void filesCutBeforeTheirEndMarkerStayDeadLetters() throws Exception {
        for (int cut : new int[] {jpeg.length - 1, jpeg.length - 2, jpeg.length - 100, jpeg.length / 2}) {
            assertDecodeFailed("jpeg", Arrays.copyOf(jpeg, cut));
        }
        for (int cut : new int[] {png.length - 1, png.length - 12, png.length - 13, png.length / 2}) {
            assertDecodeFailed("png", Arrays.copyOf(png, cut));
        }
        // a thumbnail JPEG in an APP1 segment has its own EOI: a file cut in its main scan is still truncated
        byte[] thumb = TestImages.onePixel(".jpg");
        byte[] app1 = concat(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) ((thumb.length + 2) >> 8),
                (byte) (thumb.length + 2)}, thumb);
        byte[] withThumbnail = concat(concat(Arrays.copyOf(jpeg, 2), app1), Arrays.copyOfRange(jpeg, 2, jpeg.length));
        assertThat(ImageHeaderProbe.jpegLength(withThumbnail)).isEqualTo(withThumbnail.length);
        assertDecodeFailed("jpeg", Arrays.copyOf(withThumbnail, withThumbnail.length - 500));
    }

    private static void assertDecodeFailed(String encoding, byte[] file) {
        assertThatThrownBy(() -> DECODER.decode(encoding, file, 0, 0).close()).as("%s of %d bytes", encoding,
                file.length).isInstanceOfSatisfying(InvalidFrameException.class,
                        e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.DECODE_FAILED));
    }

    private static Mat imdecode(byte[] file) {
        try (BytePointer p = new BytePointer(file); Mat buf = new Mat(1, file.length,
                org.bytedeco.opencv.global.opencv_core.CV_8UC1, p)) {
            return opencv_imgcodecs.imdecode(buf, opencv_imgcodecs.IMREAD_COLOR);
        }
    }

    private static byte[] pixels(Mat m) {
        try (m) {
            assertThat(m.empty()).isFalse();
            byte[] b = new byte[m.cols() * m.rows() * 3];
            m.data().get(b);
            return b;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(a.length + b.length);
        o.writeBytes(a);
        o.writeBytes(b);
        return o.toByteArray();
    }
}

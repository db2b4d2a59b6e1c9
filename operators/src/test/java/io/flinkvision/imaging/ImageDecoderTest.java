package io.flinkvision.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.InvalidFrameException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
    private static byte[] jpeg;
    private final ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = ImageDecoderTest.class.getResourceAsStream("/flinkvision/golden/vtest_000.jpg")) {
            jpeg = in.readAllBytes();
        }
    }

    @Test
    void decodesRealJpegToBgr() throws Exception {
        try (Mat m = decoder.decode("jpeg", jpeg, 0, 0)) {
            assertThat(m.cols()).isEqualTo(768);
            assertThat(m.rows()).isEqualTo(576);
            assertThat(m.channels()).isEqualTo(3);
        }
        assertThat(ImageHeaderProbe.probe(jpeg, io.flinkvision.frame.FrameEncoding.JPEG))
                .isEqualTo(new ImageHeaderProbe.Dimensions(768, 576));
    }

    @Test
    void decodesPngAndRawBgrToTheSamePixels() throws Exception {
        try (Mat m = decoder.decode("jpeg", jpeg, 0, 0); BytePointer png = new BytePointer()) {
            opencv_imgcodecs.imencode(".png", m, png);
            byte[] pngBytes = new byte[(int) png.limit()];
            png.get(pngBytes);
            byte[] raw = new byte[768 * 576 * 3];
            m.data().get(raw);
            try (Mat p = decoder.decode("png", pngBytes, 0, 0); Mat r = decoder.decode("raw-bgr", raw, 768, 576)) {
                byte[] a = new byte[raw.length];
                byte[] b = new byte[raw.length];
                p.data().get(a);
                r.data().get(b);
                assertThat(a).isEqualTo(raw);
                assertThat(b).isEqualTo(raw);
            }
        }
    }

    @Test
    void badInputGetsItsReason() {
        assertReason(() -> decoder.decode("jpeg", new byte[0], 0, 0), DeadLetterReason.EMPTY_PAYLOAD);
        assertReason(() -> decoder.decode("jpeg", Arrays.copyOf(jpeg, jpeg.length / 2), 0, 0),
                DeadLetterReason.DECODE_FAILED);
        byte[] random = new byte[5000];
        new Random(42).nextBytes(random);
        assertReason(() -> decoder.decode("jpeg", random, 0, 0), DeadLetterReason.DECODE_FAILED);
        assertReason(() -> decoder.decode("gif", jpeg, 0, 0), DeadLetterReason.UNKNOWN_ENCODING);
        assertReason(() -> decoder.decode("raw-bgr", new byte[100], 10, 10), DeadLetterReason.SIZE_MISMATCH);
        assertReason(() -> decoder.decode("raw-bgr", new byte[3], 1, 1), DeadLetterReason.IMAGE_TOO_SMALL);
        assertReason(() -> new ImageDecoder(new DecodeLimits(1000, 1_000_000)).decode("jpeg", jpeg, 0, 0),
                DeadLetterReason.PAYLOAD_TOO_LARGE);
    }

    @Test
    void hugeDeclaredJpegIsRefusedBeforeDecoding() {
        byte[] forged = TestImages.declaring(jpeg, 60000, 60000);
        assertReason(() -> decoder.decode("jpeg", forged, 0, 0), DeadLetterReason.IMAGE_TOO_LARGE);
    }

    interface Decode {
        Mat run() throws Exception;
    }

    private static void assertReason(Decode d, DeadLetterReason reason) {
        assertThatThrownBy(d::run).isInstanceOfSatisfying(InvalidFrameException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }
}

package io.flinkvision.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.InvalidFrameException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cases the fuzz test ({@link ImageHeaderProbeFuzzTest}) found, on a real frame: a damaged {@code FF xx} in the
 * scan data and a zero-length APP1 segment are left to the decoder (libjpeg decodes both), a file cut in its scan
 * with another file after it is refused as truncated although libjpeg conceals it.
 */
class JpegDatastreamTest {
    private static final ImageDecoder DECODER = new ImageDecoder(DecodeLimits.DEFAULT);
    private static byte[] jpeg;
    private static int[] scan;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = JpegDatastreamTest.class.getResourceAsStream("/flinkvision/golden/vtest_000.jpg")) {
            jpeg = in.readAllBytes();
        }
        List<int[]> scans = DamagedImageCorpus.jpegScans(jpeg);
        assertThat(scans).hasSize(1);
        scan = scans.get(0);
    }

    /** The word-at-a-time search agrees with a byte loop at every start, for FF at every offset of a word. */
    @Test
    void nextFfFindsTheFirstFfByteAsAByteLoopDoes() {
        java.util.Random random = new java.util.Random(11);
        for (int n = 0; n < 2000; n++) {
            byte[] d = new byte[random.nextInt(40)];
            for (int k = 0; k < d.length; k++) { // bytes near FF (FE, 7F, 80) catch borrow and sign mistakes
                int r = random.nextInt(8);
                d[k] = (byte) (r == 0 ? 0xFF : r == 1 ? 0xFE : r == 2 ? 0x7F : r == 3 ? 0x80 : random.nextInt(256));
            }
            for (int from = 0; from <= d.length; from++) {
                int expected = from;
                while (expected < d.length && d[expected] != (byte) 0xFF) {
                    expected++;
                }
                assertThat(JpegDatastream.nextFF(d, from)).as("%s from %d", Arrays.toString(d), from)
                        .isEqualTo(expected);
            }
        }
        assertThat(JpegDatastream.nextFF(jpeg, scan[0])).isLessThan(scan[1]);
    }

    /** The probe's frame header carries the datastream length, so a frame is scanned once. */
    @Test
    void theFrameHeaderCarriesTheDatastreamLength() throws Exception {
        byte[] trailing = DamagedImageCorpus.concat(jpeg, new byte[] {1, 2, 3});
        assertThat(ImageHeaderProbe.probeJpegFrame(jpeg).datastreamLength()).isEqualTo(jpeg.length);
        assertThat(ImageHeaderProbe.probeJpegFrame(trailing).datastreamLength()).isEqualTo(jpeg.length);
    }

    @Test
    void aStuffedByteDamagedIntoAReservedMarkerIsADataByteNotTheEndOfTheFile() throws Exception {
        List<org.bytedeco.opencv.opencv_core.Mat> frames = DamagedImageCorpus.frames();
        byte[] small = DamagedImageCorpus.jpegs(frames).get("f0-q50-420"); // 160x120: a few stuffed bytes
        frames.forEach(org.bytedeco.opencv.opencv_core.Mat::close);
        int[] s = DamagedImageCorpus.jpegScans(small).get(0);
        int cases = 0;
        for (int at = s[0]; at + 1 < s[1]; at++) {
            if ((small[at] & 0xFF) != 0xFF || small[at + 1] != 0) {
                continue;
            }
            for (int x : new int[] {0x30, 0xC0, 0xC8, 0xDE, 0xF0, 0x01}) {
                byte[] damaged = small.clone();
                damaged[at + 1] = (byte) x;
                assertThat(libjpegDecodes(damaged)).as("FF %02X at %d", x, at).isTrue();
                assertThat(ImageHeaderProbe.jpegLength(damaged)).as("FF %02X at %d", x, at).isEqualTo(small.length);
                DECODER.decode("jpeg", damaged, 0, 0).close();
                cases++;
            }
        }
        assertThat(cases).isGreaterThan(0);
    }

    @Test
    void aZeroLengthSegmentIsSkippedByItsLengthFieldAsLibjpegSkipsIt() throws Exception {
        byte[] file = DamagedImageCorpus.concat(DamagedImageCorpus.concat(Arrays.copyOf(jpeg, 2),
                new byte[] {(byte) 0xFF, (byte) 0xE1, 0, 0}), Arrays.copyOfRange(jpeg, 2, jpeg.length));
        assertThat(libjpegDecodes(file)).isTrue();
        assertThat(ImageHeaderProbe.probeJpegFrame(file).width()).isEqualTo(768);
        DECODER.decode("jpeg", file, 0, 0).close();
    }

    @Test
    void aFileCutInItsScanWithAnotherFileAfterItIsTruncated() {
        byte[] file = DamagedImageCorpus.concat(Arrays.copyOf(jpeg, (scan[0] + scan[1]) / 2), jpeg);
        assertThat(libjpegDecodes(file)).as("libjpeg conceals the cut").isTrue();
        assertThatThrownBy(() -> DECODER.decode("jpeg", file, 0, 0).close())
                .isInstanceOfSatisfying(InvalidFrameException.class,
                        e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.DECODE_FAILED))
                .hasMessageContaining("another image (SOI) starts at byte " + (scan[0] + scan[1]) / 2);
    }

    private static boolean libjpegDecodes(byte[] file) {
        try (BytePointer p = new BytePointer(file); Mat buf = new Mat(1, file.length, opencv_core.CV_8UC1, p);
                Mat m = opencv_imgcodecs.imdecode(buf, opencv_imgcodecs.IMREAD_COLOR)) {
            return m != null && !m.empty();
        }
    }
}

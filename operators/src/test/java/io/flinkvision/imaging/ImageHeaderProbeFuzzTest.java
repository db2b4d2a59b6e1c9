package io.flinkvision.imaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.InvalidFrameException;
import io.flinkvision.imaging.DamagedImageCorpus.Expect;
import io.flinkvision.imaging.DamagedImageCorpus.Variant;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes {@link ImageHeaderProbe} against the decoder the operator uses (OpenCV {@code imdecode}: libjpeg-turbo,
 * libpng) on the real and damaged files of {@link DamagedImageCorpus}, and checks, for every file:
 *
 * <ul>
 *   <li>the decoder gives an image: the probe accepts the file (no false refusal), except for a truncated file;
 *   <li>the probe accepts: {@link ImageDecoder#decode} and {@link ImageDecoder#decodeSource} (device staging) end in an
 *       image or an {@link InvalidFrameException} with a reason, nothing else; a staged datastream runs SOI to EOI,
 *       and where it is shorter than the file libjpeg decodes it to the same pixels as the whole file;
 *   <li>a complete file with bytes after its end (trailing bytes, a duplicated end marker) decodes to the intact
 *       file's pixels;
 *   <li>a truncated file (cut before its EOI/IEND, also when another file follows the cut) is refused by the probe
 *       and the operator as {@code decode-failed}.
 * </ul>
 *
 * <p>libjpeg conceals truncation: cut in its entropy-coded data, a JPEG still decodes to a full-size image (the
 * missing blocks gray, warning "Premature end of JPEG file"), and when another JPEG follows the cut, libjpeg stops
 * at that file's SOI marker and returns the first image, gray from the cut on. The operator refuses both as
 * {@code decode-failed} (no EOI before the end of the file), so that a cut frame is a dead letter, not detections
 * on a half-gray image; the counts show how many of them libjpeg concealed. libpng does not conceal: it returns no
 * image for a PNG cut before its IEND chunk.
 *
 * <p>The counts per damage kind are printed. Deterministic (fixed seeds); no timing assertions.
 */
class ImageHeaderProbeFuzzTest {
    private static final ImageDecoder DECODER = new ImageDecoder(DecodeLimits.DEFAULT);
    private static List<Mat> frames;
    private static Map<String, byte[]> jpegs;
    private static Map<String, byte[]> pngs;

    @BeforeAll
    static void corpus() {
        frames = DamagedImageCorpus.frames();
        jpegs = DamagedImageCorpus.jpegs(frames);
        pngs = DamagedImageCorpus.pngs(frames);
    }

    @AfterAll
    static void close() {
        frames.forEach(Mat::close);
    }

    @Test
    void jpegProbeAgreesWithLibjpeg() {
        byte[] png = pngs.values().iterator().next();
        check(DamagedImageCorpus.jpegVariants(jpegs, png));
    }

    @Test
    void pngProbeAgreesWithLibpng() {
        byte[] jpeg = jpegs.values().iterator().next();
        check(DamagedImageCorpus.pngVariants(pngs, jpeg));
    }

    private static void check(List<Variant> variants) {
        Map<String, Counts> counts = new TreeMap<>();
        Map<byte[], byte[]> intactPixels = new IdentityHashMap<>();
        List<String> violations = new ArrayList<>();
        for (Variant v : variants) {
            Counts c = counts.computeIfAbsent(v.encoding().wireName() + " " + v.kind(), k -> new Counts());
            byte[] expected = intactPixels.computeIfAbsent(v.intact(), ImageHeaderProbeFuzzTest::libDecode);
            assertThat(expected).as("intact %s decodes", v.name()).isNotNull();
            c.files++;
            byte[] lib = libDecode(v.data());
            String refusal = probe(v, violations);
            String outcome = operator(v, violations);
            c.decoded += lib != null ? 1 : 0;
            c.accepted += refusal == null ? 1 : 0;
            c.outcomes.merge(outcome, 1, Integer::sum);
            if (refusal != null && lib != null) {
                c.refusedDecodable++;
            }
            switch (v.expect()) {
                case SAME_AS_INTACT -> {
                    if (refusal != null || !"image".equals(outcome) || lib == null || !Arrays.equals(lib, expected)) {
                        violations.add(v.name() + ": a complete file must decode to the intact pixels; probe "
                                + (refusal == null ? "accepted" : "refused: " + refusal) + ", operator " + outcome
                                + ", decoder " + (lib == null ? "no image" : Arrays.equals(lib, expected) ? "same"
                                        : "other pixels"));
                    }
                }
                case TRUNCATED -> {
                    if (refusal == null || !DeadLetterReason.DECODE_FAILED.code().equals(refusal.split(":")[0])
                            || !outcome.equals(DeadLetterReason.DECODE_FAILED.code())) {
                        violations.add(v.name() + ": a truncated file must be refused as decode-failed; probe "
                                + (refusal == null ? "accepted" : refusal) + ", operator " + outcome);
                    }
                    c.concealed += lib != null ? 1 : 0;
                }
                case DECODER_DECIDES -> {
                    if (lib != null && refusal != null) {
                        violations.add(v.name() + ": the decoder decodes it but the probe refused: " + refusal);
                    }
                }
                default -> throw new IllegalStateException(v.expect().name());
            }
            if (refusal == null && v.encoding() == FrameEncoding.JPEG) {
                staged(v, lib, violations);
            }
        }
        System.out.printf("%-32s %6s %8s %8s %9s %9s  %s%n", "encoding kind", "files", "decoded", "accepted",
                "concealed", "refused&decoded", "operator outcomes");
        counts.forEach((k, c) -> System.out.printf("%-32s %6d %8d %8d %9d %9d  %s%n", k, c.files, c.decoded,
                c.accepted, c.concealed, c.refusedDecodable, c.outcomes));
        assertThat(violations).withFailMessage("%d violations in %d files, the first:%n%s", violations.size(),
                variants.size(), String.join("\n", violations.subList(0, Math.min(40, violations.size())))).isEmpty();
    }

    /** The probe's refusal as "reason: message", null when it accepts; anything but InvalidFrameException is a bug. */
    private static String probe(Variant v, List<String> violations) {
        try {
            ImageHeaderProbe.probe(v.data(), v.encoding());
            return null;
        } catch (InvalidFrameException e) {
            return e.reason().code() + ": " + e.getMessage();
        } catch (RuntimeException e) {
            violations.add(v.name() + ": the probe threw " + e);
            return "threw " + e;
        }
    }

    /** What the operator's decode path gives: "image" or the dead letter's reason code. */
    private static String operator(Variant v, List<String> violations) {
        try (Mat m = DECODER.decode(v.encoding().wireName(), v.data(), 0, 0)) {
            if (m.type() != opencv_core.CV_8UC3 || m.cols() < 2 || m.rows() < 2) {
                violations.add(v.name() + ": decoded to an image of type " + m.type() + ", " + m.cols() + "x"
                        + m.rows());
            }
            return "image";
        } catch (InvalidFrameException e) {
            if (e.reason() == null || e.getMessage() == null || e.getMessage().isBlank()) {
                violations.add(v.name() + ": a dead letter without a reason: " + e);
            }
            return e.reason().code();
        } catch (RuntimeException e) {
            violations.add(v.name() + ": the operator's decode threw " + e);
            return "threw " + e.getClass().getSimpleName();
        }
    }

    /** Device staging: a datastream SOI..EOI that libjpeg decodes as it decodes the whole file. */
    private static void staged(Variant v, byte[] lib, List<String> violations) {
        try (SourceImage s = DECODER.decodeSource("jpeg", v.data(), 0, 0, true)) {
            if (!s.isJpeg()) {
                return;
            }
            ByteBuffer b = ByteBuffer.allocate((int) s.stagedBytes());
            s.copyTo(b, 0);
            byte[] jpeg = b.array();
            int n = jpeg.length;
            if (n < 4 || (jpeg[0] & 0xFF) != 0xFF || (jpeg[1] & 0xFF) != 0xD8 || (jpeg[n - 2] & 0xFF) != 0xFF
                    || (jpeg[n - 1] & 0xFF) != 0xD9 || n > v.data().length) {
                violations.add(v.name() + ": staged " + n + " bytes that do not run SOI to EOI");
            } else if (n < v.data().length && lib != null && !Arrays.equals(libDecode(jpeg), lib)) {
                violations.add(v.name() + ": the staged " + n + " of " + v.data().length
                        + " bytes decode to other pixels than the whole file");
            }
        } catch (InvalidFrameException e) {
            // a dead letter with a reason, as decode gives
        } catch (RuntimeException e) {
            violations.add(v.name() + ": device staging threw " + e);
        }
    }

    /** OpenCV imdecode(IMREAD_COLOR) as the operator calls it: the BGR pixels, null when it gives no image. */
    private static byte[] libDecode(byte[] file) {
        try (BytePointer p = new BytePointer(file); Mat buf = new Mat(1, file.length, opencv_core.CV_8UC1, p);
                Mat m = opencv_imgcodecs.imdecode(buf, opencv_imgcodecs.IMREAD_COLOR)) {
            if (m == null || m.empty()) {
                return null;
            }
            byte[] b = new byte[m.cols() * m.rows() * m.channels()];
            m.data().get(b);
            return b;
        }
    }

    private static final class Counts {
        int files;
        int decoded;
        int accepted;
        int concealed;
        int refusedDecodable;
        final Map<String, Integer> outcomes = new TreeMap<>();
    }
}

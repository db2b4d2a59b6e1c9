package io.flinkvision.imaging;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import io.flinkvision.frame.InvalidFrameException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * JPEG files whose headers are intact (SOI, a baseline 8-bit YCbCr frame header, EOI at the end: they pass every host
 * check, {@link ImageHeaderProbe#probeJpegFrame}, and are sent to the device's decoder undecoded) but whose contents
 * are damaged, as a camera link or a broken producer damages them. Built from one real frame re-encoded by OpenCV at
 * quality 95 (baseline, standard Huffman tables, no restart interval), so that the same corpus runs in CI (OpenCV) and
 * on the GPU (nvJPEG's hardware decoder).
 *
 * <p>Marker layout (ITU-T T.81, Annex B): the entropy-coded scan data starts after the SOS segment ({@code FF DA},
 * 2-byte length) and ends at EOI ({@code FF D9}); inside it a data byte {@code FF} is followed by a stuffed {@code 00},
 * and {@code FF D0..D7} are restart markers.
 */
public final class CorruptJpegCorpus {
    private CorruptJpegCorpus() {}

    /**
     * The damaged variants of {@code jpeg}, by name, in a fixed order. Deterministic (fixed seeds).
     *
     * @param jpeg a decodable JPEG of at least 64x64 pixels
     * @return name -> file; every file starts with SOI, ends with EOI and has a baseline frame header
     * @throws IllegalArgumentException if {@code jpeg} does not decode or has no scan
     */
    public static Map<String, byte[]> of(byte[] jpeg) {
        byte[] full;
        byte[] half;
        try (Mat bgr = new ImageDecoder(DecodeLimits.DEFAULT).decode("jpeg", jpeg, 0, 0); Mat small = new Mat()) {
            full = encode(bgr);
            resize(bgr, small, new Size(bgr.cols() / 2, bgr.rows() / 2), 0, 0, INTER_AREA);
            half = encode(small);
        } catch (InvalidFrameException e) {
            throw new IllegalArgumentException("source JPEG does not decode: " + e.getMessage(), e);
        }
        int scan = scanStart(full);
        int end = full.length - 2; // EOI
        int mid = scan + (end - scan) / 2;
        Map<String, byte[]> out = new LinkedHashMap<>();

        byte[] flip = full.clone();
        int at = safeDataByte(flip, mid);
        flip[at] ^= 0x20;
        out.put("bit-flip", flip);

        byte[] noise = full.clone();
        Random r = new Random(1);
        for (int k = 0; k < (end - scan) / 100; k++) {
            int i = safeDataByte(noise, scan + r.nextInt(end - scan));
            noise[i] = (byte) r.nextInt(0xFF);
        }
        out.put("noise-1pct", noise);

        byte[] zeroed = full.clone();
        Arrays.fill(zeroed, mid, Math.min(end, mid + 4096), (byte) 0);
        out.put("zeroed-4k", zeroed);

        out.put("scan-cut-half", concat(Arrays.copyOf(full, mid), new byte[] {(byte) 0xFF, (byte) 0xD9}));
        out.put("early-eoi", insert(full, safeDataByte(full, mid), (byte) 0xFF, (byte) 0xD9));
        out.put("stray-restart-marker", insert(full, safeDataByte(full, mid), (byte) 0xFF, (byte) 0xD3));

        // this frame's headers, the scan of the same picture at half size: too little data for the declared size
        out.put("foreign-scan", concat(Arrays.copyOf(full, scan), Arrays.copyOfRange(half, scanStart(half),
                half.length)));

        byte[] random = full.clone();
        Random rr = new Random(2);
        for (int i = scan; i < end; i++) {
            random[i] = (byte) rr.nextInt(0xFF);
        }
        out.put("random-scan", random);

        // a DHT whose 16 code-length counts add up to more than 256 codes (T.81 B.2.4.2 allows at most 256)
        byte[] dht = full.clone();
        int d = segment(dht, 0xC4);
        Arrays.fill(dht, d + 5, d + 5 + 16, (byte) 0x40);
        out.put("bogus-huffman-table", dht);

        // the first component of the frame header names quantization table 3, which the file never defines
        byte[] dqt = full.clone();
        int sof = segment(dqt, 0xC0);
        dqt[sof + 4 + 8] = 3; // SOF0: FF C0, len(2), P, Y(2), X(2), Nf, then per component C, HV, Tq
        out.put("undefined-quant-table", dqt);
        return out;
    }

    /** Offset of the first byte of entropy-coded data (after the SOS segment). */
    static int scanStart(byte[] d) {
        int sos = segment(d, 0xDA);
        return sos + 2 + (((d[sos + 2] & 0xFF) << 8) | (d[sos + 3] & 0xFF));
    }

    /** Offset of the first marker segment {@code FF <marker>} before the scan data. */
    static int segment(byte[] d, int marker) {
        int i = 2;
        while (i + 4 <= d.length && (d[i] & 0xFF) == 0xFF) {
            int m = d[i + 1] & 0xFF;
            if (m == marker) {
                return i;
            }
            if (m == 0xDA) {
                break;
            }
            i += 2 + (((d[i + 2] & 0xFF) << 8) | (d[i + 3] & 0xFF));
        }
        throw new IllegalArgumentException("no FF " + Integer.toHexString(marker).toUpperCase() + " segment");
    }

    /** The first index at or after {@code from} holding a data byte that is neither {@code FF} nor a stuffed 00. */
    private static int safeDataByte(byte[] d, int from) {
        int i = from;
        while ((d[i] & 0xFF) == 0xFF || (d[i - 1] & 0xFF) == 0xFF || ((d[i] ^ 0x20) & 0xFF) == 0xFF) {
            i++;
        }
        return i;
    }

    private static byte[] insert(byte[] d, int at, byte... bytes) {
        return concat(concat(Arrays.copyOf(d, at), bytes), Arrays.copyOfRange(d, at, d.length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(a.length + b.length);
        o.writeBytes(a);
        o.writeBytes(b);
        return o.toByteArray();
    }

    private static byte[] encode(Mat bgr) {
        try (BytePointer buf = new BytePointer(); IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, 95)) {
            imencode(".jpg", bgr, buf, params);
            byte[] b = new byte[(int) buf.limit()];
            buf.get(b);
            return b;
        }
    }
}

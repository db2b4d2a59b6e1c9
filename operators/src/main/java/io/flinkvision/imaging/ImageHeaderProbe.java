package io.flinkvision.imaging;

import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.InvalidFrameException;
import org.apache.flink.annotation.Internal;

/**
 * Reads an encoded image's declared width and height from its header without decoding pixels, and checks that the
 * file is complete, so that oversized or truncated images are refused before the codec allocates memory for them.
 *
 * <p>Formats: JPEG (ITU T.81 B.2: the signature {@code FF D8 FF} of {@link ImageSignature}, segments, SOFn
 * {@code FFC0..FFCF} except DHT {@code C4}, JPG {@code C8}, DAC {@code CC} holding height then width as big-endian
 * 16-bit; a complete file ends with EOI {@code FFD9}) and PNG (RFC 2083: the 8-byte signature of
 * {@link ImageSignature}, IHDR width and height as big-endian 32-bit, a complete file has
 * an IEND chunk). Bytes after the end marker (EOI, IEND) are accepted and ignored, as libjpeg and libpng ignore them:
 * the end is found by walking the file's structure, not by looking at its last bytes, so that an EXIF thumbnail's EOI
 * or an {@code FF D9} in the trailing bytes is not taken for the image's end.
 */
@Internal
public final class ImageHeaderProbe {
    private ImageHeaderProbe() {}

    /** Declared size of an image, in pixels. */
    public record Dimensions(int width, int height) {
        public long pixels() {
            return (long) width * height;
        }
    }

    /**
     * A JPEG's frame header (ITU T.81 B.2.2, the SOFn segment): what a decoder needs to know before the entropy-coded
     * data.
     *
     * @param width samples per line, pixels
     * @param height lines, pixels
     * @param sofMarker the SOFn marker's second byte: {@code 0xC0} baseline DCT, {@code 0xC1} extended sequential,
     *     {@code 0xC2} progressive, ... ({@code 0xC9..0xCF}: arithmetic coding)
     * @param precision sample precision P, bits (8 or 12)
     * @param horizontalSampling per component, its horizontal sampling factor H (1..4), in frame order
     * @param verticalSampling per component, its vertical sampling factor V (1..4)
     * @param datastreamLength bytes from SOI to the end of the EOI marker ({@link #jpegLength}); bytes after it are
     *     not part of the image
     */
    public record JpegFrame(int width, int height, int sofMarker, int precision, int[] horizontalSampling,
            int[] verticalSampling, int datastreamLength) {
        /** Number of components Nf: 1 (gray), 3 (YCbCr), 4 (CMYK/YCCK). */
        public int components() {
            return horizontalSampling.length;
        }

        /**
         * Whether this is an 8-bit baseline (SOF0, Huffman) colour JPEG with one of the chroma subsamplings of a
         * YCbCr image that the nvJPEG hardware decoder takes (nvJPEG guide, "Hardware Acceleration": baseline
         * Huffman, 4:4:4, 4:2:2, 4:2:0, 4:4:0; chroma components sampled 1x1). What a camera or OpenCV's
         * {@code imencode(".jpg")} writes is; progressive, 12-bit, gray and CMYK files are not.
         */
        public boolean baselineYCbCr() {
            if (sofMarker != 0xC0 || precision != 8 || components() != 3) {
                return false;
            }
            for (int c = 1; c < 3; c++) {
                if (horizontalSampling[c] != 1 || verticalSampling[c] != 1) {
                    return false;
                }
            }
            int h = horizontalSampling[0];
            int v = verticalSampling[0];
            return (h == 1 || h == 2) && (v == 1 || v == 2);
        }
    }

    /**
     * Reads the declared dimensions of a JPEG or PNG.
     *
     * @throws InvalidFrameException {@code decode-failed} when the bytes are not a complete image of that encoding
     *     (bad signature, truncated header, missing EOI/IEND)
     */
    public static Dimensions probe(byte[] data, FrameEncoding encoding) throws InvalidFrameException {
        switch (encoding) {
            case JPEG:
                return probeJpeg(data);
            case PNG:
                return probePng(data);
            default:
                throw new IllegalArgumentException("no header to probe for " + encoding);
        }
    }

    static Dimensions probeJpeg(byte[] d) throws InvalidFrameException {
        JpegFrame f = probeJpegFrame(d);
        return new Dimensions(f.width(), f.height());
    }

    /**
     * Reads a JPEG's frame header (SOFn) after the same completeness checks as {@link #probe}.
     *
     * @throws InvalidFrameException {@code decode-failed} when the bytes are not a complete JPEG or the frame header
     *     is cut short
     */
    public static JpegFrame probeJpegFrame(byte[] d) throws InvalidFrameException {
        if (d.length < 4 || !ImageSignature.isJpeg(d)) {
            throw new InvalidFrameException(DeadLetterReason.DECODE_FAILED,
                    "not a JPEG: no SOI marker and marker after it (FF D8 FF)");
        }
        int length = jpegLength(d);
        int i = 2;
        while (true) {
            int at = JpegDatastream.nextMarker(d, i); // skips stray bytes as libjpeg does; the decoder judges them
            if (at < 0 || at + 4 > d.length) {
                break;
            }
            int marker = d[at + 1] & 0xFF;
            if (JpegDatastream.standalone(marker)) {
                i = at + 2;
                continue;
            }
            if (marker == 0xD9 || marker == 0xDA) {
                break; // EOI or start of scan before any SOF
            }
            int len = JpegDatastream.u16(d, at + 2);
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                if (at + 10 > d.length) {
                    break;
                }
                int h = JpegDatastream.u16(d, at + 5);
                int w = JpegDatastream.u16(d, at + 7);
                int nf = d[at + 9] & 0xFF;
                if (at + 10 + 3L * nf > d.length || len < 8 + 3 * nf) {
                    throw new InvalidFrameException(DeadLetterReason.DECODE_FAILED,
                            "corrupt JPEG: frame header of " + nf + " components cut short at byte " + at);
                }
                int[] hs = new int[nf];
                int[] vs = new int[nf];
                for (int c = 0; c < nf; c++) {
                    int hv = d[at + 11 + 3 * c] & 0xFF;
                    hs[c] = hv >> 4;
                    vs[c] = hv & 0x0F;
                }
                return new JpegFrame(w, h, marker, d[at + 4] & 0xFF, hs, vs, length);
            }
            i = at + 2 + Math.max(2, len); // a length under 2: libjpeg skips the length field only
        }
        throw new InvalidFrameException(DeadLetterReason.DECODE_FAILED, "corrupt JPEG: no frame header (SOF) found");
    }

    /**
     * The length of a JPEG's datastream: the offset just after its EOI marker, found as libjpeg finds it
     * ({@link JpegDatastream}): marker segments are skipped by their length (so an EXIF thumbnail's EOI inside APP1
     * is skipped); entropy-coded data after each SOS runs to EOI or to a marker that may follow a scan and heads a
     * whole segment, and any other {@code FF xx} in it is a damaged data byte left to the decoder; bytes after the
     * EOI are not part of the image. The file's start (SOI) is not checked here.
     *
     * @return the offset after the EOI marker, at most {@code d.length}
     * @throws InvalidFrameException {@code decode-failed} when the file ends before its EOI marker, or another
     *     image's SOI starts inside its scan data (truncated)
     */
    public static int jpegLength(byte[] d) throws InvalidFrameException {
        return JpegDatastream.length(d);
    }

    static Dimensions probePng(byte[] d) throws InvalidFrameException {
        if (d.length < 33) {
            throw new InvalidFrameException(DeadLetterReason.DECODE_FAILED, "truncated PNG: " + d.length + " bytes");
        }
        if (!ImageSignature.isPng(d)) {
            throw new InvalidFrameException(DeadLetterReason.DECODE_FAILED, "not a PNG: bad signature");
        }
        if (d[12] != 'I' || d[13] != 'H' || d[14] != 'D' || d[15] != 'R') {
            throw new InvalidFrameException(DeadLetterReason.DECODE_FAILED, "corrupt PNG: first chunk is not IHDR");
        }
        long w = readU32(d, 16);
        long h = readU32(d, 20);
        if (!hasPngEnd(d)) {
            throw new InvalidFrameException(DeadLetterReason.DECODE_FAILED, "truncated PNG: no IEND chunk");
        }
        if (w > Integer.MAX_VALUE || h > Integer.MAX_VALUE) {
            return new Dimensions(Integer.MAX_VALUE, Integer.MAX_VALUE);
        }
        return new Dimensions((int) w, (int) h);
    }

    /**
     * Whether the chunks after the signature (RFC 2083 3.2: 4-byte length, 4-byte type, data, 4-byte CRC) reach a
     * whole IEND chunk; bytes after it are ignored, as libpng ignores them.
     */
    private static boolean hasPngEnd(byte[] d) {
        long i = 8;
        while (i + 12 <= d.length) {
            int at = (int) i;
            long len = readU32(d, at);
            if (d[at + 4] == 'I' && d[at + 5] == 'E' && d[at + 6] == 'N' && d[at + 7] == 'D') {
                return true;
            }
            i += 12 + len;
        }
        return false;
    }

    private static long readU32(byte[] d, int at) {
        return ((long) (d[at] & 0xFF) << 24) | ((d[at + 1] & 0xFF) << 16) | ((d[at + 2] & 0xFF) << 8) | (d[at + 3] & 0xFF);
    }
}

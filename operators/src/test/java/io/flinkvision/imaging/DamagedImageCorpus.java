package io.flinkvision.imaging;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_OPTIMIZE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_PROGRESSIVE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_RST_INTERVAL;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_411;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_420;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_422;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_444;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_PNG_COMPRESSION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2BGRA;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import io.flinkvision.frame.FrameEncoding;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Real and damaged JPEG and PNG files for fuzzing the header probe against the decoder, generated at run time
 * (deterministic: fixed seeds) from the real frames in {@code operators/src/main/resources/flinkvision/golden}, downscaled to 160x120.
 *
 * <p>Intact files: per frame, JPEGs written by OpenCV/libjpeg at several qualities, chroma subsamplings (4:4:4,
 * 4:2:2, 4:2:0, 4:1:1), progressive, with a restart interval, with optimized Huffman tables and gray; PNGs at
 * compression 0, 3 and 9, gray and BGRA. Damage kinds: trailing bytes (random, zeros, {@code FF} fill, {@code FF D9}
 * or {@code IEND} inside, a second image, over 64 KiB), duplicated end markers, truncation (at many points, and cut
 * in the scan with another file after it), byte flips in the headers and in the data, flips of a stuffed
 * {@code FF 00} to {@code FF xx} (random, and every xx at one place in each of the
 * first frame's files), inserted markers, empty and short segments
 * (JPEG), zero-length chunks and chunk-length flips (PNG).
 *
 * <p>JPEG layout (ITU T.81 B.1.1.5): an entropy-coded segment runs from the end of the SOS segment to the first
 * marker other than a restart marker {@code FF D0..D7}; in it a data byte {@code FF} is followed by a stuffed
 * {@code 00}. PNG layout (RFC 2083 3.2): signature, then chunks of length(4), type(4), data, CRC-32(4) over type and
 * data.
 */
final class DamagedImageCorpus {
    private static final String[] FRAMES = {"vtest_000.jpg", "fruits.jpg", "messi5.jpg"};
    private static final int WIDTH = 160;
    private static final int HEIGHT = 120;

    /** What the probe must say about a variant. */
    enum Expect {
        /** A complete file, possibly with bytes after its end: accepted, same pixels as the intact file. */
        SAME_AS_INTACT,
        /** Cut before its end marker: refused as {@code decode-failed}. */
        TRUNCATED,
        /** Damaged inside: the decoder decides; the probe must not refuse what the decoder decodes. */
        DECODER_DECIDES
    }

    /**
     * One file of the corpus.
     *
     * @param kind the damage kind, for the counts
     * @param name base file and damage, for failure messages
     * @param intact the undamaged file it was made from
     */
    record Variant(String kind, String name, FrameEncoding encoding, Expect expect, byte[] data, byte[] intact) {}

    private DamagedImageCorpus() {}

    /** The real frames, downscaled to 160x120 BGR; the caller closes them. */
    static List<Mat> frames() {
        ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
        List<Mat> out = new ArrayList<>();
        for (String f : FRAMES) {
            try (InputStream in = DamagedImageCorpus.class.getResourceAsStream("/flinkvision/golden/" + f);
                    Mat full = decoder.decode("jpeg", in.readAllBytes(), 0, 0)) {
                Mat small = new Mat();
                resize(full, small, new Size(WIDTH, HEIGHT), 0, 0, INTER_AREA);
                out.add(small);
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            } catch (io.flinkvision.frame.InvalidFrameException e) {
                throw new IllegalStateException(f, e);
            }
        }
        return out;
    }

    /** Intact JPEGs by name: each frame in each of the encoder settings. */
    static Map<String, byte[]> jpegs(List<Mat> frames) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int k = 0; k < frames.size(); k++) {
            Mat bgr = frames.get(k);
            String f = "f" + k;
            out.put(f + "-q50-420", encode(bgr, ".jpg", IMWRITE_JPEG_QUALITY, 50, IMWRITE_JPEG_SAMPLING_FACTOR,
                    IMWRITE_JPEG_SAMPLING_FACTOR_420));
            out.put(f + "-q95-444", encode(bgr, ".jpg", IMWRITE_JPEG_QUALITY, 95, IMWRITE_JPEG_SAMPLING_FACTOR,
                    IMWRITE_JPEG_SAMPLING_FACTOR_444));
            out.put(f + "-q75-422", encode(bgr, ".jpg", IMWRITE_JPEG_QUALITY, 75, IMWRITE_JPEG_SAMPLING_FACTOR,
                    IMWRITE_JPEG_SAMPLING_FACTOR_422));
            out.put(f + "-q85-411", encode(bgr, ".jpg", IMWRITE_JPEG_QUALITY, 85, IMWRITE_JPEG_SAMPLING_FACTOR,
                    IMWRITE_JPEG_SAMPLING_FACTOR_411));
            out.put(f + "-q85-progressive", encode(bgr, ".jpg", IMWRITE_JPEG_QUALITY, 85, IMWRITE_JPEG_PROGRESSIVE,
                    1));
            out.put(f + "-q90-restart4", encode(bgr, ".jpg", IMWRITE_JPEG_QUALITY, 90, IMWRITE_JPEG_RST_INTERVAL,
                    4));
            out.put(f + "-q90-optimized", encode(bgr, ".jpg", IMWRITE_JPEG_QUALITY, 90, IMWRITE_JPEG_OPTIMIZE, 1));
            try (Mat gray = new Mat()) {
                cvtColor(bgr, gray, COLOR_BGR2GRAY);
                out.put(f + "-q90-gray", encode(gray, ".jpg", IMWRITE_JPEG_QUALITY, 90));
            }
        }
        return out;
    }

    /** Intact PNGs by name: each frame at compression 0, 3, 9, gray and BGRA. */
    static Map<String, byte[]> pngs(List<Mat> frames) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int k = 0; k < frames.size(); k++) {
            Mat bgr = frames.get(k);
            String f = "f" + k;
            out.put(f + "-c0", encode(bgr, ".png", IMWRITE_PNG_COMPRESSION, 0));
            out.put(f + "-c3", encode(bgr, ".png", IMWRITE_PNG_COMPRESSION, 3));
            out.put(f + "-c9", encode(bgr, ".png", IMWRITE_PNG_COMPRESSION, 9));
            try (Mat gray = new Mat(); Mat bgra = new Mat()) {
                cvtColor(bgr, gray, COLOR_BGR2GRAY);
                out.put(f + "-gray", encode(gray, ".png", IMWRITE_PNG_COMPRESSION, 6));
                cvtColor(bgr, bgra, COLOR_BGR2BGRA);
                out.put(f + "-bgra", encode(bgra, ".png", IMWRITE_PNG_COMPRESSION, 6));
            }
        }
        return out;
    }

    /** The damaged variants of every intact JPEG, the intact files first. */
    static List<Variant> jpegVariants(Map<String, byte[]> jpegs, byte[] png) {
        List<Variant> out = new ArrayList<>();
        List<byte[]> all = new ArrayList<>(jpegs.values());
        int n = 0;
        for (Map.Entry<String, byte[]> e : jpegs.entrySet()) {
            String base = e.getKey();
            byte[] d = e.getValue();
            byte[] other = all.get((n + 1) % all.size());
            Random r = new Random(1000 + n++);
            Adder add = (kind, what, expect, data) -> out.add(new Variant(kind, base + " " + what,
                    FrameEncoding.JPEG, expect, data, d));
            List<int[]> scans = jpegScans(d);
            int headerEnd = scans.get(0)[0];

            add.add("intact", "intact", Expect.SAME_AS_INTACT, d);
            trailing(add, r, d, other, pngTail(png));
            add.add("duplicated-end", "EOI twice", Expect.SAME_AS_INTACT, concat(d, bytes(0xFF, 0xD9)));
            add.add("duplicated-end", "EOI thrice with fill", Expect.SAME_AS_INTACT,
                    concat(d, bytes(0xFF, 0xFF, 0xD9, 0xFF, 0xD9)));

            for (int cut : cutPoints(r, d.length, headerEnd, stuffedBytes(d, scans))) {
                add.add("truncated", "cut at " + cut, Expect.TRUNCATED, Arrays.copyOf(d, cut));
            }
            for (int k = 0; k < 6; k++) {
                int cut = scanPosition(r, scans);
                add.add("truncated-then-file", "cut at " + cut + " + another file", Expect.TRUNCATED,
                        concat(Arrays.copyOf(d, cut), other));
            }
            List<Integer> stuffed = stuffedBytes(d, scans);
            if (!stuffed.isEmpty()) {
                int cut = stuffed.get(stuffed.size() / 2); // between the FF and its stuffed 00
                add.add("truncated-then-file", "cut at stuffed " + cut + " + another file", Expect.TRUNCATED,
                        concat(Arrays.copyOf(d, cut), other));
            }

            for (int k = 0; k < 25; k++) {
                int at = 2 + r.nextInt(headerEnd - 2);
                add.add("header-flip", "flip at " + at, Expect.DECODER_DECIDES, flip(d, at, 1 + r.nextInt(255)));
            }
            for (int k = 0; k < 25; k++) {
                int at = scanPosition(r, scans);
                add.add("scan-flip", "flip at " + at, Expect.DECODER_DECIDES, flip(d, at, 1 + r.nextInt(255)));
            }
            if (!stuffed.isEmpty()) {
                for (int k = 0; k < 30; k++) {
                    int at = stuffed.get(r.nextInt(stuffed.size()));
                    int x = 1 + r.nextInt(255);
                    add.add("stuffed-flip", String.format("FF 00 -> FF %02X at %d", x, at), Expect.DECODER_DECIDES,
                            set(d, at, x));
                }
                int at = stuffed.get(stuffed.size() / 3);
                for (int x = 1; x <= 0xFF && base.startsWith("f0-"); x++) { // the first frame's files
                    add.add("stuffed-flip-sweep", String.format("FF 00 -> FF %02X at %d", x, at),
                            Expect.DECODER_DECIDES, set(d, at, x));
                }
            }
            insertedMarkers(add, r, d, scans);
            shortSegments(add, d);
        }
        return out;
    }

    /** The damaged variants of every intact PNG, the intact files first. */
    static List<Variant> pngVariants(Map<String, byte[]> pngs, byte[] jpeg) {
        List<Variant> out = new ArrayList<>();
        List<byte[]> all = new ArrayList<>(pngs.values());
        int n = 0;
        for (Map.Entry<String, byte[]> e : pngs.entrySet()) {
            String base = e.getKey();
            byte[] d = e.getValue();
            byte[] other = all.get((n + 1) % all.size());
            Random r = new Random(2000 + n++);
            Adder add = (kind, what, expect, data) -> out.add(new Variant(kind, base + " " + what,
                    FrameEncoding.PNG, expect, data, d));
            List<int[]> chunks = pngChunks(d); // offset, length
            add.add("intact", "intact", Expect.SAME_AS_INTACT, d);
            trailing(add, r, d, other, jpeg);
            add.add("duplicated-end", "IEND twice", Expect.SAME_AS_INTACT, concat(d, pngTail(d)));

            List<Integer> cuts = new ArrayList<>();
            for (int[] c : chunks) {
                cuts.add(c[0] + 4); // inside the length
                cuts.add(c[0] + 8); // after the type
                cuts.add(c[0] + 8 + c[1]); // before the CRC
            }
            for (int cut : cutPoints(r, d.length, 33, cuts)) {
                add.add("truncated", "cut at " + cut, Expect.TRUNCATED, Arrays.copyOf(d, cut));
            }
            for (int k = 0; k < 25; k++) {
                int at = r.nextInt(33);
                add.add("header-flip", "flip at " + at, Expect.DECODER_DECIDES, flip(d, at, 1 + r.nextInt(255)));
            }
            List<int[]> idat = chunks.stream().filter(c -> type(d, c[0]).equals("IDAT")).toList();
            for (int k = 0; k < 25; k++) {
                int[] c = idat.get(r.nextInt(idat.size()));
                int at = c[0] + 8 + r.nextInt(c[1] + 4); // data or CRC
                add.add("data-flip", "flip at " + at, Expect.DECODER_DECIDES, flip(d, at, 1 + r.nextInt(255)));
            }
            for (int k = 0; k < 15; k++) {
                int[] c = chunks.get(r.nextInt(chunks.size()));
                int at = c[0] + r.nextInt(4);
                add.add("chunk-length-flip", "flip at " + at, Expect.DECODER_DECIDES,
                        flip(d, at, 1 + r.nextInt(255)));
            }
            int iend = chunks.get(chunks.size() - 1)[0];
            int firstIdat = idat.get(0)[0];
            add.add("zero-length-chunk", "empty IDAT before IEND", Expect.DECODER_DECIDES,
                    insert(d, iend, chunk("IDAT", true)));
            add.add("zero-length-chunk", "empty tEXt before IDAT", Expect.DECODER_DECIDES,
                    insert(d, firstIdat, chunk("tEXt", true)));
            add.add("zero-length-chunk", "empty private chunk before IEND", Expect.DECODER_DECIDES,
                    insert(d, iend, chunk("prIv", true)));
            add.add("zero-length-chunk", "empty tEXt with a bad CRC", Expect.DECODER_DECIDES,
                    insert(d, firstIdat, chunk("tEXt", false)));
            add.add("zero-length-chunk", "empty IDAT with a bad CRC", Expect.DECODER_DECIDES,
                    insert(d, iend, chunk("IDAT", false)));
            add.add("zero-length-chunk", "IEND with a bad CRC", Expect.DECODER_DECIDES,
                    set(d, d.length - 1, (d[d.length - 1] ^ 0x5A) & 0xFF));
        }
        return out;
    }

    @FunctionalInterface
    interface Adder {
        void add(String kind, String what, Expect expect, byte[] data);
    }

    /** Trailing bytes of many lengths and contents after the complete file {@code d}. */
    private static void trailing(Adder add, Random r, byte[] d, byte[] other, byte[] foreignEnd) {
        for (int size : new int[] {1, 2, 63, 64, 65, 4096, 70_000}) {
            byte[] t = new byte[size];
            r.nextBytes(t);
            add.add("trailing", "random " + size, Expect.SAME_AS_INTACT, concat(d, t));
        }
        add.add("trailing", "zeros 100", Expect.SAME_AS_INTACT, concat(d, new byte[100]));
        byte[] ff = new byte[70_000];
        Arrays.fill(ff, (byte) 0xFF);
        add.add("trailing", "FF x 70000", Expect.SAME_AS_INTACT, concat(d, ff));
        for (int size : new int[] {1000, 70_000}) {
            byte[] t = new byte[size];
            r.nextBytes(t);
            for (int k = 0; k + 1 < size; k += 97) {
                t[k] = (byte) 0xFF;
                t[k + 1] = (byte) 0xD9;
            }
            add.add("trailing", "FF D9 inside " + size, Expect.SAME_AS_INTACT, concat(d, t));
        }
        add.add("trailing", "a second image", Expect.SAME_AS_INTACT, concat(d, other));
        add.add("trailing", "half of a second image", Expect.SAME_AS_INTACT,
                concat(d, Arrays.copyOf(other, other.length / 2)));
        add.add("trailing", "FF D8 FF then garbage", Expect.SAME_AS_INTACT, concat(d, bytes(0xFF, 0xD8, 0xFF, 0xE0,
                0x12)));
        add.add("trailing", "the other format's end marker", Expect.SAME_AS_INTACT,
                concat(concat(d, new byte[50]), foreignEnd));
    }

    /** Cut points: spread over the file, random, at each of {@code special}, at both ends of the header. */
    private static List<Integer> cutPoints(Random r, int length, int headerEnd, List<Integer> special) {
        List<Integer> cuts = new ArrayList<>();
        for (int k = 1; k <= 30; k++) {
            cuts.add((int) ((long) length * k / 31));
        }
        for (int k = 0; k < 10; k++) {
            cuts.add(1 + r.nextInt(length - 1));
        }
        cuts.addAll(List.of(1, 2, 3, 4, headerEnd - 1, headerEnd, headerEnd + 1, length - 3, length - 2,
                length - 1));
        for (int k = 0; k < Math.min(8, special.size()); k++) {
            cuts.add(special.get(r.nextInt(special.size())));
        }
        return cuts.stream().filter(c -> c > 0 && c < length).distinct().sorted().toList();
    }

    /** Markers inserted into the scan data: bare {@code FF xx}, and as empty segments {@code FF xx 00 02}. */
    private static void insertedMarkers(Adder add, Random r, byte[] d, List<int[]> scans) {
        int[] bare = {0xD0, 0xD3, 0xD7, 0xD8, 0xD9, 0xC0, 0xC2, 0xC4, 0xC8, 0xCC, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
            0xE0, 0xE1, 0xEF, 0xF0, 0xFD, 0xFE, 0x01, 0x02, 0x30, 0xBF};
        for (int m : bare) {
            int at = scanPosition(r, scans);
            add.add("inserted-marker", String.format("FF %02X at %d", m, at), Expect.DECODER_DECIDES,
                    insert(d, at, bytes(0xFF, m)));
        }
        for (int m : new int[] {0xC4, 0xDB, 0xDD, 0xE1, 0xFE, 0xDC}) {
            int at = scanPosition(r, scans);
            add.add("inserted-marker", String.format("FF %02X 00 02 at %d", m, at), Expect.DECODER_DECIDES,
                    insert(d, at, bytes(0xFF, m, 0x00, 0x02)));
        }
        add.add("inserted-marker", "fill bytes before EOI", Expect.DECODER_DECIDES,
                insert(d, d.length - 2, bytes(0xFF, 0xFF, 0xFF)));
        add.add("inserted-marker", "EOI in the middle of the scan", Expect.DECODER_DECIDES,
                insert(d, scanPosition(r, scans), bytes(0xFF, 0xD9)));
    }

    /** Empty, short and padded segments before the frame header. */
    private static void shortSegments(Adder add, byte[] d) {
        int[][] segments = {{0xFF, 0xE1, 0x00, 0x02}, {0xFF, 0xFE, 0x00, 0x02}, {0xFF, 0xE1, 0x00, 0x00},
            {0xFF, 0xE1, 0x00, 0x01}, {0xFF, 0xFE, 0x00, 0x00}, {0xFF, 0xFF, 0xFF}, {0x00, 0x00, 0x00},
            {0xFF, 0xD0}, {0xFF, 0x01}};
        for (int[] s : segments) {
            StringBuilder hex = new StringBuilder();
            for (int b : s) {
                hex.append(String.format("%02X ", b));
            }
            add.add("short-segment", hex + "after SOI", Expect.DECODER_DECIDES, insert(d, 2, bytes(s)));
        }
    }

    /** [start, end) of each entropy-coded segment of an intact JPEG (restart markers inside). */
    static List<int[]> jpegScans(byte[] d) {
        List<int[]> out = new ArrayList<>();
        int i = 2;
        while (i + 4 <= d.length && (d[i + 1] & 0xFF) != 0xD9) {
            int m = d[i + 1] & 0xFF;
            i += 2 + (((d[i + 2] & 0xFF) << 8) | (d[i + 3] & 0xFF));
            if (m == 0xDA) {
                int start = i;
                while (!((d[i] & 0xFF) == 0xFF && d[i + 1] != 0 && ((d[i + 1] & 0xFF) < 0xD0
                        || (d[i + 1] & 0xFF) > 0xD7))) {
                    i++;
                }
                out.add(new int[] {start, i});
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no scan");
        }
        return out;
    }

    /** Offsets of the stuffed {@code 00} bytes (after a data {@code FF}) in the scans. */
    private static List<Integer> stuffedBytes(byte[] d, List<int[]> scans) {
        List<Integer> out = new ArrayList<>();
        for (int[] s : scans) {
            for (int i = s[0]; i + 1 < s[1]; i++) {
                if ((d[i] & 0xFF) == 0xFF && d[i + 1] == 0) {
                    out.add(i + 1);
                }
            }
        }
        return out;
    }

    private static int scanPosition(Random r, List<int[]> scans) {
        int[] s = scans.get(r.nextInt(scans.size()));
        return s[0] + r.nextInt(Math.max(1, s[1] - s[0]));
    }

    /** [offset, data length] of each chunk of an intact PNG. */
    private static List<int[]> pngChunks(byte[] d) {
        List<int[]> out = new ArrayList<>();
        int i = 8;
        while (i + 12 <= d.length) {
            int len = ((d[i] & 0xFF) << 24) | ((d[i + 1] & 0xFF) << 16) | ((d[i + 2] & 0xFF) << 8) | (d[i + 3] & 0xFF);
            out.add(new int[] {i, len});
            i += 12 + len;
        }
        return out;
    }

    private static String type(byte[] d, int chunk) {
        return new String(d, chunk + 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** The last chunk (IEND) of a PNG. */
    private static byte[] pngTail(byte[] png) {
        return Arrays.copyOfRange(png, png.length - 12, png.length);
    }

    /** A zero-length chunk of {@code type}, with its CRC-32 or a wrong one. */
    private static byte[] chunk(String type, boolean goodCrc) {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        long c = goodCrc ? crc.getValue() : ~crc.getValue() & 0xFFFFFFFFL;
        return concat(concat(new byte[4], t), bytes((int) (c >>> 24) & 0xFF, (int) (c >>> 16) & 0xFF,
                (int) (c >>> 8) & 0xFF, (int) c & 0xFF));
    }

    private static byte[] flip(byte[] d, int at, int mask) {
        return set(d, at, (d[at] ^ mask) & 0xFF);
    }

    private static byte[] set(byte[] d, int at, int value) {
        byte[] c = d.clone();
        c[at] = (byte) value;
        return c;
    }

    private static byte[] insert(byte[] d, int at, byte[] b) {
        return concat(concat(Arrays.copyOf(d, at), b), Arrays.copyOfRange(d, at, d.length));
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int k = 0; k < v.length; k++) {
            b[k] = (byte) v[k];
        }
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(a.length + b.length);
        o.writeBytes(a);
        o.writeBytes(b);
        return o.toByteArray();
    }

    private static byte[] encode(Mat m, String ext, int... params) {
        try (BytePointer out = new BytePointer(); IntPointer p = new IntPointer(params)) {
            if (!imencode(ext, m, out, p)) {
                throw new IllegalStateException("OpenCV could not write " + ext + " " + Arrays.toString(params));
            }
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }
}

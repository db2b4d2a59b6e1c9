package io.flinkvision.imaging;

import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.InvalidFrameException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds the end of a JPEG datastream (the offset after its EOI marker) as libjpeg reads the file, so that a complete
 * file is told from a truncated one without decoding it.
 *
 * <p>Layout (ITU T.81): a marker is {@code FF} and a byte other than {@code 00} and {@code FF}, optionally preceded
 * by fill bytes {@code FF} (B.1.1.2); marker segments carry a 2-byte length that counts itself (B.1.1.4); after SOS
 * comes entropy-coded data in which an encoder's {@code FF} is followed by a stuffed {@code 00} and restart markers
 * {@code FF D0..D7} separate intervals (B.1.1.5). After a scan only these markers may follow (B.2.1, B.2.4, B.2.5):
 * DHT {@code C4}, DAC {@code CC}, DQT {@code DB}, DRI {@code DD}, APPn {@code E0..EF}, COM {@code FE} (tables and
 * miscellaneous), DNL {@code DC}, SOS {@code DA} (the next scan) and EOI {@code D9}; SOFn, EXP and DHP occur after a
 * scan only in hierarchical files, which libjpeg does not decode.
 *
 * <p>Rules: outside a scan, bytes up to the next {@code FF} and {@code FF 00} are skipped, as libjpeg's marker reader
 * skips them (with a warning), and a segment of length under 2 is skipped by its length field only, as libjpeg
 * skips it. In a scan, the scan ends at EOI, or at one of the markers that may follow a scan when it heads a segment
 * of length at least 2 that is followed by another marker ({@code FF}); any other {@code FF xx} is a damaged data
 * byte: libjpeg stops the scan there and conceals the rest (gray), and whether the image is usable is the decoder's
 * call, not a reason to call the file truncated. An SOI followed by a marker that may follow SOI ({@code FF D8 FF}
 * then a table, APPn, COM or SOFn marker) in a scan is the start of another file: this one was cut before its EOI.
 */
final class JpegDatastream {
    private static final int SOI = 0xD8;
    private static final int EOI = 0xD9;
    private static final int SOS = 0xDA;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    private JpegDatastream() {}

    /**
     * The offset just after the EOI marker that ends the datastream starting at {@code d[0]} (the SOI is not
     * checked); bytes after it are not part of the image.
     *
     * @throws InvalidFrameException {@code decode-failed} when the file ends before its EOI marker or another image
     *     starts inside its scan data (truncated)
     */
    static int length(byte[] d) throws InvalidFrameException {
        int i = 2;
        while (true) {
            int at = nextMarker(d, i);
            if (at < 0) {
                throw truncated("no EOI marker (FF D9) in " + d.length + " bytes");
            }
            int m = d[at + 1] & 0xFF;
            if (m == EOI) {
                return at + 2;
            }
            if (standalone(m)) {
                i = at + 2;
                continue;
            }
            if (at + 4 > d.length) {
                throw truncated("segment FF " + hex(m) + " at byte " + at + " cut short");
            }
            int next = at + 2 + Math.max(2, u16(d, at + 2));
            i = m == SOS ? scanEnd(d, next) : next;
        }
    }

    /**
     * The offset of the next marker's {@code FF} at or after {@code from}, skipping other bytes, {@code FF 00} and
     * fill bytes as libjpeg's {@code next_marker} does; -1 when the file ends first.
     */
    static int nextMarker(byte[] d, int from) {
        int i = from;
        while (i + 1 < d.length) {
            i = nextFF(d, i);
            if (i + 1 >= d.length) {
                break;
            }
            int m = d[i + 1] & 0xFF;
            if (m == 0xFF) {
                i++; // fill byte
            } else if (m == 0x00) {
                i += 2;
            } else {
                return i;
            }
        }
        return -1;
    }

    /** Markers without a length: SOI, RST0..7, TEM (T.81 B.1.1.3, Table B.1). */
    static boolean standalone(int m) {
        return m == SOI || (m >= 0xD0 && m <= 0xD7) || m == 0x01;
    }

    /** The offset of the {@code FF} of the marker that ends the entropy-coded data starting at {@code from}. */
    private static int scanEnd(byte[] d, int from) throws InvalidFrameException {
        int i = from;
        while (i + 1 < d.length) {
            i = nextFF(d, i);
            if (i + 1 >= d.length) {
                break;
            }
            int j = i + 1;
            while (j < d.length && (d[j] & 0xFF) == 0xFF) {
                j++; // fill bytes
            }
            if (j >= d.length) {
                break;
            }
            int at = j - 1;
            int m = d[j] & 0xFF;
            if (m == EOI || (followsScan(m) && segmentAt(d, at))) {
                return at;
            }
            if (m == SOI && j + 2 < d.length && (d[j + 1] & 0xFF) == 0xFF && followsSoi(d[j + 2] & 0xFF)) {
                throw truncated("another image (SOI) starts at byte " + at + " inside the scan data");
            }
            i = j + 1; // stuffed 00, restart marker or a damaged data byte
        }
        throw truncated("no EOI marker (FF D9) in " + d.length + " bytes: the scan data runs to the end");
    }

    /**
     * The index of the first {@code FF} byte at or after {@code from}, or {@code d.length} when there is none. Scans
     * 8 bytes per step: a word {@code x} holds an {@code FF} byte iff {@code ~x} holds a zero byte, tested with
     * {@code (v - 0x01..01) & ~v & 0x80..80} (S. E. Anderson, "Bit Twiddling Hacks", "Determine if a word has a zero
     * byte"), whose lowest set bit marks the first such byte in little-endian order. In entropy-coded data about one
     * byte in 256 is {@code FF}, so this skips most of a frame's 100+ KB in word steps (profiled: the byte loop was
     * the job's hottest Java code, docs/benchmarks/h100-2026-12-08b).
     */
    static int nextFF(byte[] d, int from) {
        int i = from;
        int words = d.length - 7;
        while (i < words) {
            long x = (long) LONGS.get(d, i);
            long t = (~x - 0x0101010101010101L) & x & 0x8080808080808080L;
            if (t != 0) {
                return i + (Long.numberOfTrailingZeros(t) >>> 3);
            }
            i += 8;
        }
        while (i < d.length && d[i] != (byte) 0xFF) {
            i++;
        }
        return i;
    }

    /** Markers that may follow a scan's entropy-coded data, other than EOI and RSTn (T.81 B.2.1, B.2.4, B.2.5). */
    private static boolean followsScan(int m) {
        return m == 0xC4 || m == 0xCC || m == SOS || m == 0xDB || m == 0xDC || m == 0xDD || (m >= 0xE0 && m <= 0xEF)
                || m == 0xFE;
    }

    /** Markers that may follow SOI: tables and miscellaneous (B.2.4) or a frame header SOFn (B.2.2). */
    private static boolean followsSoi(int m) {
        return (m >= 0xC0 && m <= 0xCF && m != 0xC8) || m == 0xDB || m == 0xDD || (m >= 0xE0 && m <= 0xEF)
                || m == 0xFE;
    }

    /** Whether {@code d[at]} heads a whole segment (length at least 2) that another marker follows. */
    private static boolean segmentAt(byte[] d, int at) {
        if (at + 4 > d.length) {
            return false;
        }
        int len = u16(d, at + 2);
        int end = at + 2 + len;
        return len >= 2 && end < d.length && (d[end] & 0xFF) == 0xFF;
    }

    static int u16(byte[] d, int at) {
        return ((d[at] & 0xFF) << 8) | (d[at + 1] & 0xFF);
    }

    private static String hex(int m) {
        return String.format("%02X", m);
    }

    private static InvalidFrameException truncated(String what) {
        return new InvalidFrameException(DeadLetterReason.DECODE_FAILED, "truncated JPEG: " + what);
    }
}

package io.flinkvision.frame;

import java.util.Locale;
import java.util.Optional;
import org.apache.flink.annotation.PublicEvolving;

/**
 * How a frame's Kafka record value is encoded. The wire name is the value of the {@link FrameHeaders#ENCODING}
 * header.
 *
 * <ul>
 *   <li>{@link #JPEG}: a JFIF/EXIF JPEG file, any size; width and height come from the image itself.</li>
 *   <li>{@link #PNG}: a PNG file (8-bit gray, BGR or BGRA are accepted).</li>
 *   <li>{@link #RAW_BGR}: packed 8-bit BGR pixels, row-major, no padding: exactly {@code width * height * 3} bytes;
 *       the {@link FrameHeaders#WIDTH} and {@link FrameHeaders#HEIGHT} headers are required.</li>
 * </ul>
 */
@PublicEvolving
public enum FrameEncoding {
    JPEG("jpeg"),
    PNG("png"),
    RAW_BGR("raw-bgr");

    private final String wireName;

    FrameEncoding(String wireName) {
        this.wireName = wireName;
    }

    /** The header value, e.g. {@code "jpeg"}. */
    public String wireName() {
        return wireName;
    }

    /**
     * Parses a header value (case-insensitive; {@code "jpg"} is accepted for JPEG).
     *
     * @return the encoding, or empty when the name is unknown
     */
    public static Optional<FrameEncoding> fromWireName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("jpg")) {
            return Optional.of(JPEG);
        }
        for (FrameEncoding e : values()) {
            if (e.wireName.equals(n)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}

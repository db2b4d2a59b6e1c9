package io.flinkvision.frame;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Kafka header names of a frame record: the producer contract documented in the README.
 *
 * <p>All header values are UTF-8 text. The record key is the camera id (UTF-8), the value the encoded image, and the
 * record timestamp equals {@link #CAPTURE_TIMESTAMP} (ms since the Unix epoch).
 */
@PublicEvolving
public final class FrameHeaders {
    /** Frame index within the camera's stream, a non-negative decimal long. Required. */
    public static final String FRAME_INDEX = "frame-index";
    /** Capture time, milliseconds since the Unix epoch, decimal long. Optional: the record timestamp is used when absent. */
    public static final String CAPTURE_TIMESTAMP = "capture-ts";
    /** {@link FrameEncoding} wire name: {@code jpeg}, {@code png} or {@code raw-bgr}. Required. */
    public static final String ENCODING = "encoding";
    /** Image width in pixels; required for {@code raw-bgr}, informational otherwise. */
    public static final String WIDTH = "width";
    /** Image height in pixels; required for {@code raw-bgr}, informational otherwise. */
    public static final String HEIGHT = "height";

    private FrameHeaders() {}
}

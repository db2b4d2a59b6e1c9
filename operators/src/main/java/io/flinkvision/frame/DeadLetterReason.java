package io.flinkvision.frame;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Machine-readable reasons why a frame produced a dead letter (or an error record) instead of detections. The
 * {@link #code()} is what travels in the dead-letter record's {@code dlq.reason} header and in {@code detect}'s output.
 */
@PublicEvolving
public enum DeadLetterReason {
    /** A required header ({@code frame-index}, {@code encoding}) is absent. */
    MISSING_HEADER("missing-header"),
    /** A header is present but cannot be parsed (e.g. a non-numeric frame index). */
    MALFORMED_HEADER("malformed-header"),
    /** The {@code encoding} header names an encoding this operator does not know. */
    UNKNOWN_ENCODING("unknown-encoding"),
    /** The record value is null or has zero bytes. */
    EMPTY_PAYLOAD("empty-payload"),
    /** The record value is larger than the configured maximum frame size in bytes. */
    PAYLOAD_TOO_LARGE("payload-too-large"),
    /** The image header declares more pixels than the configured limit; refused before decoding. */
    IMAGE_TOO_LARGE("image-too-large"),
    /** The image is smaller than the minimum size the model can use (less than 2x2 pixels). */
    IMAGE_TOO_SMALL("image-too-small"),
    /** A raw frame's byte count disagrees with its declared width and height. */
    SIZE_MISMATCH("size-mismatch"),
    /** The codec could not decode the bytes (truncated, corrupt, or not an image of the declared encoding). */
    DECODE_FAILED("decode-failed"),
    /** The engine did not answer within the async timeout. */
    INFERENCE_TIMEOUT("inference-timeout"),
    /** The engine failed on the batch holding this frame. */
    INFERENCE_FAILED("inference-failed");

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    /** Stable machine-readable code, e.g. {@code "decode-failed"}. */
    public String code() {
        return code;
    }
}

package io.flinkvision.imaging;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.InvalidFrameException;
import org.apache.flink.annotation.Internal;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Decodes an encoded frame into an 8-bit BGR OpenCV image ({@code CV_8UC3}, {@code H x W x 3}, row-major), with the
 * checks that turn bad input into a {@link DeadLetterReason} instead of a crash or a silently wrong image:
 * empty payload, payload over {@link DecodeLimits#maxFrameBytes()}, declared size over {@link DecodeLimits#maxPixels()}
 * (read from the header before decoding), truncated JPEG/PNG, codec failure, raw size mismatch, images under 2x2.
 *
 * <p>JPEG and PNG are decoded by OpenCV {@code imdecode(IMREAD_COLOR)} (gray and BGRA become BGR, EXIF orientation
 * applied), as the YOLOX reference demo's {@code cv2.imread} does. Thread-safe (stateless).
 */
@Internal
public final class ImageDecoder {
    private final DecodeLimits limits;

    public ImageDecoder(DecodeLimits limits) {
        this.limits = limits;
    }

    public DecodeLimits limits() {
        return limits;
    }

    /**
     * Decodes one frame for device letterboxing: a {@code raw-bgr} payload is checked and wrapped without a copy,
     * JPEG and PNG are decoded as by {@link #decode}. The caller owns (and must close) the result.
     *
     * @return the frame's BGR pixels, at least 2x2
     * @throws InvalidFrameException with the reason code when the frame cannot be decoded (same checks as
     *     {@link #decode})
     */
    public SourceImage decodeSource(String encodingName, byte[] payload, int declaredWidth, int declaredHeight)
            throws InvalidFrameException {
        return decodeSource(encodingName, payload, declaredWidth, declaredHeight, false);
    }

    /**
     * As {@link #decodeSource(String, byte[], int, int)}; with {@code jpegOnDevice}, a JPEG whose frame header says
     * it is 8-bit baseline YCbCr ({@link ImageHeaderProbe.JpegFrame#baselineYCbCr()}) is only checked (complete file,
     * size limits) and wrapped undecoded ({@link SourceImage#ofJpeg}) for the engine to decode on its device; other
     * JPEGs (progressive, gray, CMYK, 12-bit) are decoded here.
     *
     * @param jpegOnDevice whether the engine decodes baseline JPEG on its device
     */
    public SourceImage decodeSource(String encodingName, byte[] payload, int declaredWidth, int declaredHeight,
            boolean jpegOnDevice) throws InvalidFrameException {
        FrameEncoding encoding = checkPayload(encodingName, payload);
        if (encoding == FrameEncoding.RAW_BGR) {
            checkRaw(payload, declaredWidth, declaredHeight);
            return SourceImage.ofBgr(payload, declaredWidth, declaredHeight);
        }
        if (jpegOnDevice && encoding == FrameEncoding.JPEG) {
            ImageHeaderProbe.JpegFrame frame = ImageHeaderProbe.probeJpegFrame(payload);
            if (frame.baselineYCbCr()) {
                checkSize(frame.width(), frame.height(), "declared by the jpeg header");
                // the device decoder gets the datastream only, SOI to EOI: bytes after the EOI are cut off
                int length = frame.datastreamLength(); // found by the probe: the datastream is scanned once
                byte[] jpeg = length == payload.length ? payload : java.util.Arrays.copyOf(payload, length);
                return SourceImage.ofJpeg(jpeg, frame.width(), frame.height());
            }
        }
        return SourceImage.ofMat(decodeCompressed(encoding, payload));
    }

    /**
     * Decodes one frame. The caller owns (and must close) the returned Mat.
     *
     * @param encodingName the frame's encoding header value ({@code jpeg}, {@code png}, {@code raw-bgr})
     * @param payload the encoded bytes
     * @param declaredWidth width header in pixels (required for raw-bgr, else ignored; 0 if absent)
     * @param declaredHeight height header in pixels (as width)
     * @return a BGR {@code CV_8UC3} image of at least 2x2 pixels
     * @throws InvalidFrameException with the reason code when the frame cannot be decoded
     */
    public Mat decode(String encodingName, byte[] payload, int declaredWidth, int declaredHeight)
            throws InvalidFrameException {
        FrameEncoding encoding = checkPayload(encodingName, payload);
        if (encoding == FrameEncoding.RAW_BGR) {
            checkRaw(payload, declaredWidth, declaredHeight);
            Mat m = new Mat(declaredHeight, declaredWidth, CV_8UC3);
            m.data().put(payload, 0, payload.length);
            return m;
        }
        return decodeCompressed(encoding, payload);
    }

    /**
     * Decodes one frame as {@link #decode} does and letterboxes it ({@link Letterbox#apply}); the decoded pixels are
     * freed before this returns.
     *
     * @param letterbox the model input's letterbox, whose pooled canvas the result holds
     * @return the letterboxed planar image (close it once copied into a batch)
     * @throws InvalidFrameException with the reason code when the frame cannot be decoded (same checks as
     *     {@link #decode})
     */
    public LetterboxedImage decodeLetterboxed(String encodingName, byte[] payload, int declaredWidth,
            int declaredHeight, Letterbox letterbox) throws InvalidFrameException {
        try (Mat bgr = decode(encodingName, payload, declaredWidth, declaredHeight)) {
            return letterbox.apply(bgr);
        }
    }

    /** The encoding, after the checks every payload gets: known encoding, not empty, not over the byte limit. */
    private FrameEncoding checkPayload(String encodingName, byte[] payload) throws InvalidFrameException {
        FrameEncoding encoding = FrameEncoding.fromWireName(encodingName).orElseThrow(() ->
                new InvalidFrameException(DeadLetterReason.UNKNOWN_ENCODING, "unknown encoding '" + encodingName
                        + "' (expected jpeg, png or raw-bgr)"));
        if (payload == null || payload.length == 0) {
            throw new InvalidFrameException(DeadLetterReason.EMPTY_PAYLOAD, "frame payload is empty (0 bytes)");
        }
        if (payload.length > limits.maxFrameBytes()) {
            throw new InvalidFrameException(DeadLetterReason.PAYLOAD_TOO_LARGE, "frame payload is " + payload.length
                    + " bytes, over the limit of " + limits.maxFrameBytes() + " bytes (inference.max-frame-bytes)");
        }
        return encoding;
    }

    /** JPEG or PNG to a BGR image, after checking the size its header declares. */
    private Mat decodeCompressed(FrameEncoding encoding, byte[] payload) throws InvalidFrameException {
        ImageHeaderProbe.Dimensions dims = ImageHeaderProbe.probe(payload, encoding);
        checkSize(dims.width(), dims.height(), "declared by the " + encoding.wireName() + " header");
        Mat decoded;
        try (BytePointer bytes = new BytePointer(payload); Mat buf = new Mat(1, payload.length, CV_8UC1, bytes)) {
            decoded = imdecode(buf, IMREAD_COLOR);
        }
        if (decoded == null || decoded.empty() || decoded.type() != CV_8UC3) {
            if (decoded != null) {
                decoded.close();
            }
            throw new InvalidFrameException(DeadLetterReason.DECODE_FAILED, "OpenCV could not decode the "
                    + encoding.wireName() + " payload of " + payload.length + " bytes");
        }
        return decoded;
    }

    private void checkRaw(byte[] payload, int w, int h) throws InvalidFrameException {
        if (w <= 0 || h <= 0) {
            throw new InvalidFrameException(DeadLetterReason.MISSING_HEADER,
                    "raw-bgr frame needs positive 'width' and 'height' headers, got " + w + "x" + h);
        }
        checkSize(w, h, "declared by the width/height headers");
        long expected = (long) w * h * 3;
        if (payload.length != expected) {
            throw new InvalidFrameException(DeadLetterReason.SIZE_MISMATCH, "raw-bgr frame of " + w + "x" + h
                    + " needs " + expected + " bytes, got " + payload.length);
        }
    }

    private void checkSize(int w, int h, String what) throws InvalidFrameException {
        if ((long) w * h > limits.maxPixels()) {
            throw new InvalidFrameException(DeadLetterReason.IMAGE_TOO_LARGE, "image of " + w + "x" + h + " pixels "
                    + what + " is over the limit of " + limits.maxPixels() + " pixels (inference.max-pixels)");
        }
        if (w < 2 || h < 2) {
            throw new InvalidFrameException(DeadLetterReason.IMAGE_TOO_SMALL, "image of " + w + "x" + h + " pixels "
                    + what + " is smaller than 2x2");
        }
    }
}

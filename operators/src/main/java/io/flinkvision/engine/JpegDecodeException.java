package io.flinkvision.engine;

import org.apache.flink.annotation.Internal;

/**
 * A batch failed because the device's JPEG decoder refused or could not decode one of its JPEG files (an engine that
 * {@link InferenceEngine#decodesJpegOnDevice()}; nvJPEG's batched decode fails the whole batch for one file). Nothing
 * of the batch ran: its frames can be decoded on the host and submitted again.
 */
@Internal
public class JpegDecodeException extends InferenceException {
    private static final long serialVersionUID = 1L;

    public JpegDecodeException(String message) {
        super(message);
    }
}

package io.flinkvision.engine;

import org.apache.flink.annotation.PublicEvolving;

/** An engine could not be created or failed to run a batch. The message names the call, the error and the device. */
@PublicEvolving
public class InferenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InferenceException(String message) {
        super(message);
    }

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}

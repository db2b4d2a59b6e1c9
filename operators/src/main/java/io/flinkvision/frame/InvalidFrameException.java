package io.flinkvision.frame;

import org.apache.flink.annotation.PublicEvolving;

/**
 * A frame that cannot be turned into detections because of its content (not because of the engine): carries the
 * machine-readable {@link DeadLetterReason} that ends up on the dead-letter record.
 */
@PublicEvolving
public class InvalidFrameException extends Exception {
    private static final long serialVersionUID = 1L;
    private final DeadLetterReason reason;

    public InvalidFrameException(DeadLetterReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public InvalidFrameException(DeadLetterReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}

package io.flinkvision.jobs.producer;

import java.io.IOException;

/**
 * A live source dropped and could not be reopened within the {@link ReconnectPolicy}. The frames read before are
 * sent (and flushed) before this is thrown.
 */
public final class StreamLostException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int reconnects;

    /**
     * Creates the exception.
     *
     * @param message what was lost and how many attempts were made
     * @param reconnects successful reconnects before the final loss
     * @param cause the last open failure, or null
     */
    public StreamLostException(String message, int reconnects, Throwable cause) {
        super(message, cause);
        this.reconnects = reconnects;
    }

    /**
     * Successful reconnects made before the stream was given up.
     *
     * @return count, at least 0
     */
    public int reconnects() {
        return reconnects;
    }
}

package io.flinkvision.jobs.producer;

import java.io.IOException;

/** Where frames come from; read by one thread. {@link #next()} returns null at the end of the input. */
interface FrameSource extends AutoCloseable {
    /**
     * Reads the next frame.
     *
     * @return the frame to encode, or null at the end of the input
     * @throws IOException when the input fails for good
     */
    PendingImage next() throws IOException;

    /** Starts the input over (for {@code loop}). */
    void restart() throws IOException;

    /** Pacing used when none is configured, in frames per second; 0 = as fast as possible. */
    double defaultFps();

    /** One line for the log. */
    String describe();

    @Override
    void close() throws IOException;
}

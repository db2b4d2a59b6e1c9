package io.flinkvision.jobs.cli;

/**
 * A command ended on a failure the user can act on (an engine that cannot open, an input that cannot be read): the
 * command line prints {@link #getMessage()} as one line on stderr, prefixed with the command's name, and exits with
 * {@link #exitCode()}; no stack trace ({@link CliErrors}).
 */
public final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    /**
     * @param exitCode the process exit code, as documented by the command (e.g. {@code detect}: 3 when the engine or
     *     model could not open)
     * @param message one line saying what failed and what to check
     * @param cause the underlying exception (not printed; kept for callers and debuggers), or null
     */
    public CommandFailure(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** The process exit code. */
    public int exitCode() {
        return exitCode;
    }
}

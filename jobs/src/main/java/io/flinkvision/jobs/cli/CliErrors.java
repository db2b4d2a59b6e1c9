package io.flinkvision.jobs.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one place where the command line reports errors, set on the root {@link CommandLine} of
 * {@code video-inference} (and of any command run on its own) by {@link #install}:
 *
 * <ul>
 *   <li>a usage error (an unknown option, a missing or bad value, a {@link ParameterException} thrown by a command's
 *       own checks before it starts anything) is one line on stderr,
 *       {@code detect: Invalid value for option '--backend': unknown backend 'foo': ... (see 'video-inference detect
 *       --help')}, and exit code {@value #USAGE};</li>
 *   <li>a {@link CommandFailure} is one line, {@code <command>: <message>}, with its own exit code;</li>
 *   <li>any other exception is a bug or an environment failure: one line naming it, then its stack trace (for the
 *       bug report), exit code {@value #FAILED}.</li>
 * </ul>
 */
public final class CliErrors implements IParameterExceptionHandler, IExecutionExceptionHandler {
    /** Exit code of a command that ran and failed (picocli's default for an exception). */
    public static final int FAILED = 1;
    /** Exit code of a usage error: bad or missing options or arguments (picocli's default). */
    public static final int USAGE = 2;

    private CliErrors() {}

    /**
     * Sets these handlers (and case-insensitive enum values) on {@code cl} and every subcommand it has now.
     *
     * @return {@code cl}
     */
    public static CommandLine install(CommandLine cl) {
        CliErrors h = new CliErrors();
        cl.setParameterExceptionHandler(h);
        cl.setExecutionExceptionHandler(h);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        StringBuilder line = new StringBuilder(cmd.getCommandName()).append(": ").append(oneLine(ex.getMessage()));
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                line.append("; did you mean ").append(String.join(" or ", suggestions.subList(0,
                        Math.min(3, suggestions.size())))).append('?');
            }
        }
        line.append(" (see '").append(cmd.getCommandSpec().qualifiedName()).append(" --help')");
        PrintWriter err = cmd.getErr();
        err.println(line);
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        try {
            if (ex instanceof CommandFailure f) {
                err.println(cmd.getCommandName() + ": " + oneLine(f.getMessage()));
                return f.exitCode();
            }
            err.println(cmd.getCommandName() + ": failed: " + oneLine(String.valueOf(ex)));
            ex.printStackTrace(err);
            return cmd.getCommandSpec().exitCodeOnExecutionException();
        } finally {
            err.flush();
        }
    }

    /** The message with line breaks folded into spaces. */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}

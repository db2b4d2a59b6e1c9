package io.flinkvision.jobs;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects the errors (with a throwable) that Flink's runtime logs in this JVM, because an in-process MiniCluster
 * reports a TaskManager that cannot start only in its log: an exception in the TaskExecutor's RPC main thread
 * ({@code PekkoRpcActor: Caught exception while executing runnable in main thread}, e.g. a JRE without
 * {@code java.management.rmi}) or its fatal-error handler ({@code MiniCluster: TaskManager #N failed}). A log4j2
 * appender on the root logger at ERROR, for loggers under {@code org.apache.flink.runtime}; keeps the first
 * {@value #MAX_EVENTS}. Without log4j2-core as the logging backend it collects nothing. It sees Flink's RPC threads
 * only because {@code log4j2.component.properties} selects one logging context for the JVM (Flink loads Pekko in a
 * classloader of its own, which would otherwise log through a context of its own).
 */
final class FlinkErrorLog implements AutoCloseable {
    /** One logged error: the logger, its message, the throwable and whether a TaskExecutor frame threw it. */
    record Event(String logger, String message, Throwable thrown, boolean fromTaskExecutor) {
        /** The error in one line: the message and the throwable with its root cause. */
        String describe() {
            Throwable root = thrown;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return message + ": " + thrown + (root != thrown ? " (root cause: " + root + ")" : "");
        }
    }

    static final int MAX_EVENTS = 20;
    private static final String TASK_EXECUTOR_PACKAGE = "org.apache.flink.runtime.taskexecutor.";

    private final List<Event> events = new ArrayList<>();
    private final LoggerContext context;
    private final AbstractAppender appender;

    private FlinkErrorLog() {
        org.apache.logging.log4j.spi.LoggerContext ctx = LogManager.getContext(false);
        if (!(ctx instanceof LoggerContext core)) {
            context = null;
            appender = null;
            return;
        }
        context = core;
        appender = new AbstractAppender("flinkvision-flink-errors-" + System.identityHashCode(this), null, null, true,
                Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent e) {
                if (e.getThrown() != null && e.getLoggerName() != null
                        && e.getLoggerName().startsWith("org.apache.flink.runtime")) {
                    record(new Event(e.getLoggerName(), e.getMessage().getFormattedMessage(), e.getThrown(),
                            thrownBy(e.getThrown(), TASK_EXECUTOR_PACKAGE)));
                }
            }
        };
        appender.start();
        core.getConfiguration().getRootLogger().addAppender(appender, Level.ERROR, null);
        core.updateLoggers();
    }

    /** Starts collecting. */
    static FlinkErrorLog install() {
        return new FlinkErrorLog();
    }

    private synchronized void record(Event e) {
        if (events.size() < MAX_EVENTS) {
            events.add(e);
        }
    }

    /** The errors collected so far, oldest first. */
    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    private static boolean thrownBy(Throwable t, String packagePrefix) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            for (StackTraceElement f : c.getStackTrace()) {
                if (f.getClassName().startsWith(packagePrefix)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (context != null) {
            context.getConfiguration().getRootLogger().removeAppender(appender.getName());
            context.updateLoggers();
            appender.stop();
        }
    }
}

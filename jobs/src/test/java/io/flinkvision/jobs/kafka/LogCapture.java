package io.flinkvision.jobs.kafka;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/** Collects every log event that reaches Log4j's root logger (after the loggers' levels and filters) while open. */
public final class LogCapture extends AbstractAppender implements AutoCloseable {
    /** One captured event: level, logger name, formatted message and the thrown exception's text (or null). */
    public record Line(Level level, String logger, String message, String thrown) {
        @Override
        public String toString() {
            return level + " " + logger + " - " + message + (thrown == null ? "" : " [" + thrown + "]");
        }
    }

    public final List<Line> lines = new CopyOnWriteArrayList<>();

    private LogCapture() {
        super("capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
    }

    public static LogCapture open() {
        LogCapture c = new LogCapture();
        c.start();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getRootLogger().addAppender(c, Level.ALL, null);
        ctx.updateLoggers();
        return c;
    }

    @Override
    public void append(LogEvent e) {
        lines.add(new Line(e.getLevel(), e.getLoggerName(), e.getMessage().getFormattedMessage(),
                e.getThrown() == null ? null : e.getThrown().toString()));
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getRootLogger().removeAppender(getName());
        ctx.updateLoggers();
        stop();
    }
}

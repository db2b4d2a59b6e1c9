package io.flinkvision.engine.tensorrt.plan;

import io.flinkvision.engine.EngineStatus;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns TensorRT builder log messages into progress lines with a phase and a percent, because an engine build takes
 * minutes (docs/DESIGN.md#tensorrt-plans-and-builder) and a silent TaskManager looks hung.
 *
 * <p>Why log parsing: TensorRT 10's {@code IProgressMonitor} is not implementable from Java with the JavaCPP 1.5.11
 * presets (the class has no allocator/virtual adapter), while {@code ILogger} is. The builder logs, at VERBOSE,
 * {@code "After <pass>: N layers"} (N = layers to time after fusion) and one {@code "Computing costs for <layer>"} per
 * layer it times; the percent is layers timed / N, capped at 99 until {@code "Engine generation completed"}. Phases:
 * {@code parse}, {@code optimize} (graph passes), {@code tactics} (kernel timing), {@code finalize}, {@code done}.
 * Every change also goes to an {@link EngineStatus.Progress} (the console of {@code demo} / {@code job} and the
 * operator's {@code engineBuildProgress} gauge read it). Thread-safe.
 */
final class BuildProgress {
    private static final Pattern LAYERS_AFTER = Pattern.compile("^After [^:]+: (\\d+) layers");
    private static final Pattern COSTS = Pattern.compile("Computing costs for (.+)$");
    private static final Pattern DONE = Pattern.compile("Engine generation completed in ([0-9.]+) seconds");

    private final String label;
    private final Consumer<String> sink;
    private final EngineStatus.Progress status;
    private final long startNanos;
    private final Set<String> timed = new HashSet<>();
    private String phase = "parse";
    private int layers;
    private int pass = 1;
    private int lastReportedPercent = -1;
    private String lastReportedPhase = "";

    /**
     * @param label what is being built, named in every line (e.g. the plan file name)
     * @param sink where progress lines go (e.g. an INFO logger)
     */
    public BuildProgress(String label, Consumer<String> sink) {
        this(label, sink, EngineStatus.Progress.NONE);
    }

    /**
     * @param label what is being built, named in every line (e.g. the plan file name)
     * @param sink where progress lines go (e.g. an INFO logger)
     * @param status where phase and percent go on every change (e.g. {@link EngineStatus#current()} of the opening
     *     thread)
     */
    public BuildProgress(String label, Consumer<String> sink, EngineStatus.Progress status) {
        this.label = label;
        this.sink = sink;
        this.status = status;
        this.startNanos = System.nanoTime();
        publish();
    }

    /** Marks the start of a named phase set by the caller (e.g. {@code optimize} when the builder is invoked). */
    public synchronized void phase(String name) {
        phase = name;
        report(true);
        publish();
    }

    /** Feeds one TensorRT log message (any severity). */
    public synchronized void accept(String message) {
        if (message == null) {
            return;
        }
        try {
            parse(message);
        } finally {
            publish();
        }
    }

    private void parse(String message) {
        Matcher m = LAYERS_AFTER.matcher(message);
        if (m.find()) {
            if (!"optimize".equals(phase) && !"parse".equals(phase)) {
                // a new builder pass (INT8: the calibration network first, then the final one)
                pass++;
                timed.clear();
                phase = "optimize";
                report(true);
            }
            layers = Integer.parseInt(m.group(1));
            phase = "optimize";
            return;
        }
        m = COSTS.matcher(message);
        if (m.find()) {
            timed.add(m.group(1).trim());
            if (!"tactics".equals(phase)) {
                phase = "tactics";
                report(true);
            } else {
                report(false);
            }
            return;
        }
        if (message.startsWith("Total Activation Memory") || message.startsWith("Total Host Persistent Memory")
                || message.contains("Engine Layer Information") || message.contains("[GraphReduction]")
                && "tactics".equals(phase)) {
            if (!"finalize".equals(phase)) {
                phase = "finalize";
                report(true);
            }
            return;
        }
        if (DONE.matcher(message).find()) {
            phase = "done";
            report(true);
        }
    }

    /** Current percent 0..100 (100 only when done). */
    public synchronized int percent() {
        if ("done".equals(phase)) {
            return 100;
        }
        if (layers <= 0) {
            return "finalize".equals(phase) ? 99 : 0;
        }
        int p = (int) (100L * timed.size() / layers);
        return "finalize".equals(phase) ? 99 : Math.min(99, p);
    }

    /** Current phase name. */
    public synchronized String phase() {
        return phase;
    }

    /** Emits a heartbeat line with the elapsed time whatever the percent (called every few seconds by the builder). */
    public synchronized void heartbeat() {
        report(true);
        publish();
    }

    /** The layer count in words ({@code "45 of 100 layers timed"}), empty before the builder logged the count. */
    public synchronized String detail() {
        return layers > 0 ? String.format(Locale.ROOT, "%d of %d layers timed", timed.size(), layers) : "";
    }

    /** The line {@link #report} would emit now. */
    public synchronized String line() {
        double s = (System.nanoTime() - startNanos) / 1e9;
        String detail = layers > 0 ? " (" + detail() + ")" : "";
        return String.format(Locale.ROOT, "TensorRT build %s: %sphase %s, %d%%%s, %.0f s elapsed", label,
                pass > 1 ? "pass " + pass + ", " : "", phase, percent(), detail, s);
    }

    private void publish() {
        String d = detail();
        status.build(phase, percent(), pass > 1 ? "pass " + pass + (d.isEmpty() ? "" : ", " + d) : d);
    }

    private void report(boolean force) {
        int p = percent();
        if (force || p >= lastReportedPercent + 10 || !phase.equals(lastReportedPhase)) {
            lastReportedPercent = p;
            lastReportedPhase = phase;
            sink.accept(line());
        }
    }
}

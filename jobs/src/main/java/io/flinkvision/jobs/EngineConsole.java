package io.flinkvision.jobs;

import io.flinkvision.engine.EngineStatus;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Console lines for the engines of one job in this JVM ({@link EngineStatus}; the TaskManager of a local MiniCluster
 * is in-process), e.g.
 * {@code demo: engine of subtask 1/1: building TensorRT engine, phase tactics 40% (40 of 100 layers timed), 130 s}.
 * {@link #poll()} prints an engine's line when its state, stage or build phase changes, its build percent passes a
 * 10-point step, or every {@value #HEARTBEAT_S} s while it is not ready. Not thread-safe: one polling thread.
 */
public final class EngineConsole {
    /** Seconds between repeated lines of an engine that is still opening or building. */
    public static final int HEARTBEAT_S = 15;

    private final String group;
    private final int subtasks;
    private final PrintStream out;
    private final String prefix;
    private final Map<Integer, Printed> printed = new HashMap<>();
    private List<EngineStatus.Snapshot> last = List.of();

    private record Printed(EngineStatus.State state, String stage, String phase, int percentStep, long atNanos) {}

    /**
     * @param group the job id ({@link EngineStatus.Snapshot#group()})
     * @param subtasks how many inference subtasks the job has (engines to wait for)
     * @param out where lines go
     * @param prefix start of every line, e.g. {@code "demo: "}
     */
    public EngineConsole(String group, int subtasks, PrintStream out, String prefix) {
        this.group = group;
        this.subtasks = subtasks;
        this.out = out;
        this.prefix = prefix;
    }

    /** Reads the engines' state and prints the lines due. */
    public void poll() {
        last = EngineStatus.snapshot(group);
        long now = System.nanoTime();
        for (EngineStatus.Snapshot s : last) {
            Printed p = printed.get(s.subtask());
            Printed n = new Printed(s.state(), s.stage(), s.buildPhase(), s.percent() / 10, now);
            boolean changed = p == null || p.state() != n.state() || !p.stage().equals(n.stage())
                    || !p.phase().equals(n.phase()) || p.percentStep() != n.percentStep();
            boolean heartbeat = p != null && s.state() != EngineStatus.State.READY
                    && s.state() != EngineStatus.State.FAILED && now - p.atNanos() > HEARTBEAT_S * 1_000_000_000L;
            if (changed || heartbeat) {
                out.println(prefix + s.describe());
                printed.put(s.subtask(), n);
            }
        }
    }

    /** Whether, at the last {@link #poll()}, every subtask's engine was ready. */
    public boolean allReady() {
        return ready() >= subtasks;
    }

    /** Engines ready at the last {@link #poll()}. */
    public int ready() {
        return (int) last.stream().filter(s -> s.state() == EngineStatus.State.READY).count();
    }

    /** Subtasks whose engines are awaited. */
    public int subtasks() {
        return subtasks;
    }

    /** The job's latest engine that failed to open (also after Flink restarted the subtask). */
    public Optional<EngineStatus.Snapshot> failed() {
        return EngineStatus.lastFailure(group);
    }

    /** Forgets this job's engines in {@link EngineStatus} (call when the job has ended). */
    public void clear() {
        EngineStatus.clear(group);
    }
}

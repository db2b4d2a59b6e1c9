package io.flinkvision.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.annotation.Internal;

/**
 * Process-wide registry of the engines being opened in this JVM and their state, so that a console in the same process
 * (the {@code demo} and {@code job} commands, whose TaskManager is an in-process MiniCluster) can show a first-run
 * TensorRT build (minutes) instead of looking hung, and can tell "still building" from "failed".
 *
 * <p>Flow: the caller of an engine factory starts a {@link Tracker} with {@link #start} on the opening thread; the
 * factory (ONNX Runtime session creation, TensorRT cache lookup / build / deserialization) reports through
 * {@link #current()} on that same thread; the caller ends it with {@link Tracker#ready}, {@link Tracker#failed} or
 * {@link Tracker#close}. One entry per (group, subtask): a new attempt replaces the previous one. A failed entry stays
 * until replaced, and the group's latest failure until {@link #clear cleared} ({@link #lastFailure}), so that a
 * console polling after the task closed, or after Flink restarted it, still sees the cause. Thread-safe.
 */
@Internal
public final class EngineStatus {
    /** State of one engine. */
    public enum State {
        /** Being opened (model load, session creation, cache lookup, plan deserialization, waiting for another). */
        OPENING,
        /** TensorRT builder running (see {@link Snapshot#buildPhase()} and {@link Snapshot#percent()}). */
        BUILDING,
        /** Open and serving. */
        READY,
        /** Failed to open ({@link Snapshot#failure()} holds the cause). */
        FAILED
    }

    /**
     * What an engine factory reports while it opens. Implementations are cheap (volatile writes) and thread-safe:
     * TensorRT's build heartbeat calls them from its own thread.
     */
    public interface Progress {
        /** A reporter that drops everything (no tracker on this thread). */
        Progress NONE = new Progress() {
            @Override public void stage(String stage) { }
            @Override public void build(String phase, int percent, String detail) { }
        };

        /**
         * A step of opening, in words, e.g. {@code "creating ONNX Runtime session"} or
         * {@code "looking up the TensorRT engine cache"}; leaves {@link State#BUILDING}.
         */
        void stage(String stage);

        /**
         * TensorRT builder progress; enters {@link State#BUILDING}.
         *
         * @param phase builder phase ({@code parse, optimize, tactics, finalize, done})
         * @param percent 0..100
         * @param detail e.g. {@code "45 of 100 layers timed"}, or empty
         */
        void build(String phase, int percent, String detail);
    }

    /**
     * One engine's state at one moment.
     *
     * @param group what the engine belongs to (the Flink job id for operator subtasks)
     * @param subtask subtask index, 0-based
     * @param attempt task attempt number, 0-based
     * @param name what opens it (e.g. {@code "inference (1/2)"})
     * @param backend the requested backend id ({@code auto}, {@code onnxruntime}, {@code tensorrt})
     * @param state the state
     * @param stage current step in words (last one reported), never null
     * @param buildPhase TensorRT builder phase, empty when not building
     * @param percent build percent 0..100 (100 when ready, 0 before any build progress)
     * @param detail build detail or, when ready, the engine in words; never null
     * @param elapsedSeconds seconds since opening started (frozen at ready / failed)
     * @param failure the failure in words ({@code Throwable.toString()} of the cause chain), null unless failed
     */
    public record Snapshot(String group, int subtask, int attempt, String name, String backend, State state,
            String stage, String buildPhase, int percent, String detail, double elapsedSeconds, String failure) {

        /** One console line, e.g. {@code "inference (1/2): building TensorRT engine, phase tactics 45% (...), 120 s"}. */
        public String describe() {
            StringBuilder b = new StringBuilder(name).append(": ");
            switch (state) {
                case BUILDING:
                    b.append(stage).append(", phase ").append(buildPhase).append(' ').append(percent).append('%');
                    if (!detail.isEmpty()) {
                        b.append(" (").append(detail).append(')');
                    }
                    break;
                case READY:
                    b.append("ready");
                    if (!detail.isEmpty()) {
                        b.append(", ").append(detail);
                    }
                    break;
                case FAILED:
                    b.append("FAILED: ").append(failure);
                    break;
                default:
                    b.append(stage);
            }
            return b.append(String.format(Locale.ROOT, ", %.0f s", elapsedSeconds)).toString();
        }
    }

    private static final Map<String, Tracker> ENTRIES = new ConcurrentHashMap<>();
    private static final Map<String, Snapshot> FAILURES = new ConcurrentHashMap<>();
    private static final ThreadLocal<Tracker> CURRENT = new ThreadLocal<>();

    private EngineStatus() {}

    /**
     * Starts tracking an engine being opened on the calling thread (replacing the entry of a previous attempt of the
     * same subtask) and makes it {@link #current()} on this thread until it is ready, failed or closed.
     *
     * @param group the owner, e.g. the Flink job id
     * @param subtask subtask index
     * @param attempt attempt number
     * @param name label for console lines
     * @param backend requested backend id
     */
    public static Tracker start(String group, int subtask, int attempt, String name, String backend) {
        Tracker t = new Tracker(Objects.requireNonNull(group), subtask, attempt, name, backend);
        ENTRIES.put(t.key, t);
        CURRENT.set(t);
        return t;
    }

    /** The reporter of the engine being opened on this thread, or {@link Progress#NONE}. */
    public static Progress current() {
        Tracker t = CURRENT.get();
        return t == null ? Progress.NONE : t;
    }

    /** The engines of one group, by subtask. */
    public static List<Snapshot> snapshot(String group) {
        List<Snapshot> out = new ArrayList<>();
        for (Tracker t : ENTRIES.values()) {
            if (t.group.equals(group)) {
                out.add(t.snapshot());
            }
        }
        out.sort(Comparator.comparingInt(Snapshot::subtask));
        return out;
    }

    /** The group's latest engine failure, kept when a restarted attempt replaced the failed entry. */
    public static Optional<Snapshot> lastFailure(String group) {
        return Optional.ofNullable(FAILURES.get(group));
    }

    /** Forgets every entry and the failure of a group (e.g. when its job has ended). */
    public static void clear(String group) {
        ENTRIES.values().removeIf(t -> t.group.equals(group));
        FAILURES.remove(group);
    }

    /** The state of one engine; report through it ({@link Progress}) and end it exactly once. */
    public static final class Tracker implements Progress, AutoCloseable {
        private final String key;
        private final String group;
        private final int subtask;
        private final int attempt;
        private final String name;
        private final String backend;
        private final long startNanos = System.nanoTime();
        private volatile State state = State.OPENING;
        private volatile String stage = "opening";
        private volatile String buildPhase = "";
        private volatile int percent;
        private volatile String detail = "";
        private volatile String failure;
        private volatile long endNanos;

        private Tracker(String group, int subtask, int attempt, String name, String backend) {
            this.key = group + "/" + subtask;
            this.group = group;
            this.subtask = subtask;
            this.attempt = attempt;
            this.name = name;
            this.backend = backend;
        }

        @Override
        public void stage(String s) {
            if (!ended()) {
                stage = s;
                buildPhase = "";
                detail = "";
                state = State.OPENING;
            }
        }

        @Override
        public void build(String phase, int pct, String d) {
            if (!ended()) {
                if (state != State.BUILDING) {
                    stage = "building TensorRT engine";
                }
                buildPhase = phase;
                percent = Math.max(0, Math.min(100, pct));
                detail = d == null ? "" : d;
                state = State.BUILDING;
            }
        }

        /** The engine is open; {@code engine} describes it (e.g. {@code "tensorrt fp16 on cuda:0"}). */
        public void ready(String engine) {
            detail = engine == null ? "" : engine;
            buildPhase = "";
            percent = 100;
            endNanos = System.nanoTime();
            state = State.READY;
            unbind();
        }

        /** Opening failed with {@code cause}; the entry keeps it until replaced or cleared. */
        public void failed(Throwable cause) {
            failure = describe(cause);
            endNanos = System.nanoTime();
            state = State.FAILED;
            FAILURES.put(group, snapshot());
            unbind();
        }

        /** The engine is closed (or was never ready): removes the entry unless it failed. */
        @Override
        public void close() {
            unbind();
            if (state != State.FAILED) {
                ENTRIES.remove(key, this);
            }
        }

        /** The current state. */
        public State state() {
            return state;
        }

        /** Build percent 0..100 (100 once ready). */
        public int percent() {
            return percent;
        }

        Snapshot snapshot() {
            long end = endNanos != 0 ? endNanos : System.nanoTime();
            return new Snapshot(group, subtask, attempt, name, backend, state, stage, buildPhase, percent, detail,
                    (end - startNanos) / 1e9, failure);
        }

        private boolean ended() {
            State s = state;
            return s == State.READY || s == State.FAILED;
        }

        private void unbind() {
            if (CURRENT.get() == this) {
                CURRENT.remove();
            }
        }

        private static String describe(Throwable t) {
            StringBuilder b = new StringBuilder(String.valueOf(t));
            Throwable c = t.getCause();
            for (int depth = 0; c != null && c != t && depth < 5; depth++, c = c.getCause()) {
                // the causes a wrapper does not already quote
                if (c.getMessage() == null || !b.toString().contains(c.getMessage())) {
                    b.append("; caused by ").append(c);
                }
            }
            return b.toString();
        }
    }
}

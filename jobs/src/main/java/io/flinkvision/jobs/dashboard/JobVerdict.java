package io.flinkvision.jobs.dashboard;

import java.util.Locale;

/**
 * What the page's banner says about the job, decided from what {@link JobHealthMonitor} measured. In this order:
 * <ol>
 *   <li>{@link #OUTAGE}: the Flink REST API reports the job in a state other than RUNNING (RESTARTING, FAILING,
 *       FAILED, CANCELED, FINISHED, ...: nothing is processed);</li>
 *   <li>{@link #OUTAGE}: the input lag grew over the stall window and no detection record was committed in it (a
 *       restart loop in which Flink still reports RUNNING, checkpoints that never complete, a lost TaskManager);</li>
 *   <li>{@link #UNKNOWN}: a watched value could not be read (REST API unreachable, no such job, Kafka not
 *       answering);</li>
 *   <li>{@link #UNWATCHED}: neither a Flink REST URL nor a consumer group was given;</li>
 *   <li>{@link #OK} otherwise.</li>
 * </ol>
 */
final class JobVerdict {
    /** Level: the job makes progress as far as the dashboard can see. */
    static final String OK = "ok";
    /** Level: the job processes nothing (red banner). */
    static final String OUTAGE = "outage";
    /** Level: the job's state or input lag cannot be read (amber banner). */
    static final String UNKNOWN = "unknown";
    /** Level: the dashboard was not told how to watch the job. */
    static final String UNWATCHED = "unwatched";

    private JobVerdict() {}

    /** A level and the sentence the banner shows. */
    record Verdict(String level, String reason) {}

    /** What the verdict is decided from; null values are unknown. */
    record Inputs(boolean jobWatched, String jobState, String jobError, Long restarts, boolean lagWatched,
            String framesTopic, Long inputLagRecords, String lagError, Long lagGrowthRecords,
            Long committedInWindow, long stallWindowMs) {}

    /** Decides the verdict (see the class comment for the rules). */
    static Verdict of(Inputs in) {
        if (in.jobWatched() && in.jobState() != null && !"RUNNING".equalsIgnoreCase(in.jobState())) {
            String state = in.jobState().toUpperCase(Locale.ROOT);
            String after = in.restarts() != null && in.restarts() > 0 ? " after " + in.restarts() + " restart"
                    + (in.restarts() == 1 ? "" : "s") : "";
            String what = switch (state) {
                case "RESTARTING" -> "restarting" + after + ": nothing is processed until it runs again";
                case "FAILING", "FAILED" -> state.toLowerCase(Locale.ROOT) + after
                        + ": nothing is processed until it is resubmitted";
                default -> state + after + ": nothing is processed";
            };
            return new Verdict(OUTAGE, "Job " + what + ".");
        }
        if (in.lagWatched() && in.lagGrowthRecords() != null && in.lagGrowthRecords() > 0
                && in.committedInWindow() != null && in.committedInWindow() == 0) {
            return new Verdict(OUTAGE, "Input stalled: " + in.inputLagRecords() + " records of " + in.framesTopic()
                    + " wait (" + in.lagGrowthRecords() + " more than " + seconds(in.stallWindowMs())
                    + " ago) and no detection record was committed in that time.");
        }
        if (in.jobWatched() && in.jobState() == null) {
            return new Verdict(UNKNOWN, "Job state unknown: " + in.jobError() + ".");
        }
        if (in.lagWatched() && in.inputLagRecords() == null && in.lagError() != null) {
            return new Verdict(UNKNOWN, "Input lag unknown: " + in.lagError() + ".");
        }
        if (!in.jobWatched() && !in.lagWatched()) {
            return new Verdict(UNWATCHED, "The job is not watched: start the dashboard with --flink-rest-url and"
                    + " --group-id to see its state and input lag.");
        }
        return new Verdict(OK, in.jobWatched() ? "Job running."
                : "Input lag not growing (job state not watched: no --flink-rest-url).");
    }

    private static String seconds(long ms) {
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}

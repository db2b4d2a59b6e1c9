package io.flinkvision.jobs.dashboard;

import java.util.List;
import java.util.Locale;

/**
 * The dashboard's {@code /metrics}: what it observes of the job from outside, in the Prometheus text exposition format
 * (version 0.0.4). These series exist as long as the dashboard runs, also while the job's own task metrics are gone
 * (restart loop), so alerts on them never go silent (docker/prometheus/alerts.yml).
 *
 * <ul>
 *   <li>{@code flinkvision_dashboard_detection_records_total} counter: committed detection records read;</li>
 *   <li>{@code flinkvision_dashboard_input_lag_records{topic,group}} gauge: frames not yet committed by the job's
 *       consumer group (only while known);</li>
 *   <li>{@code flinkvision_dashboard_job_state{job_name,state}} gauge: 1 for the job's current Flink state, 0 for the
 *       other states of {@link #STATES} (only while known);</li>
 *   <li>{@code flinkvision_dashboard_job_restarts{job_name}} gauge: the job's {@code numRestarts} (only while
 *       known);</li>
 *   <li>{@code flinkvision_dashboard_dead_letters_total{topic,reason}} counter: dead letters read, per reason (only
 *       while a dead-letter topic is read);</li>
 *   <li>{@code flinkvision_dashboard_cameras{state}} gauge: cameras per state ({@code live}, {@code stalled},
 *       {@code offline}, {@code no-records}; see {@code DashboardState}).</li>
 * </ul>
 */
final class DashboardMetrics {
    /** Flink's {@code JobStatus} values, exported one series each. */
    static final List<String> STATES = List.of("INITIALIZING", "CREATED", "RUNNING", "FAILING", "FAILED",
            "CANCELLING", "CANCELED", "FINISHED", "RESTARTING", "SUSPENDED", "RECONCILING");
    /** Content type of the text exposition format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private DashboardMetrics() {}

    /** Renders the snapshot's job health and counters. */
    static String render(DashboardState.Snapshot s) {
        StringBuilder b = new StringBuilder();
        DashboardState.JobHealth h = s.job();
        b.append("# HELP flinkvision_dashboard_detection_records_total Committed detection records read.\n")
                .append("# TYPE flinkvision_dashboard_detection_records_total counter\n")
                .append("flinkvision_dashboard_detection_records_total{topic=\"").append(esc(s.detectionsTopic()))
                .append("\"} ").append(s.detectionRecordsTotal()).append('\n');
        b.append("# HELP flinkvision_dashboard_input_lag_records Records of the frames topic not yet committed by the"
                + " job's consumer group.\n# TYPE flinkvision_dashboard_input_lag_records gauge\n");
        if (h.inputLagRecords() != null) {
            b.append("flinkvision_dashboard_input_lag_records{topic=\"").append(esc(s.framesTopic()))
                    .append("\",group=\"").append(esc(h.consumerGroup())).append("\"} ").append(h.inputLagRecords())
                    .append('\n');
        }
        b.append("# HELP flinkvision_dashboard_job_state 1 for the job's current state (Flink REST API).\n"
                + "# TYPE flinkvision_dashboard_job_state gauge\n");
        if (h.jobState() != null) {
            String state = h.jobState().toUpperCase(Locale.ROOT);
            for (String st : STATES) {
                b.append("flinkvision_dashboard_job_state{job_name=\"").append(esc(h.jobName())).append("\",state=\"")
                        .append(st).append("\"} ").append(st.equals(state) ? 1 : 0).append('\n');
            }
        }
        b.append("# HELP flinkvision_dashboard_job_restarts The job's restarts (numRestarts, Flink REST API).\n"
                + "# TYPE flinkvision_dashboard_job_restarts gauge\n");
        if (h.restarts() != null) {
            b.append("flinkvision_dashboard_job_restarts{job_name=\"").append(esc(h.jobName())).append("\"} ")
                    .append(h.restarts()).append('\n');
        }
        DashboardState.DeadLetters dl = s.deadLetters();
        b.append("# HELP flinkvision_dashboard_dead_letters_total Dead letters read, by reason.\n"
                + "# TYPE flinkvision_dashboard_dead_letters_total counter\n");
        if (dl.topic() != null) {
            for (DashboardState.ReasonCount r : dl.byReason()) {
                b.append("flinkvision_dashboard_dead_letters_total{topic=\"").append(esc(dl.topic()))
                        .append("\",reason=\"").append(esc(r.reason())).append("\"} ").append(r.count()).append('\n');
            }
        }
        DashboardState.Totals t = s.totals();
        b.append("# HELP flinkvision_dashboard_cameras Cameras per state (wall clock: live, stalled, offline, "
                + "no-records).\n# TYPE flinkvision_dashboard_cameras gauge\n");
        long[] counts = {t.live(), t.stalled(), t.offline(), t.noRecords()};
        String[] states = {DashboardState.LIVE, DashboardState.STALLED, DashboardState.OFFLINE,
            DashboardState.NO_RECORDS};
        for (int i = 0; i < states.length; i++) {
            b.append("flinkvision_dashboard_cameras{state=\"").append(states[i]).append("\"} ").append(counts[i])
                    .append('\n');
        }
        return b.toString();
    }

    private static String esc(String v) {
        return v == null ? "" : v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}

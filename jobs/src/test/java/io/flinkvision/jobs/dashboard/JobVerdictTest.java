package io.flinkvision.jobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The banner's rules ({@link JobVerdict}). */
class JobVerdictTest {
    private static final long WINDOW = 30_000;

    private static JobVerdict.Verdict of(String state, String jobError, Long restarts, Long lag, Long growth,
            Long committed) {
        return JobVerdict.of(new JobVerdict.Inputs(true, state, jobError, restarts, true, "frames", lag, null, growth,
                committed, WINDOW));
    }

    @Test
    void aJobNotRunningIsAnOutage() {
        JobVerdict.Verdict v = of("RESTARTING", null, 14L, 500L, 100L, 0L);
        assertThat(v.level()).isEqualTo(JobVerdict.OUTAGE);
        assertThat(v.reason()).isEqualTo("Job restarting after 14 restarts: nothing is processed until it runs again.");
        assertThat(of("FAILED", null, 1L, 0L, 0L, 0L).reason())
                .isEqualTo("Job failed after 1 restart: nothing is processed until it is resubmitted.");
        assertThat(of("CANCELED", null, 0L, 0L, 0L, 5L).level()).isEqualTo(JobVerdict.OUTAGE);
        assertThat(of("CANCELED", null, 0L, 0L, 0L, 5L).reason()).isEqualTo("Job CANCELED: nothing is processed.");
    }

    @Test
    void growingLagWithNothingCommittedIsAnOutageEvenWhileFlinkSaysRunning() {
        JobVerdict.Verdict v = of("RUNNING", null, 3L, 420L, 150L, 0L);
        assertThat(v.level()).isEqualTo(JobVerdict.OUTAGE);
        assertThat(v.reason()).isEqualTo("Input stalled: 420 records of frames wait (150 more than 30 s ago) and no"
                + " detection record was committed in that time.");
        assertThat(of("RUNNING", null, 0L, 420L, 150L, 1L).level()).as("something committed").isEqualTo(JobVerdict.OK);
        assertThat(of("RUNNING", null, 0L, 420L, 0L, 0L).level()).as("lag not growing (idle producer)")
                .isEqualTo(JobVerdict.OK);
        assertThat(of("RUNNING", null, 0L, 420L, null, null).level()).as("window not covered yet")
                .isEqualTo(JobVerdict.OK);
    }

    @Test
    void unreadableStateIsUnknownNotRunning() {
        JobVerdict.Verdict v = of(null, "Flink REST API: java.net.ConnectException", null, 0L, 0L, 0L);
        assertThat(v.level()).isEqualTo(JobVerdict.UNKNOWN);
        assertThat(v.reason()).isEqualTo("Job state unknown: Flink REST API: java.net.ConnectException.");
        // A stalled input outranks an unreadable job state: it is known to be an outage.
        assertThat(of(null, "no job on the Flink cluster", null, 50L, 50L, 0L).level()).isEqualTo(JobVerdict.OUTAGE);
        JobVerdict.Verdict lag = JobVerdict.of(new JobVerdict.Inputs(true, "RUNNING", null, 0L, true, "frames", null,
                "input lag: TimeoutException", null, null, WINDOW));
        assertThat(lag.level()).isEqualTo(JobVerdict.UNKNOWN);
        assertThat(lag.reason()).isEqualTo("Input lag unknown: input lag: TimeoutException.");
    }

    @Test
    void nothingWatchedSaysSo() {
        JobVerdict.Verdict v = JobVerdict.of(new JobVerdict.Inputs(false, null, null, null, false, "frames", null,
                null, null, null, WINDOW));
        assertThat(v.level()).isEqualTo(JobVerdict.UNWATCHED);
        assertThat(v.reason()).contains("--flink-rest-url").contains("--group-id");
    }
}

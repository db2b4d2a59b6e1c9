package io.flinkvision.jobs.dashboard;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls, every {@value #POLL_MS} ms, what tells whether the job makes progress, from outside the job: its state and
 * restart count from the Flink REST API ({@link FlinkJobProbe}, when a URL is given), the input lag of its consumer
 * group ({@link InputLagProbe}, when a group id is given) and the rate of committed detection records the dashboard
 * reads; {@link JobVerdict} decides from them whether the page shows an outage. The result goes to
 * {@link DashboardState#jobHealth} (the page and {@code /metrics}).
 *
 * <p>When a job's {@code numRestarts} metric is gone (Flink drops the metrics of a job that reached a terminal state,
 * FAILED or CANCELED), the last value read for the same job id is kept.
 */
final class JobHealthMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobHealthMonitor.class);
    /** Poll period. */
    static final long POLL_MS = 2_000;
    /** Window of the committed records/s rate (wall clock). */
    static final long RATE_WINDOW_MS = 10_000;

    private final DashboardState state;
    private final FlinkJobProbe jobProbe;
    private final InputLagProbe lagProbe;
    private final ScheduledExecutorService executor;
    private final long stallWindowMs;
    private final ProgressHistory history;
    private String lastJobError;
    private String lastLagError;
    private String lastJobId;
    private Long lastRestarts;
    private String lastVerdict;

    /**
     * Starts polling.
     *
     * @param jobProbe the Flink REST probe, or null
     * @param lagProbe the input lag probe, or null (closed by {@link #close()})
     * @param stallWindowMs how long the input lag must grow with no detection record committed before the page shows
     *     an outage, ms; longer than the job's checkpoint interval (offsets and records are committed on checkpoints)
     * @throws IllegalArgumentException for a stall window shorter than two polls
     */
    JobHealthMonitor(DashboardState state, FlinkJobProbe jobProbe, InputLagProbe lagProbe, long stallWindowMs) {
        if (stallWindowMs < 2 * POLL_MS) {
            throw new IllegalArgumentException("the input stall window must be at least " + 2 * POLL_MS
                    + " ms (two polls), got " + stallWindowMs);
        }
        this.state = state;
        this.jobProbe = jobProbe;
        this.lagProbe = lagProbe;
        this.stallWindowMs = stallWindowMs;
        this.history = new ProgressHistory(Math.max(stallWindowMs, RATE_WINDOW_MS));
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dashboard-job-health");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::poll, 0, POLL_MS, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        String jobState = null;
        String jobName = null;
        String jobId = null;
        Long restarts = null;
        String jobError = null;
        if (jobProbe != null) {
            try {
                FlinkJobProbe.Job job = jobProbe.read();
                if (job == null) {
                    jobError = "no job on the Flink cluster";
                } else {
                    jobState = job.state();
                    jobName = job.name();
                    jobId = job.id();
                    restarts = job.restarts();
                    if (restarts == null && jobId.equals(lastJobId)) {
                        restarts = lastRestarts;
                    }
                    lastJobId = jobId;
                    lastRestarts = restarts;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                jobError = "Flink REST API: " + e;
            }
            if (jobError != null && !jobError.equals(lastJobError)) {
                LOG.warn("Job state unknown: {}", jobError);
            }
            lastJobError = jobError;
        }
        Long lag = null;
        String lagError = null;
        if (lagProbe != null) {
            try {
                lag = lagProbe.lagRecords();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                lagError = "input lag: " + e;
            }
            if (lagError != null && !lagError.equals(lastLagError)) {
                LOG.warn("Input lag unknown: {}", lagError);
            }
            lastLagError = lagError;
        }
        long now = System.currentTimeMillis();
        history.add(now, lag, state.detectionRecordsTotal());
        Long growth = history.lagGrowth(stallWindowMs);
        JobVerdict.Verdict verdict = JobVerdict.of(new JobVerdict.Inputs(jobProbe != null, jobState, jobError,
                restarts, lagProbe != null, lagProbe == null ? null : lagProbe.topic(), lag, lagError, growth,
                history.committedIn(stallWindowMs), stallWindowMs));
        if (!verdict.level().equals(lastVerdict)) {
            if (JobVerdict.OUTAGE.equals(verdict.level()) || JobVerdict.UNKNOWN.equals(verdict.level())) {
                LOG.warn("Dashboard shows {}: {}", verdict.level(), verdict.reason());
            } else {
                LOG.info("Dashboard shows {}: {}", verdict.level(), verdict.reason());
            }
            lastVerdict = verdict.level();
        }
        state.jobHealth(new DashboardState.JobHealth(jobState, jobName, jobId, restarts, jobError,
                lagProbe == null ? null : lagProbe.groupId(), lag, lagError,
                history.committedPerSecond(RATE_WINDOW_MS), stallWindowMs, growth, verdict.level(),
                verdict.reason()));
    }

    /** Stops polling and closes the Kafka admin client. */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lagProbe != null) {
            lagProbe.close();
        }
    }
}

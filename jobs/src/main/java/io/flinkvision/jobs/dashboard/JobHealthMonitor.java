package io.flinkvision.jobs.dashboard;

import java.util.ArrayDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls, every {@value #POLL_MS} ms, what tells whether the job makes progress, from outside the job: its state and
 * restart count from the Flink REST API ({@link FlinkJobProbe}, when a URL is given), the input lag of its consumer
 * group ({@link InputLagProbe}, when a group id is given) and the rate of committed detection records the dashboard
 * reads. The result goes to {@link DashboardState#jobHealth} (the page and {@code /metrics}).
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
    /** (wall-clock ms, detection records total) of the recent polls. */
    private final ArrayDeque<long[]> counts = new ArrayDeque<>();
    private String lastJobError;
    private String lastLagError;

    /**
     * Starts polling.
     *
     * @param jobProbe the Flink REST probe, or null
     * @param lagProbe the input lag probe, or null (closed by {@link #close()})
     */
    JobHealthMonitor(DashboardState state, FlinkJobProbe jobProbe, InputLagProbe lagProbe) {
        this.state = state;
        this.jobProbe = jobProbe;
        this.lagProbe = lagProbe;
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
        counts.addLast(new long[] {now, state.detectionRecordsTotal()});
        while (counts.size() > 2 && counts.peekFirst()[0] < now - RATE_WINDOW_MS) {
            counts.pollFirst();
        }
        Double rate = null;
        long[] first = counts.peekFirst();
        long[] last = counts.peekLast();
        if (last[0] > first[0]) {
            rate = Math.round((last[1] - first[1]) * 100_000.0 / (last[0] - first[0])) / 100.0;
        }
        state.jobHealth(new DashboardState.JobHealth(jobState, jobName, jobId, restarts, jobError,
                lagProbe == null ? null : lagProbe.groupId(), lag, lagError, rate));
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

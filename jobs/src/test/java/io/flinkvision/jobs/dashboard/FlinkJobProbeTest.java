package io.flinkvision.jobs.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link FlinkJobProbe} against the REST API of a real Flink MiniCluster: a running job, a job restarting in a loop
 * (every record throws, fixed-delay restarts), a job that fails for good, an unreachable address.
 */
@Timeout(300)
class FlinkJobProbeTest {
    /** Bounded wait for a condition; generous for a loaded 2-core machine. */
    static final Duration WAIT = Duration.ofSeconds(180);

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setConfiguration(clusterConfig()).build());

    static Configuration clusterConfig() {
        Configuration c = new Configuration();
        // The REST API reads job metrics (numRestarts) from this cache; refresh it every second, not every 10 s.
        c.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
        return c;
    }

    /** Slows a never-ending sequence down so the job runs until cancelled. */
    static final class Slow implements MapFunction<Long, Long> {
        @Override
        public Long map(Long v) throws Exception {
            Thread.sleep(20);
            return v;
        }
    }

    /** Throws on every record: each restart fails again. */
    static final class Poison implements MapFunction<Long, Long> {
        @Override
        public Long map(Long v) {
            throw new IllegalStateException("poison record " + v);
        }
    }

    /** Submits a never-ending job (parallelism 1) with the given map and restart strategy. */
    static JobClient submit(String name, MapFunction<Long, Long> map, Configuration restart) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(restart);
        env.setParallelism(1);
        env.fromSequence(0, Long.MAX_VALUE).map(map).sinkTo(new DiscardingSink<>());
        return env.executeAsync(name);
    }

    static Configuration noRestarts() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return c;
    }

    static Configuration restartForever() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, Integer.MAX_VALUE);
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        return c;
    }

    static String restUrl(MiniCluster cluster) throws Exception {
        return cluster.getRestAddress().get().toString();
    }

    /** Polls the probe until {@code done} holds for a reading; fails with every distinct reading seen otherwise. */
    static FlinkJobProbe.Job await(FlinkJobProbe probe, java.util.function.Predicate<FlinkJobProbe.Job> done)
            throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            FlinkJobProbe.Job j = probe.read();
            String s = String.valueOf(j);
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(s)) {
                seen.add(s);
            }
            if (j != null && done.test(j)) {
                return j;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("condition not reached within " + WAIT + "; readings: " + seen);
    }

    @Test
    void aRunningJobReadsRunningWithNoRestarts(@InjectMiniCluster MiniCluster cluster) throws Exception {
        JobClient job = submit("probe-running", new Slow(), noRestarts());
        FlinkJobProbe probe = new FlinkJobProbe(restUrl(cluster), "probe-running");
        FlinkJobProbe.Job read = await(probe, j -> "RUNNING".equals(j.state()) && j.restarts() != null);
        assertThat(read.id()).isEqualTo(job.getJobID().toString());
        assertThat(read.name()).isEqualTo("probe-running");
        assertThat(read.restarts()).isZero();
        // Without a name the newest job is read: here the only one.
        assertThat(new FlinkJobProbe(restUrl(cluster) + "/", null).read().id()).isEqualTo(read.id());
        assertThat(new FlinkJobProbe(restUrl(cluster), "no-such-job").read()).isNull();
        job.cancel().get();
        assertThat(await(probe, j -> !"RUNNING".equals(j.state()) && !"CANCELLING".equals(j.state())).state())
                .isEqualTo("CANCELED");
    }

    @Test
    void aRestartLoopCountsRestartsAndAFailedJobReadsFailed(@InjectMiniCluster MiniCluster cluster) throws Exception {
        JobClient loop = submit("probe-restart-loop", new Poison(), restartForever());
        FlinkJobProbe probe = new FlinkJobProbe(restUrl(cluster), "probe-restart-loop");
        FlinkJobProbe.Job read = await(probe, j -> j.restarts() != null && j.restarts() >= 2);
        assertThat(read.id()).isEqualTo(loop.getJobID().toString());
        assertThat(read.state()).as("a restart loop is not a terminal state").isIn("RUNNING", "RESTARTING", "CREATED",
                "INITIALIZING");
        loop.cancel().get();

        JobClient failing = submit("probe-fails", new Poison(), noRestarts());
        FlinkJobProbe failed = new FlinkJobProbe(restUrl(cluster), "probe-fails");
        FlinkJobProbe.Job f = await(failed, j -> "FAILED".equals(j.state()));
        assertThat(f.id()).isEqualTo(failing.getJobID().toString());
    }

    @Test
    void anUnreachableRestApiIsAnIoError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        FlinkJobProbe probe = new FlinkJobProbe("http://127.0.0.1:" + port, null);
        assertThatThrownBy(probe::read).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> new FlinkJobProbe("ftp://jobmanager:8081", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http(s)");
    }
}

package io.flinkvision.jobs;

import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.RpcServiceSharing;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;

/**
 * Network settings of the in-process Flink MiniCluster that {@code java -jar video-inference.jar} commands start.
 * By default Flink binds a MiniCluster's REST endpoint (web UI and job control API, no authentication) and its blob
 * server to all interfaces; these settings keep both on 127.0.0.1. {@link #create} and {@link #submit} run a job on a
 * MiniCluster the caller holds (instead of the one {@code executeAsync} hides), so that it can watch the TaskManager
 * ({@link TaskManagerWatch}).
 */
public final class LocalCluster {
    /** The loopback address every local endpoint binds to. */
    public static final String LOOPBACK = "127.0.0.1";

    private LocalCluster() {}

    /** {@code rest.bind-address}, {@code rest.address} and {@code jobmanager.bind-host} set to 127.0.0.1. */
    public static Configuration loopbackOnly() {
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_ADDRESS, LOOPBACK);
        conf.set(RestOptions.ADDRESS, LOOPBACK);
        conf.set(JobManagerOptions.BIND_HOST, LOOPBACK);
        return conf;
    }

    /**
     * Applies {@link #loopbackOnly()} when {@code env} runs a local MiniCluster (under {@code java -jar}); leaves the
     * environment of a real cluster ({@code flink run}) untouched.
     *
     * @return {@code env}
     */
    public static StreamExecutionEnvironment loopbackIfLocal(StreamExecutionEnvironment env) {
        if (env instanceof LocalStreamEnvironment) {
            env.configure(loopbackOnly());
        }
        return env;
    }

    /**
     * A MiniCluster, not yet started, as {@code StreamExecutionEnvironment.createLocalEnvironment} would run a job
     * on: one TaskManager with {@code slots} slots, a shared RPC service, REST on a free port; plus
     * {@link #loopbackOnly()} and {@code conf}.
     */
    public static MiniCluster create(Configuration conf, int slots) {
        Configuration c = loopbackOnly();
        c.addAll(conf);
        if (!c.contains(RestOptions.BIND_PORT) && !c.contains(RestOptions.PORT)) {
            c.set(RestOptions.BIND_PORT, "0");
        }
        return new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(c).setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(Math.max(1, slots)).setRpcServiceSharing(RpcServiceSharing.SHARED).build());
    }

    /** Slots the job of {@code env} needs on one TaskManager (its largest operator parallelism: slot sharing). */
    public static int slotsFor(StreamExecutionEnvironment env) {
        StreamGraph g = env.getStreamGraph(false);
        return g.getStreamNodes().stream().mapToInt(StreamNode::getParallelism).max().orElse(1);
    }

    /**
     * Submits the job built on {@code env} to a started MiniCluster.
     *
     * @throws Exception when the submission fails (with Flink's cause)
     */
    public static JobID submit(MiniCluster cluster, StreamExecutionEnvironment env, String jobName) throws Exception {
        StreamGraph g = env.getStreamGraph();
        g.setJobName(jobName);
        return cluster.submitJob(g).get(5, TimeUnit.MINUTES).getJobID();
    }
}

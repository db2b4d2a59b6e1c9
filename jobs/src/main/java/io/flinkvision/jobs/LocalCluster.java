package io.flinkvision.jobs;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Network settings of the in-process Flink MiniCluster that {@code java -jar video-inference.jar} commands start.
 * By default Flink binds a MiniCluster's REST endpoint (web UI and job control API, no authentication) and its blob
 * server to all interfaces; these settings keep both on 127.0.0.1.
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
}

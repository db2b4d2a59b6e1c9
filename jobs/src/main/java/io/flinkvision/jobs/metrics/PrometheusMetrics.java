package io.flinkvision.jobs.metrics;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/**
 * Enables Flink's Prometheus reporter ({@code flink-metrics-prometheus}) on a configuration, e.g. the one a MiniCluster
 * is started with ({@code demo --metrics-port}). The reporter serves {@code http://HOST:PORT/metrics} in the
 * Prometheus text format; the inference operator's metrics appear there as {@value #OPERATOR_METRIC_PREFIX}{@code
 * <name>} (docs/METRICS.md).
 *
 * <p>The reporter has no host option: its HTTP server binds {@code new InetSocketAddress(port)}, i.e. all interfaces
 * (read from {@code PrometheusReporter} of Flink 2.2.1). It is reachable on {@code 127.0.0.1} and on every other
 * address of the machine; firewall the port where that matters.
 */
public final class PrometheusMetrics {
    /** Name of the reporter in the configuration keys ({@code metrics.reporter.prom.*}). */
    public static final String REPORTER_NAME = "prom";
    /** Factory of Flink's pull-based Prometheus reporter. */
    public static final String FACTORY_CLASS = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";
    /** Prometheus name prefix of the metrics the inference operator registers in its group {@code flinkvision}. */
    public static final String OPERATOR_METRIC_PREFIX = "flink_taskmanager_job_task_operator_flinkvision_";

    private PrometheusMetrics() {}

    /**
     * Adds the Prometheus reporter to a Flink configuration.
     *
     * @param conf the configuration to change (returned)
     * @param port the port of the reporter's HTTP server, 1..65535
     * @return {@code conf}
     * @throws IllegalArgumentException if the port is out of range
     */
    public static Configuration enable(Configuration conf, int port) {
        checkPort(port);
        conf.set(key("factory.class"), FACTORY_CLASS);
        conf.set(key("port"), Integer.toString(port));
        return conf;
    }

    /**
     * Fails when the port cannot be bound on all interfaces, the way the reporter binds it. Flink only logs a reporter
     * that fails to start and runs the job without it, so callers check first to fail loudly.
     *
     * @throws IOException naming the port when it is in use or not allowed
     */
    public static void requireFreePort(int port) throws IOException {
        checkPort(port);
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            throw new IOException("metrics port " + port + " cannot be bound: " + e.getMessage(), e);
        }
    }

    /** The scrape address on the loopback interface, e.g. {@code http://127.0.0.1:9249/metrics}. */
    public static String scrapeUrl(int port) {
        return "http://127.0.0.1:" + port + "/metrics";
    }

    private static ConfigOption<String> key(String suffix) {
        return ConfigOptions.key("metrics.reporter." + REPORTER_NAME + "." + suffix).stringType().noDefaultValue();
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("metrics port must be in 1..65535, got " + port);
        }
    }
}

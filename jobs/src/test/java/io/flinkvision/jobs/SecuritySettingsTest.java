package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.jobs.dashboard.DashboardCommand;
import io.flinkvision.jobs.kafka.RecommitCheckingKafkaSink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.transformations.SinkTransformation;
import org.apache.flink.streaming.api.transformations.SourceTransformation;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Security basics: Kafka client security settings ({@code security.protocol}, SASL, SSL) given as
 * {@code --kafka-property} reach the Kafka source, both Kafka sinks and the start-up check's admin client unchanged;
 * HTTP endpoints bind to 127.0.0.1 unless told otherwise (the dashboard by default, and the local MiniCluster that
 * {@code job} starts under {@code java -jar}: checked on the sockets the process actually listens on).
 */
class SecuritySettingsTest {
    private static final Map<String, String> SECURITY = new LinkedHashMap<>();

    static {
        SECURITY.put("security.protocol", "SASL_SSL");
        SECURITY.put("sasl.mechanism", "SCRAM-SHA-512");
        SECURITY.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"inference\" password=\"s3cret\";");
        SECURITY.put("ssl.truststore.location", "/etc/kafka/secrets/truststore.jks");
        SECURITY.put("ssl.truststore.password", "changeit");
        SECURITY.put("ssl.endpoint.identification.algorithm", "https");
    }

    @Test
    void kafkaSecuritySettingsReachTheSourceAndBothSinks() throws Exception {
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", "kafka-1:9093,kafka-2:9093"));
        SECURITY.forEach((k, v) -> {
            args.add("--kafka-property");
            args.add(k + "=" + v);
        });
        JobCommand cmd = new JobCommand();
        new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
        JobSettings settings = cmd.settings();
        assertThat(settings.kafkaProperties()).containsAllEntriesOf(SECURITY);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        VideoInferenceJob.build(env, settings);
        List<Source<?, ?, ?>> sources = new ArrayList<>();
        List<Sink<?>> sinks = new ArrayList<>();
        walk(env.getTransformations(), sources, sinks);

        assertThat(sources).hasSize(1).first().isInstanceOf(KafkaSource.class);
        Properties sourceProps = (Properties) field(sources.get(0), "props");
        assertThat(sourceProps).containsAllEntriesOf(SECURITY);
        assertThat(sourceProps).containsEntry("bootstrap.servers", "kafka-1:9093,kafka-2:9093")
                .containsEntry("isolation.level", "read_committed");

        // both sinks are the connector's KafkaSink inside RecommitCheckingKafkaSink, whose admin client gets them too
        assertThat(sinks).hasSize(2).allMatch(s -> s instanceof RecommitCheckingKafkaSink);
        for (Sink<?> wrapper : sinks) {
            assertThat(((RecommitCheckingKafkaSink<?>) wrapper).adminProperties()).containsAllEntriesOf(SECURITY)
                    .containsEntry("bootstrap.servers", "kafka-1:9093,kafka-2:9093");
        }
        sinks.replaceAll(s -> ((RecommitCheckingKafkaSink<?>) s).kafkaSink());
        for (Sink<?> sink : sinks) {
            Properties producer = (Properties) field(sink, "kafkaProducerConfig");
            assertThat(producer).as("producer config of %s", field(sink, "transactionalIdPrefix"))
                    .containsAllEntriesOf(SECURITY).containsEntry("bootstrap.servers", "kafka-1:9093,kafka-2:9093");
        }
        assertThat(sinks).extracting(s -> field(s, "transactionalIdPrefix"))
                .containsExactlyInAnyOrder("video-inference-detections", "video-inference-dlq");
    }

    @Test
    void startUpCheckUsesTheSecuritySettingsToo() {
        // an invalid security.protocol is rejected by the start-up check's Kafka admin client: proof it is passed on
        JobCommand cmd = new JobCommand();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int rc = new CommandLine(cmd).execute("--bootstrap-servers", "127.0.0.1:9", "--kafka-property",
                "security.protocol=CARRIER_PIGEON");
        String line = err.toString(StandardCharsets.UTF_8).strip();
        assertThat(rc).isEqualTo(2);
        assertThat(line).startsWith("job: ").contains("CARRIER_PIGEON").contains("security.protocol");
    }

    @Test
    void dashboardBindsToLoopbackByDefault() {
        CommandLine cl = new CommandLine(new DashboardCommand());
        assertThat(cl.getCommandSpec().findOption("--host").defaultValue()).isEqualTo("127.0.0.1");
    }

    @Test
    void localMiniClusterListensOnLoopbackOnly() throws Exception {
        // control: Flink's own default binds the MiniCluster's REST endpoint and blob server to all interfaces
        assertThat(listenersOfARunningLocalJob(StreamExecutionEnvironment.getExecutionEnvironment()))
                .as("Flink's default").anyMatch(a -> !isLoopback(a));
        // what `job` under java -jar does
        List<String> ours = listenersOfARunningLocalJob(
                LocalCluster.loopbackIfLocal(StreamExecutionEnvironment.getExecutionEnvironment()));
        assertThat(ours).as("listening addresses").isNotEmpty().allMatch(SecuritySettingsTest::isLoopback);
    }

    /** Listening TCP sockets this process opened while a small job ran on the environment's local MiniCluster. */
    private static List<String> listenersOfARunningLocalJob(StreamExecutionEnvironment env) throws Exception {
        Set<String> before = listeningSockets().keySet();
        env.fromSequence(0, Long.MAX_VALUE).map(x -> x).returns(Long.class).sinkTo(new DiscardingSink<>());
        JobClient job = env.executeAsync("listeners");
        try {
            long deadline = System.currentTimeMillis() + 60_000;
            while (job.getJobStatus().get() != JobStatus.RUNNING) {
                assertThat(System.currentTimeMillis()).isLessThan(deadline);
                Thread.sleep(50);
            }
            Map<String, String> after = listeningSockets();
            after.keySet().removeAll(before);
            return new ArrayList<>(after.values());
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    private static boolean isLoopback(String hexAddress) {
        return hexAddress.equals("0100007F") || hexAddress.equals("0000000000000000FFFF00000100007F")
                || hexAddress.equals("00000000000000000000000001000000");
    }

    /** socket inode -> local address (hex, as in /proc/net/tcp[6]) of this process's listening TCP sockets. */
    private static Map<String, String> listeningSockets() throws Exception {
        Set<String> mine = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        mine.add(target.substring(8, target.length() - 1));
                    }
                } catch (Exception e) {
                    // fd closed meanwhile
                }
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && mine.contains(f[9])) { // LISTEN
                    out.put(f[9], f[1].substring(0, f[1].indexOf(':')));
                }
            }
        }
        return out;
    }

    /** Collects the sources and sinks of the job graph, walking back from the sinks. */
    private static void walk(List<Transformation<?>> roots, List<Source<?, ?, ?>> sources, List<Sink<?>> sinks) {
        Deque<Transformation<?>> todo = new ArrayDeque<>(roots);
        Map<Transformation<?>, Boolean> seen = new IdentityHashMap<>();
        while (!todo.isEmpty()) {
            Transformation<?> t = todo.pop();
            if (seen.put(t, true) != null) {
                continue;
            }
            if (t instanceof SourceTransformation<?, ?, ?> st) {
                sources.add(st.getSource());
            }
            if (t instanceof SinkTransformation<?, ?> sk) {
                sinks.add(sk.getSink());
            }
            todo.addAll(t.getInputs());
        }
    }

    private static Object field(Object o, String name) {
        try {
            Field f = o.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return f.get(o);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("no field " + name + " in " + o.getClass(), e);
        }
    }
}

package io.flinkvision.jobs.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.jobs.dashboard.DetectionsDashboard;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records the Prometheus series of a poison-record restart loop for the alert rules test
 * (docker/prometheus/alerts-test.yml). Not part of the build (minutes long); run it with
 * <pre>
 * ./mvnw -B -o -pl jobs -am test -Dtest=RestartLoopRecording -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dflinkvision.record=true
 * </pre>
 * It writes {@code jobs/target/restart-loop-series.yml}: promtool {@code input_series}, one value per scrape (every
 * {@value #SCRAPE_S} s, {@code stale} where a series went missing from a
 * scrape, as Prometheus marks it, {@code _} while it stays missing).
 *
 * <p>The run: an embedded KRaft broker; a Flink MiniCluster with Flink's Prometheus reporter and a fixed REST port;
 * the dashboard ({@link DetectionsDashboard}) watching the job through that REST API and the job's consumer group;
 * a producer writing a frame record every 200 ms. The job reads the frames topic (consumer group committed on
 * checkpoints, every 1 s as in the shipped job), maps each record to a detection record and writes it EXACTLY_ONCE;
 * the map throws on a record "poison". Fixed-delay restarts (5 s, unlimited). For {@value #HEALTHY_SCRAPES} scrapes the
 * job runs healthy (its start-up checkpoints are declined while tasks deploy), then the poison record is produced and
 * the job restarts forever on it for {@value #LOOP_SCRAPES} scrapes.
 */
@EnabledIfSystemProperty(named = "flinkvision.record", matches = "true")
class RestartLoopRecording {
    static final int SCRAPE_S = 5;
    static final int HEALTHY_SCRAPES = 14;
    static final int LOOP_SCRAPES = 58;
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");
    /** The series the alert rules use; others are not recorded. */
    private static final List<String> KEEP = List.of("flink_jobmanager_job_numRestarts",
            "flink_jobmanager_job_numberOfFailedCheckpoints", "flink_jobmanager_job_numberOfCompletedCheckpoints",
            "flink_jobmanager_job_uptime", "flink_jobmanager_job_restartingTime",
            "flink_taskmanager_job_task_numRecordsIn", "flinkvision_dashboard_");

    /** Throws on the poison record: every restart replays it from the last committed offset. */
    static final class PoisonMap implements MapFunction<String, String> {
        @Override
        public String map(String v) {
            if (v.equals("poison")) {
                throw new IllegalStateException("poison record");
            }
            return "{\"cameraId\":\"cam-1\",\"frameIndex\":" + v + ",\"status\":\"ok\",\"captureTimestampMs\":"
                    + System.currentTimeMillis() + ",\"emitTimestampMs\":" + System.currentTimeMillis()
                    + ",\"detections\":[]}";
        }
    }

    @Test
    void record(@TempDir Path checkpoints) throws Exception {
        int promPort = freePort();
        int restPort = freePort();
        List<TreeMap<String, String>> scrapes = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopic("frames", 1);
            kafka.createTopic("detections", 1);
            Configuration conf = new Configuration();
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, Integer.MAX_VALUE);
            conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(5));
            conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            conf.set(RestOptions.ADDRESS, "127.0.0.1");
            conf.set(RestOptions.PORT, restPort);
            PrometheusMetrics.enable(conf, promPort);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
            env.enableCheckpointing(1000);
            env.fromSource(KafkaSource.<String>builder().setBootstrapServers(kafka.bootstrapServers())
                                    .setTopics("frames").setGroupId("video-inference")
                                    .setValueOnlyDeserializer(new SimpleStringSchema())
                                    .setProperty("isolation.level", "read_committed")
                                    .setStartingOffsets(OffsetsInitializer.earliest()).build(),
                            WatermarkStrategy.noWatermarks(), "frames")
                    .map(new PoisonMap()).name("inference")
                    .sinkTo(KafkaSink.<String>builder().setBootstrapServers(kafka.bootstrapServers())
                            .setRecordSerializer(KafkaRecordSerializationSchema.builder().setTopic("detections")
                                    .setValueSerializationSchema(new SimpleStringSchema()).build())
                            .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                            .setTransactionalIdPrefix("restart-loop")
                            .setProperty("transaction.timeout.ms", "60000").build());
            AtomicBoolean poison = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            try (DetectionsDashboard dashboard = DetectionsDashboard.builder()
                    .bootstrapServers(kafka.bootstrapServers()).port(0)
                    .flinkRestUrl("http://127.0.0.1:" + restPort).consumerGroup("video-inference").start();
                    KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.producerProperties(),
                            new StringSerializer(), new StringSerializer())) {
                Thread produce = new Thread(() -> {
                    long i = 0;
                    while (!stop.get()) {
                        producer.send(new ProducerRecord<>("frames", "cam-1", poison.compareAndSet(true, false)
                                ? "poison" : Long.toString(i++)));
                        try {
                            Thread.sleep(200);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "producer");
                produce.start();
                JobClient job = env.executeAsync("video-inference");
                HttpClient http = HttpClient.newHttpClient();
                URI[] targets = {URI.create(PrometheusMetrics.scrapeUrl(promPort)),
                        URI.create(dashboard.uri() + "metrics")};
                for (int n = 0; n < HEALTHY_SCRAPES + LOOP_SCRAPES; n++) {
                    if (n == HEALTHY_SCRAPES) {
                        poison.set(true);
                    }
                    long next = System.currentTimeMillis() + SCRAPE_S * 1000L;
                    TreeMap<String, String> scrape = new TreeMap<>();
                    for (URI u : targets) {
                        try {
                            String body = http.send(HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(4)).build(),
                                    HttpResponse.BodyHandlers.ofString()).body();
                            parse(body, u.getPort() == promPort ? "flink" : "dashboard", scrape);
                        } catch (IOException e) {
                            // not up yet: the series are absent from this scrape
                        }
                    }
                    scrapes.add(scrape);
                    Thread.sleep(Math.max(0, next - System.currentTimeMillis()));
                }
                stop.set(true);
                produce.join();
                job.cancel().get();
            }
        }
        TreeMap<String, List<String>> series = new TreeMap<>();
        for (int i = 0; i < scrapes.size(); i++) {
            for (var e : scrapes.get(i).entrySet()) {
                List<String> values = series.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
                while (values.size() < i) {
                    values.add("_");
                }
                values.add(e.getValue());
            }
        }
        StringBuilder out = new StringBuilder("# recorded by RestartLoopRecording: one value per " + SCRAPE_S
                + " s scrape; poison record produced at scrape " + HEALTHY_SCRAPES + "\n");
        series.forEach((k, v) -> {
            while (v.size() < scrapes.size()) {
                v.add("_");
            }
            // Prometheus writes a staleness marker when a series is missing from a scrape it was in before.
            for (int i = v.size() - 1; i > 0; i--) {
                if (v.get(i).equals("_") && !v.get(i - 1).equals("_")) {
                    v.set(i, "stale");
                }
            }
            out.append("      - series: '").append(k).append("'\n        values: '").append(String.join(" ", v))
                    .append("'\n");
        });
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/restart-loop-series.yml"), out);
        assertThat(series.keySet()).anyMatch(k -> k.startsWith("flink_jobmanager_job_numRestarts"));
    }

    private static void parse(String text, String instance, TreeMap<String, String> into) {
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.matches() || KEEP.stream().noneMatch(m.group(1)::startsWith)) {
                continue;
            }
            String labels = m.group(3) == null ? "" : m.group(3).replaceAll(",$", ""); // the reporter ends with ','

            // Only the labels the rules group by; Flink adds host, job_id, tm_id, task ids...
            List<String> kept = new ArrayList<>();
            for (String l : labels.split(",(?=[a-z_]+=\")")) {
                if (l.startsWith("job_name=") || l.startsWith("state=") || l.startsWith("group=")
                        || l.startsWith("topic=") || l.startsWith("task_name=")) {
                    kept.add(l);
                }
            }
            kept.add("job=\"" + (instance.equals("flink") ? "flink-jobmanager" : "flinkvision-dashboard") + "\"");
            if (m.group(1).startsWith("flink_taskmanager")) {
                kept.set(kept.size() - 1, "job=\"flink-taskmanager\"");
            }
            double v = Double.parseDouble(m.group(4));
            into.put(m.group(1) + "{" + String.join(",", kept) + "}",
                    v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

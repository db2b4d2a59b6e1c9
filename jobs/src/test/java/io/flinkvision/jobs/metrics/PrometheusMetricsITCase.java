package io.flinkvision.jobs.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.jobs.JobSettings;
import io.flinkvision.jobs.VideoInferenceJob;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.producer.VideoToKafka;
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
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's metrics reach Prometheus: the real job ({@link VideoInferenceJob}, ONNX Runtime, bundled model) on a
 * MiniCluster with Flink's Prometheus reporter ({@link PrometheusMetrics#enable}) on a free port, 40 real frames of
 * the shipped clip on an embedded KRaft broker. While the (unbounded) job runs, {@code /metrics} is scraped over HTTP
 * until the operator has counted every frame; then every operator metric must be there under its documented name with
 * plausible values, and the job is cancelled.
 */
class PrometheusMetricsITCase {
    private static final int FRAMES = 40;
    private static final int MAX_BATCH = 8;
    private static final String P = "flink_taskmanager_job_task_operator_flinkvision_";
    private static final List<String> HISTOGRAMS = List.of("batchSize", "queueDelayMs", "engineTimeMs", "h2dMs",
            "computeMs", "d2hMs", "launchToOutputMs", "endToEndLatencyMs");
    private static final List<String> METERS = List.of("framesPerSecond", "detectionsPerSecond",
            "deadLettersPerSecond", "timeoutsPerSecond");
    private static final List<String> COUNTERS = List.of("framesIn", "detectionRecords", "detections", "deadLetters",
            "timeouts", "failedBatches", "lateResults", "framesLetterboxedOnHost", "framesLetterboxedOnDevice",
            "framesJpegDecodedOnDevice", "framesRetriedOnCpu");
    private static final List<String> GAUGES = List.of("batchesInFlight", "deviceMemoryUsedBytes",
            "dispatchBusyRatio");
    /** The quantiles Flink's reporter exports for a histogram (no min/max: there is no 0.0 or 1.0). */
    private static final List<String> QUANTILES = List.of("0.5", "0.75", "0.95", "0.98", "0.99", "0.999");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)$");

    @Test
    void everyOperatorMetricIsScrapedWithPlausibleValues(@TempDir Path checkpoints) throws Exception {
        int port = freePort();
        String text;
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopic("frames", 1);
            kafka.createTopic("detections", 1);
            kafka.createTopic("frames-dlq", 1);
            Path clip = Path.of("../data/vtest.avi");
            assertThat(clip).exists();
            long sent = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("frames")
                    .input(clip.toString()).cameraId("cam-metrics").fps(0).maxFrames(FRAMES).build().run();
            assertThat(sent).isEqualTo(FRAMES);

            Configuration conf = new Configuration();
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            conf.set(RestOptions.ADDRESS, "127.0.0.1");
            PrometheusMetrics.enable(conf, port);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
            VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                    .startFrom(JobSettings.StartFrom.EARLIEST).checkpointIntervalMs(1000)
                    .checkpointDir(checkpoints.toUri().toString())
                    .inference(InferenceOptions.BACKEND.key(), "ONNXRUNTIME")
                    .inference(InferenceOptions.MAX_BATCH_SIZE.key(), Integer.toString(MAX_BATCH))
                    .inference(InferenceOptions.MAX_QUEUE_DELAY_MS.key(), "20")
                    .build()); // unbounded: it runs until cancelled below
            JobClient job = env.executeAsync("metrics-scrape");
            try {
                text = scrapeUntilAllFramesCounted(port, job);
            } finally {
                job.cancel().get();
            }
        }
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/prometheus-scrape.txt"), text); // for docs/METRICS.md samples
        List<Sample> samples = parse(text);

        for (String h : HISTOGRAMS) {
            for (String q : QUANTILES) {
                assertThat(find(samples, P + h, "quantile", q)).as(h + " quantile " + q).isPresent();
            }
            assertThat(find(samples, P + h + "_count", null, null)).as(h + "_count").isPresent();
        }
        for (String m : concat(METERS, COUNTERS, GAUGES)) {
            assertThat(find(samples, P + m, null, null)).as(m).isPresent();
        }
        Sample frames = find(samples, P + "framesIn", null, null).orElseThrow();
        assertThat(frames.value).isEqualTo(FRAMES);
        assertThat(frames.labels).contains("operator_name=\"inference\"").contains("job_name=\"metrics_scrape\"");
        assertThat(value(samples, P + "detectionRecords")).isEqualTo(FRAMES);
        assertThat(value(samples, P + "detections")).as("people in the street clip").isGreaterThan(FRAMES);
        assertThat(value(samples, P + "deadLetters")).isZero();
        assertThat(value(samples, P + "timeouts")).isZero();
        assertThat(value(samples, P + "failedBatches")).isZero();
        assertThat(value(samples, P + "lateResults")).isZero();
        // ONNX Runtime letterboxes on the host: every frame of a dispatched batch is counted there
        assertThat(value(samples, P + "framesLetterboxedOnDevice")).isZero();
        assertThat(value(samples, P + "framesJpegDecodedOnDevice")).isZero();
        assertThat(value(samples, P + "framesRetriedOnCpu")).isZero();
        assertThat(value(samples, P + "framesLetterboxedOnHost")).isEqualTo(value(samples, P + "detectionRecords"));
        // meters: rate over 60 s, refreshed every 5 s; the scrape loop waited for a non-zero value
        assertThat(value(samples, P + "framesPerSecond")).isGreaterThan(0).isLessThanOrEqualTo(FRAMES / 5.0);
        assertThat(value(samples, P + "detectionsPerSecond")).isGreaterThan(0);
        assertThat(value(samples, P + "deadLettersPerSecond")).isZero();
        assertThat(value(samples, P + "timeoutsPerSecond")).isZero();
        assertThat(value(samples, P + "batchesInFlight")).isBetween(0.0, 2.0);
        assertThat(value(samples, P + "deviceMemoryUsedBytes")).as("CPU engine").isEqualTo(-1);

        for (String q : QUANTILES) {
            assertThat(find(samples, P + "batchSize", "quantile", q).orElseThrow().value).as("batchSize q" + q)
                    .isBetween(1.0, (double) MAX_BATCH);
        }
        double batches = value(samples, P + "batchSize_count");
        assertThat(batches).as("batches for %d frames", FRAMES).isBetween(Math.ceil(FRAMES / (double) MAX_BATCH),
                (double) FRAMES);
        assertThat(value(samples, P + "queueDelayMs_count")).as("one queue delay per frame").isEqualTo(FRAMES);
        assertThat(value(samples, P + "endToEndLatencyMs_count")).as("one latency per record").isEqualTo(FRAMES);
        assertThat(value(samples, P + "engineTimeMs_count")).isEqualTo(batches);
        assertThat(value(samples, P + "launchToOutputMs_count")).as("one per batch").isEqualTo(batches);
        assertThat(value(samples, P + "dispatchBusyRatio")).isBetween(0.0, 1.0);
        assertThat(find(samples, P + "engineTimeMs", "quantile", "0.999").orElseThrow().value).isGreaterThan(0);
        assertThat(find(samples, P + "computeMs", "quantile", "0.999").orElseThrow().value).isGreaterThan(0);
        assertThat(find(samples, P + "h2dMs", "quantile", "0.999").orElseThrow().value).as("no copies on the CPU")
                .isZero();
        assertThat(find(samples, P + "d2hMs", "quantile", "0.999").orElseThrow().value).isZero();
        double e2eP50 = find(samples, P + "endToEndLatencyMs", "quantile", "0.5").orElseThrow().value;
        double engineMax = find(samples, P + "engineTimeMs", "quantile", "0.999").orElseThrow().value;
        assertThat(e2eP50).as("end-to-end latency p50, ms").isGreaterThan(0).isLessThan(120_000);
        assertThat(find(samples, P + "endToEndLatencyMs", "quantile", "0.999").orElseThrow().value)
                .as("end-to-end latency includes an engine run").isGreaterThanOrEqualTo(Math.min(engineMax, 1));
    }

    /** Scrapes until the operator counted every frame and the frames meter was refreshed (or 45 s passed). */
    private static String scrapeUntilAllFramesCounted(int port, JobClient job) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(PrometheusMetrics.scrapeUrl(port)))
                .timeout(Duration.ofSeconds(5)).GET().build();
        long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            assertThat(job.getJobStatus().get().isGloballyTerminalState()).as("job ended early").isFalse();
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                last = r.body();
                List<Sample> s = parse(last);
                if (find(s, P + "framesIn", null, null).map(x -> x.value >= FRAMES).orElse(false)
                        && find(s, P + "framesPerSecond", null, null).map(x -> x.value > 0).orElse(false)
                        && find(s, P + "detectionRecords", null, null).map(x -> x.value >= FRAMES).orElse(false)) {
                    return last;
                }
            } catch (IOException e) {
                last = "not reachable yet: " + e;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("operator metrics never showed " + FRAMES + " frames; last scrape:\n"
                + last.lines().filter(l -> l.contains("flinkvision")).reduce("", (a, b) -> a + b + "\n"));
    }

    private record Sample(String name, String labels, double value) {}

    private static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                out.add(new Sample(m.group(1), m.group(3) == null ? "" : m.group(3), Double.parseDouble(m.group(4))));
            }
        }
        return out;
    }

    private static Optional<Sample> find(List<Sample> samples, String name, String label, String labelValue) {
        return samples.stream().filter(s -> s.name.equals(name))
                .filter(s -> label == null ? !s.labels.contains("quantile=")
                        : s.labels.contains(label + "=\"" + labelValue + "\""))
                .findFirst();
    }

    private static double value(List<Sample> samples, String name) {
        return find(samples, name, null, null).orElseThrow(() -> new AssertionError("no sample " + name)).value;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> l : lists) {
            all.addAll(l);
        }
        return all;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

package io.flinkvision.jobs.soak;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.jobs.JobSettings;
import io.flinkvision.jobs.demo.DemoInput;
import io.flinkvision.jobs.LocalCluster;
import io.flinkvision.jobs.VideoInferenceJob;
import io.flinkvision.jobs.cli.InferenceFlags;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code soak}: runs the demo pipeline (in-process Kafka broker, {@link VideoInferenceJob} on a Flink MiniCluster,
 * a producer looping over the clip at a steady rate, a {@code read_committed} consumer) on the configured backend
 * ({@code --backend}, default auto: ONNX Runtime on the CPU where there is no GPU), samples the
 * process's memory ({@link MemorySample}: RSS, heap, heap after GC, direct and mapped buffers, JavaCPP physical and
 * total bytes, threads), prints the series, writes it as JSON ({@link SoakReport}) and reports the growth of each
 * series from {@code --growth-from-minute} (the steady state, default 5) to the end. Exit code 0 when RSS grew less
 * than {@code --max-rss-growth-percent} (default 5), 1 otherwise (also when no output came within
 * {@code --startup-timeout-s}, the job ended or the producer stopped).
 *
 * <p>The measured run starts at the first committed output (the broker, the job and the engine are up) and is a fixed
 * number of samples, {@code floor(minutes * 60 / sample-interval-s)} (at least 1), one every
 * {@code --sample-interval-s}; a sample that falls behind its time on a loaded machine is taken at once, none is
 * skipped. Sample times are seconds since the start of the measured run.
 *
 * <p>Not part of the default test run: {@code java -jar video-inference.jar soak [--minutes 20]}, or the test tagged
 * {@code soak} ({@code mvn -pl jobs verify -Dtest.excludedGroups= -Dgroups=soak}).
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Run the demo pipeline for N minutes and sample RSS, heap, direct and JavaCPP native memory;"
                + " report the growth from minute 5 to the end.")
public class SoakCommand implements Callable<Integer> {
    @Option(names = "--minutes", defaultValue = "20", description = "Length of the measured run in minutes, from the"
            + " first committed output; floor(minutes * 60 / sample-interval) samples (default: ${DEFAULT-VALUE}).")
    double minutes;
    @Option(names = "--startup-timeout-s", defaultValue = "300", description = "Seconds to wait for the first committed"
            + " output before the measured run starts; exit code 1 when none comes (default: ${DEFAULT-VALUE}).")
    double startupTimeoutS;
    @Option(names = "--sample-interval-s", defaultValue = "10",
            description = "Seconds between memory samples (default: ${DEFAULT-VALUE}).")
    double sampleIntervalS;
    @Option(names = "--growth-from-minute", defaultValue = "5",
            description = "Start of the steady state for the growth figure (default: ${DEFAULT-VALUE}).")
    double growthFromMinute;
    @Option(names = "--window-s", defaultValue = "30", description = "Seconds averaged at each end of the growth"
            + " figure (default: ${DEFAULT-VALUE}).")
    double windowS;
    @Option(names = "--max-rss-growth-percent", defaultValue = "5",
            description = "Exit code 1 when RSS grows more than this (default: ${DEFAULT-VALUE}).")
    double maxRssGrowthPercent;
    @Option(names = "--fps", defaultValue = "8", description = "Producer pacing in frames/s; keep it under what the"
            + " backend sustains so that no backlog builds up (default: ${DEFAULT-VALUE}).")
    double fps;
    @Option(names = "--input", description = "Video file or URL, looped (default: data/vtest.avi or the clip in the"
            + " jar).")
    String input;
    @Mixin
    InferenceFlags inference;
    @Option(names = "--parallelism", defaultValue = "1", description = "Parallelism of the job.")
    int parallelism;
    @Option(names = "--checkpoint-interval-ms", defaultValue = "1000", description = "Checkpoint interval, ms.")
    long checkpointIntervalMs;
    @Option(names = "--output", defaultValue = "soak-report.json", description = "JSON report file.")
    Path output;
    @Option(names = "--gc-before-sample", arity = "1", defaultValue = "true",
            description = "true: run System.gc() at each sample to read the live heap (default); false: read the heap"
                    + " after the last collection instead.")
    boolean gc;

    /** Where progress and the series are printed; tests redirect it. */
    PrintStream out = System.out;

    /** Runs the soak on its own ({@code java -cp video-inference.jar io.flinkvision.jobs.soak.SoakCommand ...}). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new SoakCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (!(minutes > 0) || !(sampleIntervalS > 0) || fps < 0 || growthFromMinute < 0 || !(windowS > 0)
                || !(startupTimeoutS > 0)) {
            throw new IllegalArgumentException("--minutes, --sample-interval-s, --window-s and --startup-timeout-s must"
                    + " be > 0, --fps and --growth-from-minute >= 0");
        }
        String source = input != null ? input : DemoInput.resolveDefault();
        int sampleCount = samplesPlanned();
        List<MemorySample> samples = new ArrayList<>();
        // Bounded broker disk: a 20-minute run at 8 fps writes ~0.6 GB of frames; keep about two minutes of them.
        Map<String, String> broker = Map.of("log.retention.ms", "120000", "log.segment.bytes",
                Integer.toString(32 * 1024 * 1024), "log.retention.check.interval.ms", "30000");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(broker)) {
            kafka.createTopic("frames", 2);
            kafka.createTopic("detections", 1);
            kafka.createTopic("frames-dlq", 1);
            JobSettings settings = JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                    .startFrom(JobSettings.StartFrom.EARLIEST).checkpointIntervalMs(checkpointIntervalMs)
                    .parallelism(parallelism)
                    .checkpointDir(Files.createTempDirectory("flinkvision-soak-checkpoints-").toUri().toString())
                    .inference(inference.options()).build();
            String backend = settings.inference().get(InferenceOptions.BACKEND).id();
            int batchSize = settings.inference().get(InferenceOptions.MAX_BATCH_SIZE);
            Configuration conf = LocalCluster.loopbackOnly();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
            VideoInferenceJob.build(env, settings);
            JobClient job = env.executeAsync("video-inference soak");
            VideoToKafka producer = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("frames")
                    .input(source).cameraId("cam-soak").loop(true).fps(fps).build();
            AtomicReference<Throwable> producerError = new AtomicReference<>();
            Thread producerThread = new Thread(() -> {
                try {
                    producer.run();
                } catch (Throwable e) {
                    producerError.set(e);
                }
            }, "soak-producer");
            OutputCounter counter = new OutputCounter(kafka.consumerProperties("soak-counter"));
            producerThread.start();
            out.printf(Locale.ROOT, "soak: %.1f min, producer %.1f fps (%s), backend %s, batch <= %d, parallelism %d;"
                    + " %d samples, one every %.0f s from the first output%n", minutes, fps, source, backend, batchSize,
                    parallelism, sampleCount, sampleIntervalS);
            out.printf("soak: %7s %9s %9s %9s %9s %9s %9s %9s %7s %8s %8s%n", "t[s]", "rss[MB]", "heap[MB]",
                    "live[MB]", "direct", "mapped", "jcppPhys", "jcppTot", "threads", "frames", "outputs");
            try {
                Long t0 = awaitFirstOutput(job, producerThread, producerError, counter);
                long intervalNanos = (long) (sampleIntervalS * 1e9);
                for (int k = 1; t0 != null && k <= sampleCount; k++) {
                    long sleep = t0 + k * intervalNanos - System.nanoTime();
                    if (sleep > 0) {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    }
                    MemorySample s = MemorySample.take(Math.round((System.nanoTime() - t0) / 1e8) / 10d,
                            producer.framesSent(), counter.outputs(), gc);
                    samples.add(s);
                    print(s);
                    if (!running(job, producerThread, producerError)) {
                        break;
                    }
                }
            } finally {
                producer.stop();
                producerThread.join(30_000);
                if (!job.getJobStatus().get().isGloballyTerminalState()) {
                    job.cancel().get();
                }
                counter.close();
            }
            Map<String, SoakReport.Growth> growth = SoakReport.growth(samples, growthFromMinute * 60, windowS);
            double rssGrowth = growth.isEmpty() ? 0 : growth.get("rss").percent();
            boolean ok = samples.size() == sampleCount && rssGrowth < maxRssGrowthPercent && producerError.get() == null;
            SoakReport report = new SoakReport(minutes, sampleIntervalS, fps, backend, growthFromMinute, windowS,
                    producer.framesSent(), counter.outputs(), samples, growth, rssGrowth, ok);
            if (output.getParent() != null) {
                Files.createDirectories(output.getParent());
            }
            Files.write(output, DetectionJson.mapper().writer(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsBytes(report));
            out.printf(Locale.ROOT, "soak: growth from minute %.1f (mean of %.0f s) to the end (mean of the last %.0f s):"
                    + "%n", growthFromMinute, windowS, windowS);
            growth.forEach((k, g) -> out.printf(Locale.ROOT, "soak:   %-16s %10.1f MB -> %10.1f MB  %+6.2f %%%n", k,
                    g.fromBytes() / 1e6, g.toBytes() / 1e6, g.percent()));
            String verdict = ok ? "OK" : samples.size() < sampleCount
                    ? "INCOMPLETE (" + samples.size() + " of " + sampleCount + " samples)"
                    : producerError.get() != null ? "PRODUCER FAILED" : "OVER";
            out.printf(Locale.ROOT, "soak: frames sent %d, outputs read %d; RSS growth %.2f %% (target < %.1f %%): %s;"
                    + " report %s%n", producer.framesSent(), counter.outputs(), rssGrowth, maxRssGrowthPercent,
                    verdict, output.toAbsolutePath());
            return ok ? 0 : 1;
        }
    }

    /**
     * Waits until the first committed output has been read, so that start-up (broker, job, engine) is not part of the
     * measured run.
     *
     * @return the {@link System#nanoTime()} at which it was seen, or null (printed why) when the job ended, the
     *     producer stopped or {@code --startup-timeout-s} passed first
     */
    private Long awaitFirstOutput(JobClient job, Thread producerThread, AtomicReference<Throwable> producerError,
            OutputCounter counter) throws Exception {
        long deadline = System.nanoTime() + (long) (startupTimeoutS * 1e9);
        while (counter.outputs() == 0) {
            if (!running(job, producerThread, producerError)) {
                return null;
            }
            if (System.nanoTime() > deadline) {
                out.printf(Locale.ROOT, "soak: no committed output within %.0f s (--startup-timeout-s)%n",
                        startupTimeoutS);
                return null;
            }
            Thread.sleep(100);
        }
        out.println("soak: first output read; the measured run starts");
        return System.nanoTime();
    }

    private int samplesPlanned() {
        return Math.max(1, (int) Math.floor(minutes * 60 / sampleIntervalS + 1e-9));
    }

    /** Whether the job and the producer still run; prints which stopped otherwise. */
    private boolean running(JobClient job, Thread producerThread, AtomicReference<Throwable> producerError)
            throws Exception {
        if (job.getJobStatus().get().isGloballyTerminalState()) {
            out.printf("soak: the job ended early: %s%n", job.getJobStatus().get());
            return false;
        }
        if (!producerThread.isAlive()) {
            out.printf("soak: the producer stopped: %s%n", producerError.get());
            return false;
        }
        return true;
    }

    private void print(MemorySample s) {
        out.printf(Locale.ROOT, "soak: %7.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %7d %8d %8d%n", s.seconds(),
                mb(s.rssBytes()), mb(s.heapUsedBytes()), mb(s.heapAfterGcBytes()), mb(s.directBytes()),
                mb(s.mappedBytes()), mb(s.javacppPhysicalBytes()), mb(s.javacppTotalBytes()), s.threads(),
                s.framesSent(), s.outputs());
    }

    private static double mb(long bytes) {
        return bytes / 1e6;
    }

    /** Counts committed records of the detections and dead-letter topics (a count only: no growing state). */
    private static final class OutputCounter implements AutoCloseable {
        private final AtomicLong outputs = new AtomicLong();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;

        /** @param consumerProperties byte-array consumer settings, read_committed (EmbeddedKafka#consumerProperties) */
        OutputCounter(Properties consumerProperties) {
            consumer = new KafkaConsumer<>(consumerProperties);
            consumer.subscribe(List.of("detections", "frames-dlq"));
            thread = new Thread(this::loop, "soak-output-counter");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            try {
                while (running) {
                    outputs.addAndGet(consumer.poll(Duration.ofMillis(500)).count());
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close();
            }
        }

        long outputs() {
            return outputs.get();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(5000);
        }
    }
}

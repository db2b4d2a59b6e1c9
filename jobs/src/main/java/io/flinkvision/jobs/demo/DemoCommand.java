package io.flinkvision.jobs.demo;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.jobs.JobSettings;
import io.flinkvision.jobs.VideoInferenceJob;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the whole product on one machine, no Docker: an in-process Kafka broker (KRaft), a Flink MiniCluster
 * running {@link VideoInferenceJob}, a producer streaming a clip (default: the shipped {@code vtest.avi}) as JPEG
 * frames, and a {@code read_committed} consumer of the detections and dead-letter topics. Prints progress while it
 * runs and writes the report ({@link DemoReport}) at the end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the clip through an embedded Kafka and the Flink job on a MiniCluster; print progress and a"
                + " report.")
public class DemoCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DemoCommand.class);

    @Option(names = "--input", description = "Video file, RTSP/HTTP URL or image folder (default: data/vtest.avi,"
            + " else the clip inside the jar).")
    String input;
    @Option(names = "--max-frames", defaultValue = "0", description = "Stop after N frames (0 = whole input).")
    long maxFrames;
    @Option(names = "--fps", description = "Producer pacing in frames/s (default: the clip's own rate; 0 = as fast"
            + " as possible).")
    Double fps;
    @Option(names = "--camera-id", defaultValue = "cam-0", description = "Camera id of the frames.")
    String cameraId;
    @Option(names = "--report", defaultValue = "demo-report.json", description = "Report file (JSON).")
    Path report;
    @Option(names = "--backend", defaultValue = "auto", description = "onnxruntime, tensorrt or auto.")
    String backend;
    @Option(names = "--precision", defaultValue = "fp32", description = "fp32, fp16 or int8.")
    String precision;
    @Option(names = "--batch-size", defaultValue = "8", description = "Max micro-batch size.")
    int batchSize;
    @Option(names = "--max-queue-delay-ms", defaultValue = "20", description = "Max queue delay of a micro-batch.")
    double maxQueueDelayMs;
    @Option(names = "--parallelism", defaultValue = "1", description = "Parallelism of the job.")
    int parallelism;
    @Option(names = "--partitions", defaultValue = "2", description = "Partitions of the frames topic.")
    int partitions;
    @Option(names = "--checkpoint-interval-ms", defaultValue = "1000", description = "Checkpoint interval, ms.")
    long checkpointIntervalMs;
    @Option(names = {"-D", "--inference"}, description = "Any inference.* option as key=value.")
    Map<String, String> inference = new java.util.LinkedHashMap<>();
    @Option(names = "--drain-timeout-s", defaultValue = "180",
            description = "How long to wait for the last outputs after the producer finished, s.")
    long drainTimeoutS;

    @Override
    public Integer call() throws Exception {
        String source = input != null ? input : DemoInput.resolveDefault();
        long t0 = System.nanoTime();
        System.out.printf("demo: starting embedded Kafka (KRaft) ...%n");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String frames = "frames";
            String detections = "detections";
            String dlq = "frames-dlq";
            kafka.createTopic(frames, partitions);
            kafka.createTopic(detections, 1);
            kafka.createTopic(dlq, 1);
            System.out.printf("demo: Kafka at %s, topics %s (%d partitions), %s, %s%n", kafka.bootstrapServers(),
                    frames, partitions, detections, dlq);

            JobSettings.Builder settings = JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                    .framesTopic(frames).detectionsTopic(detections).deadLetterTopic(dlq)
                    .startFrom(JobSettings.StartFrom.EARLIEST).checkpointIntervalMs(checkpointIntervalMs)
                    .parallelism(parallelism)
                    .checkpointDir(Files.createTempDirectory("flinkvision-checkpoints-").toUri().toString())
                    .inference(InferenceOptions.BACKEND.key(), backend.toUpperCase(Locale.ROOT))
                    .inference(InferenceOptions.PRECISION.key(), precision.toUpperCase(Locale.ROOT))
                    .inference(InferenceOptions.MAX_BATCH_SIZE.key(), Integer.toString(batchSize))
                    .inference(InferenceOptions.MAX_QUEUE_DELAY_MS.key(), Double.toString(maxQueueDelayMs))
                    .inference(inference);
            Configuration conf = new Configuration();
            conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            conf.set(RestOptions.ADDRESS, "127.0.0.1");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
            VideoInferenceJob.build(env, settings.build());
            JobClient job = env.executeAsync("video-inference demo");
            System.out.printf("demo: Flink job %s running on a MiniCluster (parallelism %d, batch <= %d, backend %s)%n",
                    job.getJobID(), parallelism, batchSize, backend);

            try (OutputTally tally = new OutputTally(kafka.bootstrapServers(), detections, dlq, Map.of())) {
                VideoToKafka.Builder producer = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers())
                        .topic(frames).input(source).cameraId(cameraId).maxFrames(maxFrames);
                if (fps != null) {
                    producer.fps(fps);
                }
                VideoToKafka p = producer.build();
                AtomicReference<Throwable> producerError = new AtomicReference<>();
                Thread producerThread = new Thread(() -> {
                    try {
                        p.run();
                    } catch (Throwable e) {
                        producerError.set(e);
                    }
                }, "demo-producer");
                long produceStart = System.nanoTime();
                producerThread.start();
                long lastPrint = 0;
                long drainDeadline = Long.MAX_VALUE;
                double producerSeconds = 0;
                while (true) {
                    Thread.sleep(250);
                    boolean producing = producerThread.isAlive();
                    if (!producing && drainDeadline == Long.MAX_VALUE) {
                        producerSeconds = (System.nanoTime() - produceStart) / 1e9;
                        drainDeadline = System.nanoTime() + drainTimeoutS * 1_000_000_000L;
                        if (producerError.get() != null) {
                            System.out.printf("demo: producer failed: %s%n", producerError.get());
                            break;
                        }
                    }
                    if (System.nanoTime() - lastPrint > 2_000_000_000L) {
                        lastPrint = System.nanoTime();
                        printProgress(p.framesSent(), tally.snapshot(), (System.nanoTime() - t0) / 1e9);
                    }
                    if (!producing && tally.outputs() >= p.framesSent()) {
                        break;
                    }
                    if (System.nanoTime() > drainDeadline) {
                        System.out.printf("demo: gave up waiting for outputs after %d s%n", drainTimeoutS);
                        break;
                    }
                    if (job.getJobStatus().get().isGloballyTerminalState()) {
                        System.out.printf("demo: job ended early: %s%n", job.getJobStatus().get());
                        break;
                    }
                }
                OutputTally.Snapshot s = tally.snapshot();
                printProgress(p.framesSent(), s, (System.nanoTime() - t0) / 1e9);
                job.cancel().get();
                long framesIn = p.framesSent();
                DemoReport r = new DemoReport(framesIn, s.detectionRecords(), s.deadLetters(), s.detectionsByLabel(),
                        s.deadLettersByReason(),
                        s.readSpanSeconds() > 0 ? round((s.detectionRecords() + s.deadLetters()) / s.readSpanSeconds())
                                : 0,
                        new DemoReport.Latency(s.latencyP50Ms(), s.latencyP99Ms()), s.backend(), s.model(),
                        s.precision(), batchSize, round(s.meanBatchSize()),
                        producerSeconds > 0 ? round(framesIn / producerSeconds) : 0,
                        round((System.nanoTime() - t0) / 1e9),
                        framesIn == s.detectionRecords() + s.deadLetters());
                byte[] json = DetectionJson.mapper().writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(r);
                if (report.getParent() != null) {
                    Files.createDirectories(report.getParent());
                }
                Files.write(report, json);
                System.out.printf("demo: report %s%n%s%n", report.toAbsolutePath(), new String(json));
                return r.balanced() && producerError.get() == null ? 0 : 1;
            }
        }
    }

    private static void printProgress(long sent, OutputTally.Snapshot s, double elapsedS) {
        String labels = s.detectionsByLabel().entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
        double fps = s.readSpanSeconds() > 0 ? (s.detectionRecords() + s.deadLetters()) / s.readSpanSeconds() : 0;
        System.out.printf(Locale.ROOT, "demo: %5.1fs  frames in %d  detection records %d  dead letters %d  %.1f fps"
                        + "  mean batch %.1f  latency p50 %d ms  detections: %s%n", elapsedS, sent,
                s.detectionRecords(), s.deadLetters(), fps, s.meanBatchSize(), s.latencyP50Ms(),
                labels.isEmpty() ? "-" : labels);
    }

    private static double round(double v) {
        return Math.round(v * 100d) / 100d;
    }
}

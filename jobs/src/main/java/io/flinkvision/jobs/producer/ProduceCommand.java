package io.flinkvision.jobs.producer;

import io.flinkvision.jobs.cli.OptionValues;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code produce}: the command-line face of {@link VideoToKafka}. Streams a video file, an RTSP/HTTP URL or a folder
 * of images into a Kafka frames topic.
 *
 * <pre>
 * produce --bootstrap-servers localhost:9092 --input data/vtest.avi --loop
 * produce --bootstrap-servers broker:9093 --input rtsp://cam1/stream --camera-id cam-1 \
 *         --producer-property security.protocol=SASL_SSL --producer-property sasl.mechanism=PLAIN \
 *         --producer-property 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";'
 * </pre>
 *
 * <p>Exit codes: 0 when the input was streamed (or Ctrl-C stopped it after a clean flush), 1 when the input cannot be
 * read or Kafka refuses the frames, 2 for invalid option values, 3 when a live stream (URL) dropped and could not be
 * reconnected. Ctrl-C stops after the current frame and flushes what was sent (up to 30 s). The last line on
 * standard output (also after a failure) sums up: frames sent/skipped, records acked/failed, reconnects, frames/s
 * and MB/s.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Stream a video file, an RTSP/HTTP URL or a folder of images (jpg/jpeg/png) into a Kafka "
                + "frames topic: one JPEG record per frame, key = camera id, headers frame-index, capture-ts, "
                + "encoding, width, height.")
public class ProduceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers.")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "frames", paramLabel = "TOPIC",
            description = "Frames topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--input", required = true, paramLabel = "FILE|URL|FOLDER",
            description = "Video file, URL (rtsp://, http://, ...) or folder of .jpg/.jpeg/.png images (sorted by "
                    + "name).")
    String input;

    @Option(names = "--camera-id", defaultValue = "cam-0", paramLabel = "ID",
            description = "Camera id, the record key (default: ${DEFAULT-VALUE}).")
    String cameraId;

    @Option(names = "--fps", paramLabel = "F", converter = OptionValues.NonNegativeDouble.class,
            description = "Frames per second to send; 0 = as fast as possible. Default: the file's own frame rate "
                    + "for video files, as fast as possible for URLs and image folders.")
    Double fps;

    @Option(names = "--loop", description = "Restart the input at its end (frame indexes keep increasing).")
    boolean loop;

    @Option(names = "--max-frames", defaultValue = "0", paramLabel = "N",
            converter = OptionValues.NonNegativeLong.class,
            description = "Stop after N frames; 0 = no limit (default: ${DEFAULT-VALUE}).")
    long maxFrames;

    @Option(names = "--jpeg-quality", defaultValue = "" + VideoToKafka.DEFAULT_JPEG_QUALITY, paramLabel = "Q",
            converter = OptionValues.JpegQuality.class,
            description = "JPEG quality 1-100 when encoding frames (default: ${DEFAULT-VALUE}).")
    int jpegQuality;

    @Option(names = "--cameras", defaultValue = "1", paramLabel = "K", converter = OptionValues.PositiveInt.class,
            description = "Fan the input out to K simulated cameras <camera-id>-0..<camera-id>-(K-1): every frame is "
                    + "sent once per camera (default: ${DEFAULT-VALUE}, the camera id as it is).")
    int cameras;

    @Option(names = "--partitioning", defaultValue = "CAMERA", paramLabel = "CAMERA|KEY_HASH",
            description = "CAMERA: each camera gets its own partition, dealt round-robin over the sorted camera set "
                    + "(balanced; one camera without --camera-set keeps the key hash); KEY_HASH: Kafka's murmur2 "
                    + "hash of the camera id (default: ${DEFAULT-VALUE}).")
    VideoToKafka.Partitioning partitioning;

    @Option(names = "--camera-set", split = ",", paramLabel = "ID[,ID...]",
            description = "All camera ids sharing the topic, so that separate producers deal the partitions alike "
                    + "(default: this producer's cameras).")
    List<String> cameraSet;

    @Option(names = "--threads", paramLabel = "N", converter = OptionValues.PositiveInt.class,
            description = "Encode threads (JPEG encoding of video frames, checks of folder images); default: the "
                    + "available processors.")
    Integer threads;
    @Option(names = "--producers", paramLabel = "N", converter = OptionValues.PositiveInt.class,
            defaultValue = "" + VideoToKafka.DEFAULT_PRODUCERS, description = "Kafka producers (broker connections);"
                    + " each camera always uses the same one, which keeps its order (default: ${DEFAULT-VALUE},"
                    + " at most one per camera).")
    int producers;

    @Option(names = "--reconnect-attempts", defaultValue = "" + ReconnectPolicy.DEFAULT_ATTEMPTS, paramLabel = "N",
            converter = OptionValues.NonNegativeInt.class,
            description = "Consecutive reopen attempts of a dropped live stream (URL) before giving up with exit "
                    + "code 3; 0 = never reconnect (default: ${DEFAULT-VALUE}).")
    int reconnectAttempts;

    @Option(names = "--reconnect-backoff-ms", defaultValue = "" + ReconnectPolicy.DEFAULT_INITIAL_BACKOFF_MS,
            paramLabel = "MS", converter = OptionValues.PositiveLong.class,
            description = "Delay before the first reopen attempt; doubles per attempt, with "
                    + "jitter (default: ${DEFAULT-VALUE}).")
    long reconnectBackoffMs;

    @Option(names = "--reconnect-max-backoff-ms", defaultValue = "" + ReconnectPolicy.DEFAULT_MAX_BACKOFF_MS,
            paramLabel = "MS", converter = OptionValues.PositiveLong.class,
            description = "Upper bound of the reopen delay (default: ${DEFAULT-VALUE}).")
    long reconnectMaxBackoffMs;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka producer setting, repeatable (e.g. security.protocol=SASL_SSL, "
                    + "ssl.truststore.location=...). Overrides the defaults acks=all, enable.idempotence=true, "
                    + "max.in.flight.requests.per.connection=5, linger.ms=5, batch.size=1048576, "
                    + "buffer.memory=268435456, compression.type=none, max.request.size=16777216.")
    Map<String, String> producerProperties = new LinkedHashMap<>();

    /**
     * Runs the producer until the input ends, {@code --max-frames} is reached, or the process is interrupted.
     *
     * @return the exit code: 0 on success, 1 when the input or Kafka fails, 2 for invalid option values, 3 when a
     *     live stream was lost
     */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        VideoToKafka producer;
        try {
            VideoToKafka.Builder builder = VideoToKafka.builder()
                    .bootstrapServers(bootstrapServers)
                    .topic(topic)
                    .input(input)
                    .cameraId(cameraId)
                    .loop(loop)
                    .maxFrames(maxFrames)
                    .jpegQuality(jpegQuality)
                    .cameras(cameras)
                    .partitioning(partitioning)
                    .reconnect(new ReconnectPolicy(reconnectAttempts, reconnectBackoffMs, reconnectMaxBackoffMs))
                    .producerProperties(producerProperties)
                    .producers(producers);
            if (cameraSet != null) {
                builder.cameraSet(cameraSet);
            }
            if (threads != null) {
                builder.threads(threads);
            }
            if (fps != null) {
                builder.fps(fps);
            }
            producer = builder.build();
        } catch (IllegalArgumentException e) {
            err.println("produce: " + e.getMessage());
            return 2;
        }

        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            producer.stop();
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "produce-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            int code = runProducer(producer, err);
            List<String> ids = producer.cameraIds();
            out.printf("%s %s to topic '%s' at %s: %s%n", code == 0 ? "Sent" : "Gave up:",
                    ids.size() == 1 ? "camera '" + ids.get(0) + "'" : ids.size() + " cameras", topic,
                    bootstrapServers, producer.summary());
            out.flush();
            err.flush();
            return code;
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting; the hook is running
            }
        }
    }

    /** Runs the producer; returns the exit code, printing the failure (if any) to {@code err}. */
    private static int runProducer(VideoToKafka producer, PrintWriter err) {
        try {
            producer.run();
            return 0;
        } catch (StreamLostException e) {
            err.println("produce: " + e.getMessage());
            return 3;
        } catch (IOException | VideoToKafka.SendFailedException e) {
            err.println("produce: " + e.getMessage());
            return 1;
        }
    }
}

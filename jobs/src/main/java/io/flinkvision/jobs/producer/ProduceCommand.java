package io.flinkvision.jobs.producer;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
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
 * read or Kafka refuses the frames, 2 for invalid option values. Ctrl-C stops after the current frame and flushes
 * what was sent (up to 30 s).
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

    @Option(names = "--fps", paramLabel = "F",
            description = "Frames per second to send; 0 = as fast as possible. Default: the file's own frame rate "
                    + "for video files, as fast as possible for URLs and image folders.")
    Double fps;

    @Option(names = "--loop", description = "Restart the input at its end (frame indexes keep increasing).")
    boolean loop;

    @Option(names = "--max-frames", defaultValue = "0", paramLabel = "N",
            description = "Stop after N frames; 0 = no limit (default: ${DEFAULT-VALUE}).")
    long maxFrames;

    @Option(names = "--jpeg-quality", defaultValue = "" + VideoToKafka.DEFAULT_JPEG_QUALITY, paramLabel = "Q",
            description = "JPEG quality 1-100 when encoding frames (default: ${DEFAULT-VALUE}).")
    int jpegQuality;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE",
            description = "Extra Kafka producer setting, repeatable (e.g. security.protocol=SASL_SSL, "
                    + "ssl.truststore.location=...). Overrides the defaults acks=all, enable.idempotence=true, "
                    + "linger.ms=5, compression.type=none, max.request.size=16777216.")
    Map<String, String> producerProperties = new LinkedHashMap<>();

    /**
     * Runs the producer until the input ends, {@code --max-frames} is reached, or the process is interrupted.
     *
     * @return the exit code: 0 on success, 1 when the input or Kafka fails, 2 for invalid option values
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
                    .producerProperties(producerProperties);
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
        long t0 = System.nanoTime();
        try {
            long sent = producer.run();
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf("Sent %d frames (%d skipped) of camera '%s' to topic '%s' at %s in %.1f s%n", sent,
                    producer.framesSkipped(), cameraId, topic, bootstrapServers, seconds);
            out.flush();
            return 0;
        } catch (IOException | VideoToKafka.SendFailedException e) {
            err.println("produce: " + e.getMessage());
            err.flush();
            return 1;
        } finally {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting; the hook is running
            }
        }
    }
}

package io.flinkvision.jobs.cluster;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.FrameSerde;
import io.flinkvision.jobs.VideoInferenceJob;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cluster path of the README ("Running on a Flink cluster") on real parts, without Docker: a standalone Flink 2.2
 * session cluster, JobManager ({@code StandaloneSessionClusterEntrypoint}) and one TaskManager
 * ({@code TaskManagerRunner}) in their own JVMs, whose lib/ is Flink's Maven jars (target/flink-dist-lib/, see
 * src/test/assembly/flink-dist-lib.xml) plus exactly jobs/target/flink-lib/, configured with
 * docker/flink-conf/flink-lib.yaml appended to its config.yaml. The packaged jobs/target/video-inference-flink.jar
 * (which holds no org.bytedeco and no ONNX Runtime class: they can only come from lib/) is uploaded and run through
 * the REST API ({@code /jars/upload}, {@code /jars/:id/run}) against the embedded Kafka broker of this JVM, bounded
 * and with ONNX Runtime on the CPU. Input: real frames of the shipped clip (the producer, {@link VideoToKafka}), real
 * JPEG files and two bad frames ({@link FrameSerde}). A {@code read_committed} consumer must then read one detection
 * record per good frame and one dead letter per bad frame: frames in (the topic's end offsets) = detection records +
 * dead letters.
 *
 * <p>Runs in failsafe after {@code package} (jobs/pom.xml). Every wait is on a condition with a generous timeout;
 * failures carry the tails of the JobManager's and TaskManager's logs, whose full text stays in
 * target/cluster-it/log/.
 */
class StandaloneClusterITCase {
    private static final int CLIP_FRAMES = 30;
    private static final List<String> JPEG_FILES = List.of("vtest_000.jpg", "vtest_100.jpg", "messi5.jpg");
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);

    private static EmbeddedKafka kafka;
    private static StandaloneCluster cluster;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
        kafka.createTopic("frames", 2);
        kafka.createTopic("detections", 1);
        kafka.createTopic("frames-dlq", 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void flinkRunJarSubmittedThroughRestRunsOnAStandaloneClusterWithFlinkLib() throws Exception {
        // conf/, log/ (full JobManager and TaskManager logs, kept after the run) and tmp/ of the cluster
        Path work = Path.of("target/cluster-it").toAbsolutePath();
        org.apache.flink.util.FileUtils.deleteDirectory(work.toFile());
        Files.createDirectories(work);
        Path jobJar = existing("flinkvision.it.flink-run-jar");
        Path flinkLib = existing("flinkvision.it.flink-lib-dir");
        Path distLib = existing("flinkvision.it.flink-dist-lib-dir");
        try (JarFile jar = new JarFile(jobJar.toFile())) {
            assertThat(jar.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith("org/bytedeco/") || n.startsWith("ai/onnxruntime/")).findAny())
                    .as("the flink-run jar must leave JavaCPP and ONNX Runtime to lib/").isEmpty();
        }
        try (var libJars = Files.list(flinkLib)) {
            for (Path lib : libJars.collect(Collectors.toList())) {
                try (JarFile jar = new JarFile(lib.toFile())) {
                    assertThat(jar.stream().map(e -> e.getName())
                            .filter(n -> n.startsWith("io/flinkvision/") || n.startsWith("demo/")).findAny())
                            .as("%s must hold no class or file of this project (they belong in the job jar)", lib)
                            .isEmpty();
                }
            }
        }
        System.out.println("cluster-it: lib/ = " + distLib + " + " + flinkLib + " " + list(flinkLib));

        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("taskmanager.numberOfTaskSlots", "1");
        settings.put("parallelism.default", "1");
        settings.put("jobmanager.memory.process.size", "1024m");
        settings.put("taskmanager.memory.process.size", "1280m");
        settings.put("taskmanager.memory.managed.size", "32m");
        settings.put("taskmanager.memory.task.off-heap.size", "128m"); // the ONNX Runtime input buffers (direct)
        // a loaded 2-core CI box: no spurious RPC or heartbeat timeouts
        settings.put("pekko.ask.timeout", "60 s");
        settings.put("heartbeat.timeout", "180000");
        settings.put("env.java.opts.all", "\"" + dockerJavaOpts() + "\"");
        cluster = StandaloneCluster.start(work, List.of(distLib, flinkLib), settings,
                Path.of("../docker/flink-conf/flink-lib.yaml"));
        try {
            runAndCheck(new FlinkRest(cluster.restUrl()), jobJar, work);
        } catch (Throwable t) {
            throw new AssertionError(t + "\n" + cluster.logTails(), t);
        } finally {
            cluster.close();
        }
    }

    private void runAndCheck(FlinkRest rest, Path jobJar, Path work) throws Exception {
        long t0 = System.nanoTime();
        cluster.awaitTaskManagers(rest, 1, START_TIMEOUT);
        System.out.printf("cluster-it: JobManager and TaskManager up after %d s (REST %s)%n", secondsSince(t0),
                cluster.restUrl());

        // good frames: the clip through the producer, and JPEG files; bad ones: a truncated JPEG and an empty value
        long sent = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("frames")
                .input("../data/vtest.avi").cameraId("cam-clip").fps(0).maxFrames(CLIP_FRAMES).build().run();
        assertThat(sent).isEqualTo(CLIP_FRAMES);
        Map<Long, String> expectedDeadLetters = Map.of(1000L, "decode-failed", 1001L, "empty-payload");
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            long index = 0;
            for (String file : JPEG_FILES) {
                byte[] jpeg = TestFixtures.bytes(file);
                p.send(FrameSerde.toRecord("frames", new Frame("cam-files", index++, System.currentTimeMillis(),
                        FrameEncoding.JPEG, jpeg))).get();
            }
            byte[] real = TestFixtures.bytes(JPEG_FILES.get(0));
            p.send(FrameSerde.toRecord("frames", new Frame("cam-bad", 1000L, System.currentTimeMillis(),
                    FrameEncoding.JPEG, Arrays.copyOf(real, real.length / 2)))).get();
            p.send(FrameSerde.toRecord("frames", new Frame("cam-bad", 1001L, System.currentTimeMillis(),
                    FrameEncoding.JPEG, new byte[0]))).get();
        }
        long framesIn = endOffsets("frames");
        int goodFrames = CLIP_FRAMES + JPEG_FILES.size();
        assertThat(framesIn).isEqualTo(goodFrames + expectedDeadLetters.size());

        String jarId = rest.uploadJar(jobJar);
        List<String> args = List.of("--bootstrap-servers", kafka.bootstrapServers(),
                "--start-from", "EARLIEST", "--bounded", "--parallelism", "1",
                "--checkpoint-interval-ms", "1000", "--checkpoint-dir", work.resolve("checkpoints").toUri().toString(),
                "--backend", "onnxruntime", "--batch-size", "4", "--max-restart-attempts", "1",
                "--transactional-id-prefix", "cluster-it");
        t0 = System.nanoTime();
        String jobId = rest.runJar(jarId, VideoInferenceJob.class.getName(), args);
        System.out.printf("cluster-it: uploaded %s (%d MB) as %s, job %s submitted%n", jobJar.getFileName(),
                Files.size(jobJar) >> 20, jarId, jobId);
        String state = awaitTerminalState(rest, jobId);
        if (!state.equals("FINISHED")) {
            throw new AssertionError("job " + jobId + " ended " + state + ": " + rest.rootException(jobId));
        }
        System.out.printf("cluster-it: job FINISHED after %d s%n", secondsSince(t0));

        Map<String, FrameDetections> records = new HashMap<>();
        List<String> duplicates = new ArrayList<>();
        Map<Long, String> deadLetters = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties("cluster-it-check"))) {
            c.subscribe(List.of("detections", "frames-dlq"));
            long quietSince = System.nanoTime();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < deadline && (records.size() + deadLetters.size() < framesIn
                    || System.nanoTime() - quietSince < Duration.ofSeconds(3).toNanos())) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    quietSince = System.nanoTime();
                    if (r.topic().equals("detections")) {
                        FrameDetections d = DetectionJson.parse(r.value());
                        if (records.put(d.getCameraId() + "#" + d.getFrameIndex(), d) != null) {
                            duplicates.add(d.getCameraId() + "#" + d.getFrameIndex());
                        }
                    } else {
                        deadLetters.put(Long.parseLong(header(r, "frame-index")), header(r, "dlq.reason"));
                    }
                }
            }
        }
        System.out.printf("cluster-it: frames in %d, detection records %d, dead letters %d %s (read_committed)%n",
                framesIn, records.size(), deadLetters.size(), deadLetters);
        assertThat(duplicates).as("detection records read twice").isEmpty();
        assertThat(records.size() + deadLetters.size()).as("frames in = detection records + dead letters")
                .isEqualTo(framesIn);
        assertThat(records).hasSize(goodFrames);
        assertThat(deadLetters).isEqualTo(expectedDeadLetters);
        assertThat(records.values()).allSatisfy(d -> {
            assertThat(d.getStatus()).isEqualTo("ok");
            assertThat(d.getBackend()).isEqualTo("onnxruntime");
        });
        assertThat(records.values().stream().filter(d -> d.getCameraId().equals("cam-clip"))
                .filter(d -> d.getDetections().stream().anyMatch(x -> x.getLabel().equals("person"))).count())
                .as("frames of the street clip with a person").isGreaterThan(CLIP_FRAMES * 8L / 10);
        assertThat(records.get("cam-files#2").getDetections()).as("messi5.jpg")
                .anySatisfy(x -> assertThat(x.getLabel()).isEqualTo("sports ball"));
    }

    /** Polls the job every second until FINISHED, FAILED or CANCELED, checking that both processes live. */
    private static String awaitTerminalState(FlinkRest rest, String jobId) throws Exception {
        long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
        String state = "unknown";
        Set<String> terminal = Set.of("FINISHED", "FAILED", "CANCELED");
        while (System.nanoTime() < deadline) {
            cluster.checkAlive();
            state = rest.jobState(jobId);
            if (terminal.contains(state)) {
                return state;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("job " + jobId + " still " + state + " after " + JOB_TIMEOUT);
    }

    private static long endOffsets(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties("cluster-it-offsets"))) {
            List<TopicPartition> partitions = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            return c.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** env.java.opts.all of docker/flink-conf/config.yaml: the --add-opens flags Flink 2.2 needs on Java 17. */
    private static String dockerJavaOpts() throws Exception {
        return org.apache.flink.configuration.GlobalConfiguration.loadConfiguration("../docker/flink-conf")
                .get(org.apache.flink.configuration.CoreOptions.FLINK_JVM_OPTIONS);
    }

    private static Path existing(String property) {
        String value = System.getProperty(property);
        assertThat(value).as("system property %s (set by jobs/pom.xml's failsafe configuration)", property)
                .isNotNull();
        Path p = Path.of(value);
        assertThat(p).as("%s: run `mvn verify` (failsafe after package)", property).exists();
        return p;
    }

    private static String list(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.joining(", ", "[", "]"));
        }
    }

    private static long secondsSince(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos).toSeconds();
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}

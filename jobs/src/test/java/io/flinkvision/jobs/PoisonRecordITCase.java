package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.frame.FrameHeaders;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ExceptionUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: one record must not stop every camera. Real parts: an in-process KRaft broker accepting 16 MiB records,
 * a MiniCluster running {@link VideoInferenceJob#build} with ONNX Runtime and the bundled model, real JPEG frames of
 * two cameras and one poison record (a 15 MiB value with a 1 MB malformed {@code frame-index} header, under the
 * broker's limit, whose dead letter used to carry the header twice and be refused by the broker, failing the job).
 */
class PoisonRecordITCase {
    private static final int FRAMES_PER_CAMERA = 25;
    private static final int MIB = 1024 * 1024;
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aPoisonRecordBecomesOneBoundedDeadLetterAndEveryOtherCameraKeepsItsDetections(@TempDir Path checkpoints)
            throws Exception {
        kafka.createTopic("frames", 2);
        kafka.createTopic("detections", 1);
        kafka.createTopic("frames-dlq", 1);
        send("cam-a");
        RecordMetadata poison = sendPoison("frames", 15 * MIB, 1_000_000);
        send("cam-b");

        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none"); // any failover fails the job, and so the test
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                .startFrom(JobSettings.StartFrom.EARLIEST).bounded(true).checkpointIntervalMs(500)
                .checkpointDir(checkpoints.toUri().toString())
                .inference(InferenceOptions.BACKEND.key(), "ONNXRUNTIME")
                .build());
        env.execute("poison record"); // bounded: returns once every frame is through, throws on any failure

        long framesIn = recordsIn("frames");
        Map<String, Integer> perCamera = new HashMap<>();
        List<ConsumerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
        long detectionRecords = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka.consumerProperties("poison-check"))) {
            c.subscribe(List.of("detections", "frames-dlq"));
            long deadline = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < deadline && detectionRecords + deadLetters.size() < framesIn) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (r.topic().equals("detections")) {
                        FrameDetections d = DetectionJson.parse(r.value());
                        perCamera.merge(d.getCameraId(), 1, Integer::sum);
                        detectionRecords++;
                    } else {
                        deadLetters.add(r);
                    }
                }
            }
        }
        assertThat(framesIn).isEqualTo(2L * FRAMES_PER_CAMERA + 1);
        assertThat(perCamera).isEqualTo(Map.of("cam-a", FRAMES_PER_CAMERA, "cam-b", FRAMES_PER_CAMERA));
        assertThat(deadLetters).hasSize(1);
        assertThat(framesIn).isEqualTo(detectionRecords + deadLetters.size());
        ConsumerRecord<byte[], byte[]> dl = deadLetters.get(0);
        assertThat(header(dl, "dlq.reason")).isEqualTo("malformed-header");
        assertThat(header(dl, "dlq.truncated")).isEqualTo("true");
        assertThat(header(dl, "dlq.source.topic")).isEqualTo("frames");
        assertThat(header(dl, "dlq.source.partition")).isEqualTo(Integer.toString(poison.partition()));
        assertThat(header(dl, "dlq.source.offset")).isEqualTo(Long.toString(poison.offset()));
        assertThat(header(dl, "dlq.original.value.bytes")).isEqualTo(Integer.toString(15 * MIB));
        assertThat(dl.headers().lastHeader(FrameHeaders.FRAME_INDEX)).as("the 1 MB header is not copied").isNull();
        assertThat(new String(dl.key(), StandardCharsets.UTF_8)).isEqualTo("cam-a");
        assertThat(dl.serializedValueSize() + dl.serializedKeySize())
                .isLessThanOrEqualTo(InferenceOptions.DEAD_LETTER_MAX_RECORD_BYTES.defaultValue());
    }

    /**
     * A dead-letter sink the broker keeps refusing (its topic's max.message.bytes below the configured
     * max-record-bytes) fails the job after the configured restarts, with the broker's error as the cause.
     */
    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aDeadLetterSinkThatKeepsFailingEndsTheJobAfterBoundedRestarts(@TempDir Path checkpoints) throws Exception {
        kafka.createTopic("frames-2", 1);
        kafka.createTopic("detections-2", 1);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("small-dlq", 1, (short) 1)
                    .configs(Map.of("max.message.bytes", Integer.toString(MIB))))).all().get(60, TimeUnit.SECONDS);
        }
        kafka.createTopic("small-dlq", 1); // waits for its leader
        byte[] notAnImage = new byte[MIB + MIB / 2];
        new Random(3).nextBytes(notAnImage);
        RecordHeaders h = new RecordHeaders();
        h.add(FrameHeaders.FRAME_INDEX, "0".getBytes(StandardCharsets.UTF_8));
        h.add(FrameHeaders.ENCODING, "jpeg".getBytes(StandardCharsets.UTF_8));
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            p.send(new ProducerRecord<>("frames-2", null, null, "cam-x".getBytes(StandardCharsets.UTF_8),
                    notAnImage, h)).get();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
        VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers(kafka.bootstrapServers())
                .framesTopic("frames-2").detectionsTopic("detections-2").deadLetterTopic("small-dlq")
                .groupId("bounded-restarts").transactionalIdPrefix("bounded-restarts")
                .startFrom(JobSettings.StartFrom.EARLIEST).bounded(true).checkpointIntervalMs(500)
                .checkpointDir(checkpoints.toUri().toString()).maxRestartAttempts(2)
                .inference(InferenceOptions.BACKEND.key(), "ONNXRUNTIME")
                .inference(InferenceOptions.DEAD_LETTER_MAX_RECORD_BYTES.key(), Integer.toString(2 * MIB))
                .build());
        Throwable failure = catchThrowable(() -> env.execute("dead-letter sink refused"));
        assertThat(failure).as("the job fails instead of restarting forever").isNotNull();
        assertThat(ExceptionUtils.findThrowable(failure, RecordTooLargeException.class)).isPresent();
        assertThat(ExceptionUtils.stringifyException(failure)).contains("Recovery is suppressed");
    }

    private static void send(String camera) throws Exception {
        long sent = VideoToKafka.builder().bootstrapServers(kafka.bootstrapServers()).topic("frames")
                .input(VideoInferenceJobITCase.clip().toString()).cameraId(camera).fps(0)
                .maxFrames(FRAMES_PER_CAMERA).build().run();
        assertThat(sent).isEqualTo(FRAMES_PER_CAMERA);
    }

    /** A frame record of {@code valueBytes} with a {@code headerBytes} frame-index header that is not a number. */
    static RecordMetadata sendPoison(String topic, int valueBytes, int headerBytes) throws Exception {
        byte[] value = new byte[valueBytes];
        new Random(11).nextBytes(value);
        byte[] index = new byte[headerBytes];
        Arrays.fill(index, (byte) '9');
        index[headerBytes / 2] = 'x';
        RecordHeaders h = new RecordHeaders();
        h.add(FrameHeaders.FRAME_INDEX, index);
        h.add(FrameHeaders.ENCODING, "jpeg".getBytes(StandardCharsets.UTF_8));
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            return p.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(),
                    "cam-a".getBytes(StandardCharsets.UTF_8), value, h)).get();
        }
    }

    /** Records in a topic by its end offsets (written by non-transactional producers: one offset per record). */
    private static long recordsIn(String topic) {
        Properties p = kafka.consumerProperties("count");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}

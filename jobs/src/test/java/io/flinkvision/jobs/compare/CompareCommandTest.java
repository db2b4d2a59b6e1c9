package io.flinkvision.jobs.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.CocoLabels;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.jobs.kafka.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code compare} on two detection topics of an in-process KRaft broker with known differences: an identical frame, a
 * box moved a little (IoU 0.91, score -0.2), a box moved more (IoU 0.74) with a missed dog and an extra car, a frame
 * only on each side, an error record, a duplicate, a second camera with the same frame index, and a record of an
 * aborted transaction that {@code read_committed} must not see. Expected figures are counted by hand below.
 */
class CompareCommandTest {
    private static final int PERSON = 0;
    private static final int CAR = 2;
    private static final int DOG = 16;
    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    private static Detection det(int classId, float score, float x1, float y1, float x2, float y2) {
        return new Detection(classId, CocoLabels.label(classId), score, new BoundingBox(x1, y1, x2, y2));
    }

    private static FrameDetections frame(String camera, long index, Detection... detections) {
        FrameDetections f = new FrameDetections();
        f.setCameraId(camera);
        f.setFrameIndex(index);
        f.setImageWidth(768);
        f.setImageHeight(576);
        f.setDetections(List.of(detections));
        return f;
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, FrameDetections f) throws Exception {
        p.send(new ProducerRecord<>(topic, f.getCameraId().getBytes(StandardCharsets.UTF_8), DetectionJson.toBytes(f)))
                .get();
    }

    @BeforeAll
    static void writeTwoTopicsWithKnownDifferences() throws Exception {
        kafka = EmbeddedKafka.start();
        kafka.createTopic("left", 2);
        kafka.createTopic("right", 2);
        Detection person = det(PERSON, 0.9f, 10, 10, 110, 210);
        Detection car = det(CAR, 0.8f, 300, 300, 400, 380);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            // cam-1#0: identical on both sides (and written twice on the right: a duplicate)
            send(p, "left", frame("cam-1", 0, person, car));
            send(p, "right", frame("cam-1", 0, person, car));
            send(p, "right", frame("cam-1", 0, person, car));
            // cam-1#1: box taller by 20 px: IoU 200*100 / (220*100) = 0.909; score 0.9 -> 0.7
            send(p, "left", frame("cam-1", 1, person));
            send(p, "right", frame("cam-1", 1, det(PERSON, 0.7f, 10, 10, 110, 230)));
            // cam-1#2: person moved down 30 px: IoU 170*100 / (2*200*100 - 170*100) = 0.739; dog missed, car extra
            send(p, "left", frame("cam-1", 2, det(PERSON, 0.85f, 50, 50, 150, 250), det(DOG, 0.6f, 500, 100, 560, 160)));
            send(p, "right", frame("cam-1", 2, det(PERSON, 0.85f, 50, 80, 150, 280), det(CAR, 0.5f, 600, 400, 700, 470)));
            // cam-1#3 only left, cam-1#4 only right
            send(p, "left", frame("cam-1", 3, person));
            send(p, "right", frame("cam-1", 4, person));
            // cam-1#5: an error record on the right
            send(p, "left", frame("cam-1", 5, person));
            FrameDetections error = frame("cam-1", 5);
            error.setStatus(FrameDetections.STATUS_ERROR);
            error.setError(new FrameDetections.ErrorInfo("inference-timeout", "timed out"));
            send(p, "right", error);
            // cam-2#0: the same frame index on another camera, identical
            send(p, "left", frame("cam-2", 0, person));
            send(p, "right", frame("cam-2", 0, person));
        }
        Properties tx = kafka.producerProperties();
        tx.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "compare-test-aborted");
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(tx)) {
            p.initTransactions();
            p.beginTransaction();
            send(p, "right", frame("cam-1", 6, person)); // aborted: never committed output
            p.flush();
            p.abortTransaction();
        }
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private record Run(int exitCode, String stdout, String stderr, JsonNode report) {}

    private Run compare(String... extra) throws Exception {
        CompareCommand cmd = new CompareCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        Path report = dir.resolve("compare-" + System.nanoTime() + ".json");
        List<String> args = new java.util.ArrayList<>(List.of("--bootstrap-servers", kafka.bootstrapServers(),
                "--report", report.toString(), "--timeout-s", "120"));
        args.addAll(List.of(extra));
        int rc = new CommandLine(cmd).execute(args.toArray(String[]::new));
        JsonNode json = report.toFile().exists() ? DetectionJson.mapper().readTree(report.toFile()) : null;
        return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), json);
    }

    @Test
    void reportsTheKnownDifferencesAndFailsBelowTheAgreementThreshold() throws Exception {
        Run r = compare("--left", "left", "--right", "right");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isEqualTo(CompareCommand.EXIT_FAILED);
        assertThat(r.stdout()).contains("compare: FAIL detection agreement at IoU >= 0.9 is 0.5000");
        JsonNode j = r.report();
        assertThat(j.get("left").get("records").asLong()).isEqualTo(6);
        assertThat(j.get("right").get("records").asLong()).as("the aborted record is not read").isEqualTo(7);
        assertThat(j.get("right").get("duplicates").asLong()).isEqualTo(1);
        assertThat(j.get("onlyLeft")).extracting(JsonNode::asText).containsExactly("cam-1#3");
        assertThat(j.get("onlyRight")).extracting(JsonNode::asText).containsExactly("cam-1#4");
        assertThat(j.get("errorFrames")).extracting(JsonNode::asText).containsExactly("cam-1#5 right");

        JsonNode d = j.get("detections");
        assertThat(d.get("frames").asLong()).isEqualTo(4); // cam-1#0, #1, #2, cam-2#0
        assertThat(d.get("framesInAgreement").asLong()).isEqualTo(3); // cam-1#0, #1 (IoU 0.909), cam-2#0
        JsonNode all = d.get("all");
        assertThat(all.get("reference").asLong()).isEqualTo(6);
        assertThat(all.get("test").asLong()).isEqualTo(6);
        assertThat(all.get("matched50").asLong()).isEqualTo(5);
        assertThat(all.get("matched90").asLong()).isEqualTo(4);
        assertThat(all.get("missed").asLong()).isEqualTo(1);
        assertThat(all.get("extra").asLong()).isEqualTo(1);
        assertThat(all.get("agreement").asDouble()).isEqualTo(4.0 / (6 + 6 - 4));
        assertThat(all.get("maxAbsScoreDiff").asDouble()).isCloseTo(0.2, within(1e-6));
        assertThat(all.get("meanAbsScoreDiff").asDouble()).isCloseTo(0.2 / 5, within(1e-6));

        JsonNode classes = d.get("classes");
        assertThat(classes).extracting(c -> c.get("label").asText()).containsExactly("person", "car", "dog");
        JsonNode person = classes.get(0);
        assertThat(person.get("reference").asLong()).isEqualTo(4);
        assertThat(person.get("matched50").asLong()).isEqualTo(4);
        assertThat(person.get("matched90").asLong()).isEqualTo(3);
        JsonNode car = classes.get(1);
        assertThat(car.get("reference").asLong()).isEqualTo(1);
        assertThat(car.get("test").asLong()).isEqualTo(2);
        assertThat(car.get("extra").asLong()).isEqualTo(1);
        JsonNode dog = classes.get(2);
        assertThat(dog.get("missed").asLong()).isEqualTo(1);
        assertThat(d.get("worstFrames").get(0).get("frame").asText()).isEqualTo("cam-1#2");
    }

    @Test
    void passesAtALowerThresholdAndATopicThatDoesNotExistIsAUsageError() throws Exception {
        assertThat(compare("--left", "left", "--right", "right", "--min-agreement", "0.5").exitCode()).isZero();
        Run missing = compare("--left", "left", "--right", "no-such-topic");
        assertThat(missing.exitCode()).isEqualTo(CompareCommand.EXIT_USAGE);
        assertThat(missing.stderr()).contains("no-such-topic");
        assertThat(compare("--left", "left", "--right", "left").exitCode()).isEqualTo(CompareCommand.EXIT_USAGE);
    }
}

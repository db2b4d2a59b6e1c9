package io.flinkvision.jobs.dashboard;

import io.flinkvision.testing.TestFixtures;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.CocoLabels;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.LatencyBreakdown;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.frame.FrameSerde;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Real frames (JPEG frames 0, 100 and 200 of vtest.avi) and their detection records (the golden YOLOX-Nano
 * detections of an independent implementation), published the way the pipeline does: frames with a plain producer,
 * detection records with a transactional producer like Flink's {@code EXACTLY_ONCE} sink.
 */
final class DashboardTestData {
    static final String FRAMES = "frames";
    static final String DETECTIONS = "detections";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DashboardTestData() {}

    static byte[] jpeg(String name) {
        try (InputStream in = DashboardTestData.class.getResourceAsStream("/flinkvision/golden/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource missing: /dashboard/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Golden detections of an image (vtest_000.jpg, vtest_100.jpg or vtest_200.jpg). */
    static List<Detection> golden(String image) {
        try (InputStream in = DashboardTestData.class.getResourceAsStream("/dashboard/golden-detections.json")) {
            JsonNode list = MAPPER.readTree(in).get("detections").get(image);
            List<Detection> out = new ArrayList<>();
            for (JsonNode d : list) {
                int classId = d.get("classId").asInt();
                JsonNode b = d.get("box");
                out.add(new Detection(classId, CocoLabels.label(classId), (float) d.get("score").asDouble(),
                        new BoundingBox((float) b.get(0).asDouble(), (float) b.get(1).asDouble(),
                                (float) b.get(2).asDouble(), (float) b.get(3).asDouble())));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ProducerRecord<byte[], byte[]> frameRecord(String camera, long index, long captureMs, byte[] jpeg) {
        Frame f = new Frame(camera, index, captureMs, FrameEncoding.JPEG, jpeg);
        f.setWidth(768);
        f.setHeight(576);
        return FrameSerde.toRecord(FRAMES, f);
    }

    static FrameDetections detections(String camera, long index, long captureMs, long emitMs,
            List<Detection> detections) {
        FrameDetections r = new FrameDetections();
        r.setCameraId(camera);
        r.setFrameIndex(index);
        r.setCaptureTimestampMs(captureMs);
        r.setImageWidth(768);
        r.setImageHeight(576);
        r.setDetections(detections);
        r.setModel("yolox_nano_dyn.onnx");
        r.setBackend("onnxruntime");
        r.setPrecision("fp32");
        r.setBatchSize(4);
        r.setLatencyMs(new LatencyBreakdown(8, 25, 40));
        r.setEmitTimestampMs(emitMs);
        return r;
    }

    static ProducerRecord<byte[], byte[]> detectionRecord(FrameDetections r) {
        try {
            return new ProducerRecord<>(DETECTIONS, null, r.getEmitTimestampMs(),
                    r.getCameraId().getBytes(StandardCharsets.UTF_8), MAPPER.writeValueAsBytes(r));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
    }

    static KafkaProducer<byte[], byte[]> transactionalProducer(String bootstrap, String transactionalId) {
        KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
        p.initTransactions();
        return p;
    }
}

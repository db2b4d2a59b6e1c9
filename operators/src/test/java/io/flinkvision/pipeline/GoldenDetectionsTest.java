package io.flinkvision.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.Detection;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden test: the job's code path (decode -> letterbox -> micro-batch -> ONNX Runtime -> YOLOX decode -> NMS) on the
 * real images of {@code golden/}, against detections an independent implementation (Python OpenCV + onnxruntime,
 * official YOLOX demo post-processing) produced. Tolerance (golden/README.md, FP32 CPU): every golden detection matched
 * by one of ours with the same class, IoU >= 0.95 and |score diff| <= 0.01; none of ours unmatched with score >= 0.35.
 */
class GoldenDetectionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static InferenceEngine engine;
    private static Map<String, byte[]> images;
    private static JsonNode golden;

    @BeforeAll
    static void setUp() throws Exception {
        engine = InferenceEngines.open(EngineSpec.builder().backend(Backend.ONNXRUNTIME)
                .maxBatchSize(8).maxInFlight(2).build());
        try (InputStream in = GoldenDetectionsTest.class.getResourceAsStream("/flinkvision/golden/golden.json")) {
            golden = JSON.readTree(in);
        }
        images = new LinkedHashMap<>();
        for (Iterator<String> it = golden.get("detections").fieldNames(); it.hasNext(); ) {
            String name = it.next();
            try (InputStream in = GoldenDetectionsTest.class.getResourceAsStream("/flinkvision/golden/" + name)) {
                images.put(name, in.readAllBytes());
            }
        }
        assertThat(images).hasSize(5);
    }

    @AfterAll
    static void tearDown() {
        engine.close();
    }

    private static Map<String, FrameDetections> runAll(BatchPolicy policy) throws Exception {
        Map<String, FrameDetections> results = new LinkedHashMap<>();
        List<CompletableFuture<InferenceOutcome>> futures = new ArrayList<>();
        try (DetectionPipeline pipeline = DetectionPipeline.builder(engine).batchPolicy(policy).preprocessThreads(2)
                .build()) {
            long i = 0;
            for (byte[] jpeg : images.values()) {
                futures.add(pipeline.submit(new Frame("golden", i++, 0L, FrameEncoding.JPEG, jpeg)));
            }
            int k = 0;
            for (String name : images.keySet()) {
                InferenceOutcome o = futures.get(k++).get(60, TimeUnit.SECONDS);
                assertThat(o.isDeadLetter()).as("outcome of %s: %s", name, o).isFalse();
                results.put(name, o.getDetections());
            }
        }
        return results;
    }

    @Test
    void batchedRunMatchesGoldenDetections() throws Exception {
        // a long deadline so the 5 images form one micro-batch
        Map<String, FrameDetections> results = runAll(new BatchPolicy(8, 2000, 2));
        assertThat(results.values()).extracting(FrameDetections::getBatchSize).contains(5);
        for (Map.Entry<String, FrameDetections> e : results.entrySet()) {
            assertMatchesGolden(e.getKey(), e.getValue());
        }
    }

    @Test
    void singleImageRunsGiveTheSameDetectionsAsBatched() throws Exception {
        Map<String, FrameDetections> single = runAll(new BatchPolicy(1, 0, 1));
        Map<String, FrameDetections> batched = runAll(new BatchPolicy(8, 2000, 1));
        assertThat(single.values()).extracting(FrameDetections::getBatchSize).containsOnly(1);
        for (String name : images.keySet()) {
            List<Detection> a = single.get(name).getDetections();
            List<Detection> b = batched.get(name).getDetections();
            assertThat(a).as(name).hasSameSizeAs(b).isNotEmpty();
            for (int i = 0; i < a.size(); i++) {
                assertThat(a.get(i).getClassId()).isEqualTo(b.get(i).getClassId());
                assertThat(a.get(i).getScore()).isCloseTo(b.get(i).getScore(), org.assertj.core.data.Offset.offset(1e-4f));
                assertThat(a.get(i).getBox().iou(b.get(i).getBox())).isGreaterThan(0.999f);
            }
        }
    }

    @Test
    void imageSizesAndLabelsAreReported() throws Exception {
        Map<String, FrameDetections> results = runAll(new BatchPolicy(4, 10, 2));
        FrameDetections street = results.get("vtest_000.jpg");
        assertThat(street.getImageWidth()).isEqualTo(768);
        assertThat(street.getImageHeight()).isEqualTo(576);
        assertThat(street.getDetections()).extracting(Detection::getLabel).contains("person", "car");
        for (Detection d : street.getDetections()) {
            BoundingBox b = d.getBox();
            assertThat(b.getX1()).isBetween(0f, 768f);
            assertThat(b.getX2()).isBetween(b.getX1(), 768f);
            assertThat(b.getY1()).isBetween(0f, 576f);
            assertThat(b.getY2()).isBetween(b.getY1(), 576f);
        }
    }

    private static void assertMatchesGolden(String name, FrameDetections ours) {
        List<Detection> mine = new ArrayList<>(ours.getDetections());
        boolean[] used = new boolean[mine.size()];
        JsonNode expected = golden.get("detections").get(name);
        assertThat(expected.size()).as("golden detections of %s", name).isGreaterThan(0);
        for (JsonNode g : expected) {
            int cls = g.get("classId").asInt();
            float score = (float) g.get("score").asDouble();
            JsonNode box = g.get("box");
            BoundingBox gb = new BoundingBox((float) box.get(0).asDouble(), (float) box.get(1).asDouble(),
                    (float) box.get(2).asDouble(), (float) box.get(3).asDouble());
            int best = -1;
            float bestIou = 0;
            for (int i = 0; i < mine.size(); i++) {
                Detection d = mine.get(i);
                if (!used[i] && d.getClassId() == cls) {
                    float iou = d.getBox().iou(gb);
                    if (iou > bestIou) {
                        bestIou = iou;
                        best = i;
                    }
                }
            }
            assertThat(best).as("%s: golden %s class %d score %.3f unmatched; ours: %s", name, gb, cls, score, mine)
                    .isGreaterThanOrEqualTo(0);
            assertThat(bestIou).as("%s: IoU with golden %s class %d", name, gb, cls).isGreaterThanOrEqualTo(0.95f);
            assertThat(Math.abs(mine.get(best).getScore() - score)).as("%s: score diff for golden %s", name, gb)
                    .isLessThanOrEqualTo(0.01f);
            used[best] = true;
        }
        for (int i = 0; i < mine.size(); i++) {
            if (!used[i]) {
                assertThat(mine.get(i).getScore()).as("%s: unmatched detection %s", name, mine.get(i)).isLessThan(0.35f);
            }
        }
    }
}

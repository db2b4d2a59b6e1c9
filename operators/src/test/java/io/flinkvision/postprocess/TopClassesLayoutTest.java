package io.flinkvision.postprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.detection.Detection;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.tensor.InputBatch;
import io.flinkvision.tensor.OutputBatch;
import io.flinkvision.tensor.OutputLayout;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.LetterboxedImage;
import io.flinkvision.imaging.TensorLayout;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The top-K output layout (what the TensorRT output head computes on the GPU) against the raw YOLOX layout, on the real
 * model's output for the real golden images: the reduction is done here in Java the way the TensorRT layers do it
 * (score = objectness * class probability, the K best classes in descending order, their indices as floats), then
 * both layouts go through the same post-processing and must give the same detections.
 */
class TopClassesLayoutTest {
    private static final String[] IMAGES = {"fruits.jpg", "messi5.jpg", "vtest_000.jpg", "vtest_100.jpg", "vtest_200.jpg"};
    private static final List<float[]> RAW = new ArrayList<>();
    private static final List<LetterboxedImage> GEOMETRY = new ArrayList<>();
    private static int rows;
    private static int columns;

    @BeforeAll
    static void runModel() throws Exception {
        ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
        try (InferenceEngine engine = InferenceEngines.open(EngineSpec.builder().backend(Backend.ONNXRUNTIME)
                .maxBatchSize(1).maxInFlight(1)
                .build())) {
            rows = engine.info().outputRows();
            columns = engine.info().outputColumns();
            Letterbox letterbox = new Letterbox(engine.info().inputWidth(), engine.info().inputHeight());
            for (String name : IMAGES) {
                byte[] jpeg;
                try (InputStream in = TopClassesLayoutTest.class.getResourceAsStream("/flinkvision/golden/" + name)) {
                    jpeg = in.readAllBytes();
                }
                LetterboxedImage image;
                try (Mat bgr = decoder.decode("jpeg", jpeg, 0, 0)) {
                    image = letterbox.apply(bgr);
                }
                InputBatch in = engine.acquire();
                TensorLayout.writeNchw(image, in, 0);
                in.setSize(1);
                float[] raw = new float[rows * columns];
                try (OutputBatch out = engine.submit(in).get(2, TimeUnit.MINUTES)) {
                    out.data().duplicate().position(out.offset(0)).get(raw);
                }
                RAW.add(raw);
                GEOMETRY.add(image);
            }
        }
    }

    @AfterAll
    static void clear() {
        RAW.clear();
        GEOMETRY.clear();
    }

    /** Java version of the GPU head: {@code [rows, 5 + C]} -> {@code [rows, 4 + 2K]}. */
    static float[] reduce(float[] raw, int rows, int columns, int k) {
        int classes = columns - 5;
        float[] out = new float[rows * (4 + 2 * k)];
        for (int a = 0; a < rows; a++) {
            int b = a * columns;
            int o = a * (4 + 2 * k);
            System.arraycopy(raw, b, out, o, 4);
            float obj = raw[b + 4];
            Integer[] order = new Integer[classes];
            float[] score = new float[classes];
            for (int c = 0; c < classes; c++) {
                order[c] = c;
                score[c] = raw[b + 5 + c] * obj;
            }
            java.util.Arrays.sort(order, Comparator.comparingDouble((Integer c) -> -score[c]));
            for (int j = 0; j < k; j++) {
                out[o + 4 + j] = score[order[j]];
                out[o + 4 + k + j] = order[j];
            }
        }
        return out;
    }

    private static List<String> detections(FloatBuffer out, OutputLayout layout, LetterboxedImage g) {
        YoloxPostprocessor p = new YoloxPostprocessor(g.width(), g.height(), rows, layout, PostprocessConfig.DEFAULT);
        List<String> d = new ArrayList<>();
        for (Detection x : p.process(out, 0, g.scale(), g.sourceWidth(), g.sourceHeight())) {
            d.add(x.getLabel() + String.format(" %.6f [%.3f %.3f %.3f %.3f]", x.getScore(), x.getBox().getX1(),
                    x.getBox().getY1(), x.getBox().getX2(), x.getBox().getY2()));
        }
        d.sort(null);
        return d;
    }

    @Test
    void topThreeGivesTheDetectionsOfTheRawOutputOnEveryGoldenImage() {
        OutputLayout raw = OutputLayout.raw(columns - 5);
        OutputLayout top3 = OutputLayout.topK(columns - 5, 3);
        int total = 0;
        for (int i = 0; i < IMAGES.length; i++) {
            List<String> expected = detections(FloatBuffer.wrap(RAW.get(i)), raw, GEOMETRY.get(i));
            List<String> actual = detections(FloatBuffer.wrap(reduce(RAW.get(i), rows, columns, 3)), top3,
                    GEOMETRY.get(i));
            assertThat(actual).as(IMAGES[i]).isEqualTo(expected);
            total += expected.size();
        }
        assertThat(total).as("golden images hold detections").isGreaterThanOrEqualTo(30);
    }

    @Test
    void topOneKeepsOnlyTheBestClassAndCountsAnchorsThatHadMore() {
        OutputLayout top1 = OutputLayout.topK(columns - 5, 1);
        LetterboxedImage g = GEOMETRY.get(0);
        YoloxDecoder decoder = new YoloxDecoder(g.width(), g.height(), rows);
        List<Candidate> rawCandidates = decoder.decode(FloatBuffer.wrap(RAW.get(0)), 0, columns, 0.01f);
        List<Candidate> top1Candidates = decoder.decode(FloatBuffer.wrap(reduce(RAW.get(0), rows, columns, 1)), 0,
                top1, 0.01f);
        // at a low threshold some anchors have two classes above it: top-1 drops the second ones...
        assertThat(top1Candidates).isNotEmpty().hasSizeLessThan(rawCandidates.size());
        // ...and counts every anchor whose K-th (here: only) kept score passed, one candidate each
        assertThat(decoder.saturatedAnchors()).isEqualTo(top1Candidates.size());
    }

    @Test
    void layoutColumnsAndLimits() {
        assertThat(OutputLayout.raw(80).columns()).isEqualTo(85);
        assertThat(OutputLayout.topK(80, 3).columns()).isEqualTo(10);
        assertThat(OutputLayout.topK(80, 3).id()).isEqualTo("top3");
        assertThat(OutputLayout.rawFromColumns(85)).isEqualTo(OutputLayout.raw(80));
        assertThatThrownBy(() -> OutputLayout.topK(80, 81)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1..80");
        assertThatThrownBy(() -> OutputLayout.rawFromColumns(5)).isInstanceOf(IllegalArgumentException.class);
    }
}

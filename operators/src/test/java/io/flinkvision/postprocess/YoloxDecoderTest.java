package io.flinkvision.postprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.flinkvision.detection.Detection;
import io.flinkvision.tensor.OutputLayout;
import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class YoloxDecoderTest {
    private static final int COLS = 85;

    @Test
    void anchorCountFollowsTheThreeStrides() {
        assertThat(new YoloxDecoder(416, 416, 3549).rows()).isEqualTo(52 * 52 + 26 * 26 + 13 * 13);
        assertThatThrownBy(() -> new YoloxDecoder(416, 416, 3500)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3549");
    }

    @Test
    void decodesGridCellAndStrideByHand() {
        float[] out = new float[3549 * COLS];
        // stride-16 grid starts after 52*52 anchors; cell (x=3, y=2) is row 2704 + 2*26 + 3
        int row = 2704 + 2 * 26 + 3;
        int b = row * COLS;
        out[b] = 0.5f; // raw x
        out[b + 1] = 0.25f; // raw y
        out[b + 2] = (float) Math.log(2); // w = 2 * 16
        out[b + 3] = 0f; // h = 1 * 16
        out[b + 4] = 0.9f; // objectness
        out[b + 5 + 7] = 0.5f; // class 7 (truck): score 0.45
        out[b + 5 + 2] = 0.2f; // class 2 (car): score 0.18 < 0.3
        List<Candidate> c = new YoloxDecoder(416, 416, 3549).decode(FloatBuffer.wrap(out), 0, COLS, 0.3f);
        assertThat(c).hasSize(1);
        Candidate k = c.get(0);
        // cx = (0.5 + 3) * 16 = 56, cy = (0.25 + 2) * 16 = 36, w = 32, h = 16
        assertThat(k.classId).isEqualTo(7);
        assertThat(k.score).isCloseTo(0.45f, within(1e-6f));
        assertThat(k.x1).isCloseTo(40f, within(1e-4f));
        assertThat(k.y1).isCloseTo(28f, within(1e-4f));
        assertThat(k.x2).isCloseTo(72f, within(1e-4f));
        assertThat(k.y2).isCloseTo(44f, within(1e-4f));
    }

    @Test
    void postprocessorMapsToSourcePixelsAndClips() {
        float[] out = new float[2 * 3549 * COLS];
        int offset = 3549 * COLS; // second image of the batch
        int b = offset + (51 * 52 + 51) * COLS; // last stride-8 cell (x=51, y=51): cx = cy = (0 + 51) * 8 = 408
        out[b + 2] = (float) Math.log(4); // w = h = 32 -> box [392, 392, 424, 424] in input pixels
        out[b + 3] = (float) Math.log(4);
        out[b + 4] = 1f;
        out[b + 5] = 0.8f; // person
        YoloxPostprocessor p = new YoloxPostprocessor(416, 416, 3549, OutputLayout.raw(80), PostprocessConfig.DEFAULT);
        double r = 0.5; // source 832x832
        List<Detection> d = p.process(FloatBuffer.wrap(out), offset, r, 832, 800);
        assertThat(d).hasSize(1);
        assertThat(d.get(0).getLabel()).isEqualTo("person");
        assertThat(d.get(0).getBox().getX1()).isCloseTo(784f, within(1e-3f));
        assertThat(d.get(0).getBox().getX2()).isCloseTo(832f, within(1e-3f)); // 848 clipped to width
        assertThat(d.get(0).getBox().getY2()).isCloseTo(800f, within(1e-3f)); // 848 clipped to height
    }
}

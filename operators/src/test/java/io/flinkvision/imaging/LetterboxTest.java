package io.flinkvision.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.InputBatch;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

class LetterboxTest {
    private final Letterbox lb = new Letterbox(416, 416);

    @Test
    void landscapeClipScalesByWidthAndPadsBelow() {
        // 768x576: r = min(416/576, 416/768) = 0.541666..., resized to (416, 312)
        assertThat(lb.scaleFor(768, 576)).isEqualTo(416.0 / 768.0);
        assertThat(lb.resizedSize(768, 576)).containsExactly(416, 312);
        try (Mat img = new Mat(576, 768, CV_8UC3, new Scalar(10, 20, 30, 0))) {
            LetterboxedImage out = lb.apply(img);
            assertThat(out.scale()).isEqualTo(416.0 / 768.0);
            assertThat(out.sourceWidth()).isEqualTo(768);
            assertThat(out.sourceHeight()).isEqualTo(576);
            // inside the resized area: the image's BGR; row 312 and below: pad 114
            assertThat(pixel(out, 0, 0)).containsExactly(10, 20, 30);
            assertThat(pixel(out, 415, 311)).containsExactly(10, 20, 30);
            assertThat(pixel(out, 0, 312)).containsExactly(114, 114, 114);
            assertThat(pixel(out, 415, 415)).containsExactly(114, 114, 114);
        }
    }

    @Test
    void portraitImageScalesByHeightAndPadsRight() {
        // 300x600 -> r = 416/600 = 0.6933, resized (int(300*r)=208, 416)
        assertThat(lb.resizedSize(300, 600)).containsExactly(208, 416);
        try (Mat img = new Mat(600, 300, CV_8UC3, new Scalar(1, 2, 3, 0))) {
            LetterboxedImage out = lb.apply(img);
            assertThat(pixel(out, 207, 415)).containsExactly(1, 2, 3);
            assertThat(pixel(out, 208, 0)).containsExactly(114, 114, 114);
        }
    }

    @Test
    void smallImageIsUpscaledToFillOneSide() {
        // 2x2 -> r = 208, resized 416x416: no padding at all
        assertThat(lb.scaleFor(2, 2)).isEqualTo(208.0);
        assertThat(lb.resizedSize(2, 2)).containsExactly(416, 416);
    }

    @Test
    void letterboxIsPlanarAndNchwLayoutKeepsBgrPlanes() {
        try (Mat img = new Mat(416, 416, CV_8UC3, new Scalar(7, 8, 200, 0))) {
            LetterboxedImage lbImg = lb.apply(img);
            int plane = 416 * 416;
            assertThat(lbImg.value(1)).isEqualTo(7); // B plane first
            assertThat(lbImg.value(plane + 1)).isEqualTo(8);
            assertThat(lbImg.value(2 * plane + 1)).isEqualTo(200);
            int per = 3 * plane;
            InputBatch f32 = new InputBatch(0, ByteBuffer.allocateDirect(2 * per * 4), ElementType.FLOAT32, 2, per);
            TensorLayout.writeNchw(lbImg, f32, 1);
            FloatBuffer fb = f32.data().asFloatBuffer();
            assertThat(fb.get(per + 1)).isEqualTo(7f);
            assertThat(fb.get(per + plane + 1)).isEqualTo(8f);
            assertThat(fb.get(per + 3 * plane - 1)).isEqualTo(200f); // unsigned
            assertThat(fb.get(1)).isEqualTo(0f); // image 0 untouched

            InputBatch u8 = new InputBatch(0, ByteBuffer.allocateDirect(2 * per), ElementType.UINT8, 2, per);
            TensorLayout.writeNchw(lbImg, u8, 1);
            assertThat(u8.data().get(per + plane + 1)).isEqualTo((byte) 8);
            assertThat(u8.data().get(per + 3 * plane - 1) & 0xFF).isEqualTo(200);
            assertThat(u8.data().get(1)).isEqualTo((byte) 0);
        }
    }

    @Test
    void pooledCanvasIsReusedAndRepaddedWhenTheGeometryChanges() {
        try (Letterbox pool = new Letterbox(416, 416);
                Mat wide = new Mat(576, 768, CV_8UC3, new Scalar(10, 20, 30, 0));
                Mat tall = new Mat(832, 208, CV_8UC3, new Scalar(40, 50, 60, 0))) {
            LetterboxedImage first = pool.apply(wide); // 416x312: pad below row 312
            assertThat(pixel(first, 5, 311)).containsExactly(10, 20, 30);
            assertThat(pixel(first, 5, 312)).containsExactly(114, 114, 114);
            first.close();
            assertThat(pool.pooledCanvases()).isEqualTo(1);
            LetterboxedImage second = pool.apply(tall); // same canvas, 104x416: pad right of column 104
            assertThat(pool.pooledCanvases()).isZero();
            assertThat(pixel(second, 103, 400)).containsExactly(40, 50, 60);
            assertThat(pixel(second, 104, 400)).containsExactly(114, 114, 114);
            assertThat(pixel(second, 300, 10)).containsExactly(114, 114, 114); // wide image's pixels are gone
            second.close();
            second.close(); // idempotent: given back once
            assertThat(pool.pooledCanvases()).isEqualTo(1);
            assertThatThrownBy(second::chw).isInstanceOf(IllegalStateException.class);
        }
    }

    private static int[] pixel(LetterboxedImage img, int x, int y) {
        int plane = img.width() * img.height();
        int i = y * img.width() + x;
        return new int[] {img.value(i), img.value(plane + i), img.value(2 * plane + i)};
    }
}

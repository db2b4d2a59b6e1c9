package io.flinkvision.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import io.flinkvision.engine.ElementType;
import io.flinkvision.engine.InputBatch;
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
    void nchwLayoutPutsChannelPlanesInBgrOrder() {
        byte[] hwc = new byte[416 * 416 * 3];
        // pixel (x=1, y=0) = B 7, G 8, R 9
        hwc[3] = 7;
        hwc[4] = 8;
        hwc[5] = 9;
        hwc[hwc.length - 1] = (byte) 200; // last pixel R = 200 (unsigned)
        LetterboxedImage img = new LetterboxedImage(hwc, 416, 416, 1.0, 416, 416);
        int per = 3 * 416 * 416;
        InputBatch f32 = new InputBatch(0, ByteBuffer.allocateDirect(2 * per * 4), ElementType.FLOAT32, 2, per);
        TensorLayout.writeNchw(img, f32, 1);
        FloatBuffer fb = f32.data().asFloatBuffer();
        int plane = 416 * 416;
        assertThat(fb.get(per + 1)).isEqualTo(7f);
        assertThat(fb.get(per + plane + 1)).isEqualTo(8f);
        assertThat(fb.get(per + 2 * plane + 1)).isEqualTo(9f);
        assertThat(fb.get(per + 3 * plane - 1)).isEqualTo(200f);
        assertThat(fb.get(1)).isEqualTo(0f); // image 0 untouched

        InputBatch u8 = new InputBatch(0, ByteBuffer.allocateDirect(per), ElementType.UINT8, 1, per);
        TensorLayout.writeNchw(img, u8, 0);
        assertThat(u8.data().get(plane + 1)).isEqualTo((byte) 8);
        assertThat(u8.data().get(3 * plane - 1) & 0xFF).isEqualTo(200);
    }

    private static int[] pixel(LetterboxedImage img, int x, int y) {
        int i = (y * img.width() + x) * 3;
        return new int[] {img.hwc()[i] & 0xFF, img.hwc()[i + 1] & 0xFF, img.hwc()[i + 2] & 0xFF};
    }
}

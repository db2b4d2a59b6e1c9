package io.flinkvision.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_GRAYSCALE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_PROGRESSIVE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_411;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_420;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_422;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_SAMPLING_FACTOR_444;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

import io.flinkvision.tensor.SourceBatch;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.InvalidFrameException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/**
 * The host side of JPEG decoding on the device: the frame-header probe that decides which files the GPU's hardware
 * decoder gets ({@link ImageHeaderProbe#probeJpegFrame}), {@link ImageDecoder#decodeSource} keeping those undecoded,
 * and {@link Letterbox#stage} laying out pixel images first and JPEG files after them. Real files: the golden JPEGs,
 * and the same image re-encoded by OpenCV (libjpeg-turbo) as progressive, gray and with each chroma subsampling.
 */
class JpegOnDeviceStagingTest {
    private static final ImageDecoder DECODER = new ImageDecoder(DecodeLimits.DEFAULT);

    private static byte[] golden(String name) throws Exception {
        try (InputStream in = JpegOnDeviceStagingTest.class.getResourceAsStream("/flinkvision/golden/" + name)) {
            return in.readAllBytes();
        }
    }

    /** {@code jpeg} decoded by OpenCV ({@code flags}) and encoded again with the {@code imencode} parameters. */
    private static byte[] reencode(byte[] jpeg, int flags, int... params) {
        try (Mat buf = new Mat(new BytePointer(jpeg)); Mat m = imdecode(buf, flags);
                BytePointer out = new BytePointer()) {
            imencode(".jpg", m, out, new IntPointer(params));
            byte[] b = new byte[(int) out.limit()];
            out.get(b);
            return b;
        }
    }

    @Test
    void frameHeaderOfRealFilesSaysWhichTheHardwareDecoderTakes() throws Exception {
        byte[] vtest = golden("vtest_000.jpg");
        ImageHeaderProbe.JpegFrame f = ImageHeaderProbe.probeJpegFrame(vtest);
        assertThat(f.width()).isEqualTo(768);
        assertThat(f.height()).isEqualTo(576);
        assertThat(f.sofMarker()).isEqualTo(0xC0);
        assertThat(f.precision()).isEqualTo(8);
        assertThat(f.components()).isEqualTo(3);
        assertThat(f.baselineYCbCr()).isTrue();

        int color = org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
        for (int[] sampling : new int[][] {{IMWRITE_JPEG_SAMPLING_FACTOR_444, 1, 1}, {IMWRITE_JPEG_SAMPLING_FACTOR_422, 2, 1},
                {IMWRITE_JPEG_SAMPLING_FACTOR_420, 2, 2}}) {
            ImageHeaderProbe.JpegFrame s = ImageHeaderProbe.probeJpegFrame(reencode(vtest, color,
                    IMWRITE_JPEG_QUALITY, 95, IMWRITE_JPEG_SAMPLING_FACTOR, sampling[0]));
            assertThat(s.horizontalSampling()).as("luma H, then chroma").containsExactly(sampling[1], 1, 1);
            assertThat(s.verticalSampling()).containsExactly(sampling[2], 1, 1);
            assertThat(s.baselineYCbCr()).isTrue();
        }
        ImageHeaderProbe.JpegFrame s411 = ImageHeaderProbe.probeJpegFrame(reencode(vtest, color,
                IMWRITE_JPEG_SAMPLING_FACTOR, IMWRITE_JPEG_SAMPLING_FACTOR_411));
        assertThat(s411.horizontalSampling()).containsExactly(4, 1, 1);
        assertThat(s411.baselineYCbCr()).as("4:1:1 stays on the CPU").isFalse();

        ImageHeaderProbe.JpegFrame progressive = ImageHeaderProbe.probeJpegFrame(reencode(vtest, color,
                IMWRITE_JPEG_PROGRESSIVE, 1));
        assertThat(progressive.sofMarker()).isEqualTo(0xC2);
        assertThat(progressive.baselineYCbCr()).isFalse();

        ImageHeaderProbe.JpegFrame gray = ImageHeaderProbe.probeJpegFrame(reencode(vtest, IMREAD_GRAYSCALE,
                IMWRITE_JPEG_QUALITY, 90));
        assertThat(gray.components()).isEqualTo(1);
        assertThat(gray.baselineYCbCr()).isFalse();
    }

    @Test
    void frameHeaderCutShortIsADecodeFailure() throws Exception {
        byte[] vtest = golden("vtest_000.jpg");
        int sof = -1;
        for (int k = 2; k < vtest.length - 1; k++) {
            if ((vtest[k] & 0xFF) == 0xFF && (vtest[k + 1] & 0xFF) == 0xC0) {
                sof = k;
                break;
            }
        }
        byte[] forged = vtest.clone();
        forged[sof + 3] = 8; // segment length 8: too short for the 3 components it declares
        assertThatThrownBy(() -> ImageHeaderProbe.probeJpegFrame(forged)).isInstanceOf(InvalidFrameException.class)
                .hasMessageContaining("frame header of 3 components cut short")
                .extracting(e -> ((InvalidFrameException) e).reason()).isEqualTo(DeadLetterReason.DECODE_FAILED);
    }

    @Test
    void decodeSourceKeepsBaselineFilesForTheDeviceAndDecodesTheRest() throws Exception {
        byte[] vtest = golden("vtest_000.jpg");
        try (SourceImage s = DECODER.decodeSource("jpeg", vtest, 0, 0, true)) {
            assertThat(s.isJpeg()).isTrue();
            assertThat(s.width()).isEqualTo(768);
            assertThat(s.height()).isEqualTo(576);
            assertThat(s.bytes()).isEqualTo(768 * 576 * 3);
            assertThat(s.stagedBytes()).isEqualTo(vtest.length);
        }
        try (SourceImage s = DECODER.decodeSource("jpeg", vtest, 0, 0, false)) {
            assertThat(s.isJpeg()).as("device decode off").isFalse();
            assertThat(s.stagedBytes()).isEqualTo(768 * 576 * 3);
        }
        byte[] progressive = reencode(vtest, org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR,
                IMWRITE_JPEG_PROGRESSIVE, 1);
        try (SourceImage s = DECODER.decodeSource("jpeg", progressive, 0, 0, true)) {
            assertThat(s.isJpeg()).as("progressive: decoded on the host").isFalse();
            assertThat(s.width()).isEqualTo(768);
        }
        // the size limits still apply to files left undecoded
        ImageDecoder small = new ImageDecoder(new DecodeLimits(DecodeLimits.DEFAULT.maxFrameBytes(), 1000));
        assertThatThrownBy(() -> small.decodeSource("jpeg", vtest, 0, 0, true))
                .isInstanceOf(InvalidFrameException.class)
                .extracting(e -> ((InvalidFrameException) e).reason()).isEqualTo(DeadLetterReason.IMAGE_TOO_LARGE);
        byte[] truncated = Arrays.copyOf(vtest, vtest.length / 2);
        assertThatThrownBy(() -> DECODER.decodeSource("jpeg", truncated, 0, 0, true))
                .isInstanceOf(InvalidFrameException.class).hasMessageContaining("truncated JPEG");
    }

    @Test
    void stagePutsPixelImagesFirstAndJpegFilesAfterThem() throws Exception {
        byte[] vtest = golden("vtest_000.jpg");
        byte[] fruits = golden("fruits.jpg");
        byte[] raw = new byte[33 * 17 * 3];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (i * 7);
        }
        SourceBatch batch = new SourceBatch(bytes -> ByteBuffer.allocateDirect((int) bytes), 4);
        try (Letterbox lb = new Letterbox(416, 416);
                SourceImage a = SourceImage.ofJpeg(vtest, 768, 576);
                SourceImage b = SourceImage.ofBgr(raw, 33, 17);
                SourceImage c = SourceImage.ofJpeg(fruits, 512, 480);
                SourceImage d = DECODER.decodeSource("jpeg", fruits, 0, 0)) {
            lb.stage(List.of(a, b, c, d), batch, Letterbox.IndexLoop.SEQUENTIAL);
            long bEnd = SourceBatch.align(raw.length);
            long pixels = bEnd + SourceBatch.align(d.bytes());
            assertThat(batch.pixelBytes()).isEqualTo(pixels);
            assertThat(batch.offset(1)).isZero();
            assertThat(batch.offset(3)).isEqualTo(bEnd);
            assertThat(batch.offset(0)).isEqualTo(pixels);
            assertThat(batch.offset(2)).isEqualTo(pixels + SourceBatch.align(vtest.length));
            assertThat(batch.usedBytes()).isEqualTo(batch.offset(2) + SourceBatch.align(fruits.length));
            assertThat(batch.isJpeg(0)).isTrue();
            assertThat(batch.isJpeg(1)).isFalse();
            assertThat(batch.jpegLength(0)).isEqualTo(vtest.length);
            assertThat(batch.jpegLength(1)).isZero();
            assertThat(batch.width(0)).isEqualTo(768);
            assertThat(batch.resizedWidth(0)).isEqualTo(416);
            assertThat(batch.resizedHeight(0)).isEqualTo(312);
            assertThat(batch.resizedWidth(2)).isEqualTo(416);
            assertThat(batch.resizedHeight(2)).isEqualTo(390);
            ByteBuffer staging = batch.staging();
            byte[] back = new byte[fruits.length];
            staging.get((int) batch.offset(2), back);
            assertThat(back).isEqualTo(fruits);
            back = new byte[raw.length];
            staging.get((int) batch.offset(1), back);
            assertThat(back).isEqualTo(raw);
        }
    }

    @Test
    void sourceBatchKeepsJpegFilesAfterThePixelBytes() {
        SourceBatch b = new SourceBatch(bytes -> ByteBuffer.allocateDirect((int) bytes), 2);
        b.reserve(2048, 512);
        b.set(0, 0, 10, 10, 5, 5);
        b.setJpeg(1, 512, 1000, 640, 480, 416, 312);
        assertThat(b.isJpeg(1)).isTrue();
        assertThatThrownBy(() -> b.setJpeg(1, 0, 100, 640, 480, 416, 312))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must follow");
        assertThatThrownBy(() -> b.setJpeg(1, 1024, 1100, 640, 480, 416, 312))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> b.set(0, 256, 10, 10, 5, 5)).as("pixels past pixelBytes")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.reserve(100, 200)).isInstanceOf(IllegalArgumentException.class);
        b.set(1, 256, 8, 8, 4, 4);
        assertThat(b.isJpeg(1)).as("set() clears the JPEG mark").isFalse();
    }
}

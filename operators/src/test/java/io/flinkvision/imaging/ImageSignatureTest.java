package io.flinkvision.imaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.testing.TestFixtures;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link ImageSignature}: OpenCV's codec signatures, JPEG {@code FF D8 FF} and the whole 8-byte PNG signature. */
class ImageSignatureTest {
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @Test
    void aGoldenJpegIsAJpeg() {
        byte[] jpeg = TestFixtures.bytes("vtest_000.jpg");
        assertThat(ImageSignature.isJpeg(jpeg)).isTrue();
        assertThat(ImageSignature.isPng(jpeg)).isFalse();
        assertThat(ImageSignature.of(jpeg)).contains(FrameEncoding.JPEG);
    }

    @Test
    void theWholePngSignatureMakesAPng() {
        byte[] png = Arrays.copyOf(PNG, 40);
        assertThat(ImageSignature.of(png)).contains(FrameEncoding.PNG);
        assertThat(ImageSignature.of(PNG)).contains(FrameEncoding.PNG);
        for (int k = 0; k < PNG.length; k++) {
            byte[] damaged = png.clone();
            damaged[k] ^= 0x20;
            assertThat(ImageSignature.isPng(damaged)).as("byte %d changed", k).isFalse();
        }
        assertThat(ImageSignature.isPng(Arrays.copyOf(PNG, 7))).isFalse();
    }

    @Test
    void aJpegNeedsTheMarkerAfterSoi() {
        assertThat(ImageSignature.isJpeg(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF})).isTrue();
        assertThat(ImageSignature.isJpeg(new byte[] {(byte) 0xFF, (byte) 0xD8, 0x00, (byte) 0xFF})).isFalse();
        assertThat(ImageSignature.isJpeg(new byte[] {(byte) 0xFF, (byte) 0xD8})).isFalse();
    }

    @Test
    void anythingElseHasNoSignature() {
        assertThat(ImageSignature.of(null)).isEqualTo(Optional.empty());
        assertThat(ImageSignature.of(new byte[0])).isEmpty();
        assertThat(ImageSignature.of("GIF89a".getBytes())).isEmpty();
        assertThat(ImageSignature.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9})).isEmpty();
    }
}

package io.flinkvision.jobs.benchmark;

import io.flinkvision.testing.TestFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.imaging.ImageHeaderProbe;
import io.flinkvision.jobs.producer.VideoToKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The benchmark's frames: JPEG files kept as read, or re-encoded at a given quality; video frames at the producer's. */
class BenchmarkFramesTest {
    private static final Path IMAGES = TestFixtures.frameFolder();

    @Test
    void filesAreKeptAsReadWithoutAQuality() throws Exception {
        BenchmarkFrames f = BenchmarkFrames.load(IMAGES, null, 10, null);
        assertThat(f.count()).isEqualTo(3);
        assertThat(f.jpegQuality()).isEqualTo(BenchmarkFrames.AS_READ);
        assertThat(f.jpeg().get(0)).isEqualTo(Files.readAllBytes(IMAGES.resolve("messi5.jpg")));
    }

    @Test
    void aQualityReEncodesEveryFrameAtIt() throws Exception {
        BenchmarkFrames asRead = BenchmarkFrames.load(IMAGES, null, 10, null);
        BenchmarkFrames q50 = BenchmarkFrames.load(IMAGES, null, 10, 50);
        BenchmarkFrames q95 = BenchmarkFrames.load(IMAGES, null, 10, 95);
        assertThat(q50.jpegQuality()).isEqualTo(50);
        assertThat(q50.meanJpegBytes()).isLessThan(q95.meanJpegBytes());
        for (int i = 0; i < 3; i++) {
            ImageHeaderProbe.JpegFrame h = ImageHeaderProbe.probeJpegFrame(q50.jpeg().get(i));
            assertThat(new int[] {h.width(), h.height()}).isEqualTo(asRead.sizes().get(i));
            assertThat(h.baselineYCbCr()).isTrue();
        }
        assertThat(q50.raw().get(0)).isEqualTo(asRead.raw().get(0)); // the decoded frames are the same
    }

    @Test
    void videoFramesAreEncodedAtTheProducersDefaultQuality() throws Exception {
        BenchmarkFrames v = BenchmarkFrames.load(null, Path.of("../data/vtest.avi"), 2, null);
        assertThat(v.jpegQuality()).isEqualTo(VideoToKafka.DEFAULT_JPEG_QUALITY);
        BenchmarkFrames explicit = BenchmarkFrames.load(null, Path.of("../data/vtest.avi"), 2,
                VideoToKafka.DEFAULT_JPEG_QUALITY);
        assertThat(v.jpeg().get(0)).isEqualTo(explicit.jpeg().get(0));
    }

    @Test
    void qualityOutside1To100IsRefused() {
        assertThatThrownBy(() -> BenchmarkFrames.load(IMAGES, null, 10, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1-100");
        assertThatThrownBy(() -> BenchmarkFrames.load(IMAGES, null, 10, 101))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

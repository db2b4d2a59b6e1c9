package io.flinkvision.engine.tensorrt.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.engine.EngineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The INT8 part of the plan cache key: every setting that makes another plan makes another id. */
class Int8CalibrationIdTest {

    @Test
    void quantizingTheHeadCalibratorAndImagesEachChangeTheId(@TempDir Path dir) throws Exception {
        Path a = Files.write(dir.resolve("a.jpg"), new byte[10]);
        Path b = Files.write(dir.resolve("b.jpg"), new byte[20]);
        List<Path> images = List.of(a, b);
        EngineSpec.CalibrationAlgorithm entropy = EngineSpec.CalibrationAlgorithm.ENTROPY;
        EngineSpec.CalibrationInput input = EngineSpec.CalibrationInput.NETWORK;
        String base = Int8Calibrator.calibrationId(images, entropy, input, false);

        assertThat(base).startsWith("2img-").doesNotContain("qhead");
        assertThat(Int8Calibrator.calibrationId(images, entropy, input, false)).isEqualTo(base);
        assertThat(Int8Calibrator.calibrationId(images, entropy, input, true)).isEqualTo(base + "-qhead");
        assertThat(Int8Calibrator.calibrationId(List.of(a), entropy, input, false)).isNotEqualTo(base);
        assertThat(Int8Calibrator.calibrationId(images, EngineSpec.CalibrationAlgorithm.MINMAX, input, false))
                .isNotEqualTo(base);
        assertThat(Int8Calibrator.calibrationId(List.of(), entropy, input, true)).isEqualTo("-");
    }
}

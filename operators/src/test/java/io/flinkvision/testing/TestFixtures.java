package io.flinkvision.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The real frames every test module shares, stored once in {@code operators/src/main/resources/flinkvision/golden/}
 * (they are also the default frames of the serving verification, so they ship in the operators jar; this class reaches
 * the {@code jobs} tests through the operators test jar): {@code vtest_000.jpg}, {@code vtest_100.jpg}, {@code vtest_200.jpg} (768x576
 * frames 0, 100 and 200 of {@code data/vtest.avi}, JPEG), {@code messi5.jpg} and {@code fruits.jpg} (OpenCV's sample
 * images), with their golden detections in {@code golden.json}.
 */
public final class TestFixtures {
    /** The images of {@link #frameFolder()}, in name order: two frames of the clip and one other scene. */
    public static final List<String> FRAME_FOLDER_IMAGES = List.of("messi5.jpg", "vtest_000.jpg", "vtest_100.jpg");

    private static Path frameFolder;

    private TestFixtures() {}

    /**
     * The bytes of fixture {@code name} (a file name of {@code golden/}).
     *
     * @throws IllegalArgumentException if there is no such fixture
     */
    public static byte[] bytes(String name) {
        try (InputStream in = TestFixtures.class.getResourceAsStream("/flinkvision/golden/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test fixture golden/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A folder holding {@link #FRAME_FOLDER_IMAGES} and nothing else, for commands that read a folder of images
     * ({@code demo --input}, {@code produce}, the benchmark). Created once per JVM under {@code java.io.tmpdir};
     * callers must not write into it.
     */
    public static synchronized Path frameFolder() {
        if (frameFolder == null) {
            try {
                Path dir = Files.createTempDirectory("flinkvision-frames");
                dir.toFile().deleteOnExit();
                for (String name : FRAME_FOLDER_IMAGES) {
                    Path f = Files.write(dir.resolve(name), bytes(name));
                    f.toFile().deleteOnExit();
                }
                frameFolder = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return frameFolder;
    }
}

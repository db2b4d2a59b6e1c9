package io.flinkvision.jobs.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Resolves the default input of {@code demo} and {@code soak}: {@code data/vtest.avi} in the working directory (or
 * {@code ../data/vtest.avi}, from a module directory), else the copy in the jar, extracted to a temporary file.
 */
public final class DemoInput {
    static final String DEFAULT_FILE = "data/vtest.avi";
    private static final List<String> LOCAL_FILES = List.of(DEFAULT_FILE, "../" + DEFAULT_FILE);
    private static final String RESOURCE = "/demo/vtest.avi";

    private DemoInput() {}

    /**
     * @return a path or URL FFmpeg can open
     * @throws UncheckedIOException if the bundled clip cannot be extracted
     */
    public static String resolveDefault() {
        for (String local : LOCAL_FILES) {
            if (Files.isRegularFile(Path.of(local))) {
                return local;
            }
        }
        try (InputStream in = DemoInput.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("no --input given, " + DEFAULT_FILE + " not found and the jar holds no"
                        + " demo clip: pass --input PATH|URL");
            }
            Path tmp = Files.createTempFile("vtest-", ".avi");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the bundled demo clip", e);
        }
    }
}

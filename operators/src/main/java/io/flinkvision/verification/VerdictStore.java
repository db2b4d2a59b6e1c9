package io.flinkvision.verification;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkvision.detection.DetectionJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Verdicts of the serving verification, one JSON file per key in a local folder ({@code <key>.json}, beside it
 * {@code <key>.report.json} with the full {@link VerificationReport}). Files are written to a temporary name and
 * moved into place, so a reader never sees half a verdict; two subtasks verifying the same engine at once both write
 * the same verdict.
 */
final class VerdictStore {
    private static final ObjectMapper JSON = DetectionJson.mapper();
    private final Path dir;

    /**
     * @param dir a local path or {@code file:} URI; created on first write
     */
    public VerdictStore(String dir) {
        this.dir = dir.startsWith("file:") ? Path.of(URI.create(dir)) : Path.of(dir);
    }

    /** The folder verdicts are kept in. */
    public Path dir() {
        return dir;
    }

    /** The verdict file of {@code key}. */
    public Path verdictFile(String key) {
        return dir.resolve(key + ".json");
    }

    /** The report file of {@code key}. */
    public Path reportFile(String key) {
        return dir.resolve(key + ".report.json");
    }

    /**
     * The stored verdict of {@code key}, if any.
     *
     * @throws UncheckedIOException if the file exists but cannot be read or parsed (a damaged verdict is not
     *     silently ignored: delete it to verify again)
     */
    public Optional<StoredVerdict> find(String key) {
        Path f = verdictFile(key);
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(f), StoredVerdict.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("serving verdict " + f + " cannot be read (" + e.getMessage()
                    + "); delete it to verify the engine again", e);
        }
    }

    /**
     * Stores a verdict and its full report.
     *
     * @throws UncheckedIOException if the folder or a file cannot be written
     */
    public void store(StoredVerdict verdict, VerificationReport report) {
        try {
            Files.createDirectories(dir);
            write(reportFile(verdict.key()), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
            write(verdictFile(verdict.key()), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(verdict));
        } catch (IOException e) {
            throw new UncheckedIOException("serving verdict cannot be stored in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

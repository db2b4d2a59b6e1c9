package io.flinkvision.flink;

import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.tensorrt.plan.PlanCache;
import io.flinkvision.engine.tensorrt.plan.SharedPlanStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SharedPlanStore} of a directory of plan-cache files shared by a cluster, on any file system Flink can open ({@link FileSystem#get}:
 * {@code hdfs://}, {@code s3://}, {@code gs://}, {@code abfs://} with the matching Flink plugin, or {@code file://} on a
 * shared mount), so that a plan built by one TaskManager is fetched by the others instead of built again (minutes
 * each). It holds the same self-verifying files as the local {@link PlanCache} (header with the full key, length
 * and sha256 of the plan), so a partial upload, a damaged object or a foreign plan is recognised when read and never
 * deserialized.
 *
 * <p>Writes go to a temporary name in the directory; then the file of the target name, if any, is deleted and the
 * temporary one renamed to it (S3, through Hadoop S3A, refuses a rename onto an existing key). On S3 a rename is a
 * server-side copy of the whole object and a delete: a reader sees the old plan, none (and builds) or the whole new
 * one; where a reader can see a partial file, it rejects it by its checksum. There is no lock across hosts:
 * TaskManagers that miss at the same moment each build and upload, and one of their plans stays (they are equivalent:
 * same key); on S3 an upload whose rename finds the name taken meanwhile is dropped (logged) and leaves the other's
 * plan.
 * A failed upload or read is logged and the job goes on with its local cache. {@code SharedPlanStoreS3Test} runs this
 * against an S3 server through Flink's {@code flink-s3-fs-hadoop} plugin.
 */
@Internal
public final class FlinkFileSystemPlanStore implements SharedPlanStore {
    private static final Logger LOG = LoggerFactory.getLogger(FlinkFileSystemPlanStore.class);

    private final Path dir;
    private final FileSystem fs;

    private FlinkFileSystemPlanStore(Path dir, FileSystem fs) {
        this.dir = dir;
        this.fs = fs;
    }

    /**
     * Opens the shared directory (created if missing).
     *
     * @param location a URI with a scheme Flink has a file system for, or a local path
     * @throws InferenceException naming the location when Flink has no file system for its scheme or the directory
     *     cannot be created (check the plugin of that file system is in Flink's {@code plugins/} folder)
     */
    public static FlinkFileSystemPlanStore open(String location) {
        if (location == null || location.isBlank()) {
            throw new InferenceException("no shared engine cache location given");
        }
        try {
            URI uri = new Path(location).toUri();
            FileSystem fs = FileSystem.get(uri);
            Path dir = new Path(uri);
            fs.mkdirs(dir);
            return new FlinkFileSystemPlanStore(dir, fs);
        } catch (IOException | RuntimeException e) {
            throw new InferenceException("shared engine cache '" + location + "' cannot be opened: " + e
                    + " (inference.tensorrt.engine-cache-shared-dir; for s3://, hdfs:// and the like the Flink file"
                    + " system plugin must be installed)", e);
        }
    }

    /** The URI of file {@code name} in the shared directory. */
    @Override
    public String uriOf(String name) {
        return new Path(dir, name).toString();
    }

    /**
     * Reads a whole file.
     *
     * @return its bytes, or empty when it does not exist or cannot be read (logged at WARN)
     */
    @Override
    public Optional<byte[]> read(String name) {
        Path p = new Path(dir, name);
        try {
            if (!fs.exists(p)) {
                return Optional.empty();
            }
            return Optional.of(readAll(p));
        } catch (IOException e) {
            LOG.warn("shared engine cache: cannot read {}: {}", p, e.toString());
            return Optional.empty();
        }
    }

    private byte[] readAll(Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return in.readAllBytes();
        }
    }

    /**
     * Writes {@code bytes} as file {@code name}: to a temporary name first, then renamed over it.
     *
     * @throws IOException if the write or the rename fails (the temporary file is removed, best effort); not when the
     *     rename fails because another TaskManager's upload of the same name landed meanwhile (theirs is kept)
     */
    @Override
    public void write(String name, byte[] bytes) throws IOException {
        Path target = new Path(dir, name);
        Path tmp = new Path(dir, "." + name + "." + UUID.randomUUID() + ".tmp");
        try {
            try (OutputStream out = fs.create(tmp, FileSystem.WriteMode.NO_OVERWRITE)) {
                out.write(bytes);
            }
            if (fs.exists(target)) {
                fs.delete(target, false); // the rename does not replace on every file system
            }
            if (rename(tmp, target)) {
                tmp = null;
            } else if (fs.exists(target)) {
                // S3 refuses a rename onto a taken key: another TaskManager's upload of the same key landed meanwhile;
                // readers verify it anyway (the temporary file is removed below)
                LOG.info("shared engine cache: {} was uploaded by another TaskManager meanwhile; keeping that one",
                        target);
            } else {
                throw new IOException("rename of " + tmp + " to " + target + " failed");
            }
        } finally {
            if (tmp != null) {
                try {
                    fs.delete(tmp, false);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }


    /**
     * Moves file {@code name} aside to {@code <name>.rejected} (or deletes it if that fails, whether the rename answers
     * false or throws as on S3), so that no one loads it again; nothing when there is no such file; never throws
     * (failures are logged). Only if the file still holds {@code seen}, the bytes found bad: when if the file still holds {@code seen}, the bytes found bad: when
     * another TaskManager has uploaded a new plan under the name since they were read, that plan is kept (readers
     * verify it anyway). The file is read again to compare, so the window in which a good plan can be moved aside
     * shrinks from the whole failed load to that one read.
     *
     * @param seen the bytes that were found bad, or null to reject whatever is there
     * @param reason why, logged
     */
    @Override
    public void reject(String name, byte[] seen, String reason) {
        Path p = new Path(dir, name);
        Path aside = new Path(dir, name + ".rejected");
        try {
            if (!fs.exists(p)) {
                return;
            }
            if (seen != null && !Arrays.equals(seen, readAll(p))) {
                LOG.info("shared engine cache: {} changed since it was found bad ({}): another TaskManager uploaded it"
                        + " again; kept", p, reason);
                return;
            }
            LOG.warn("shared engine cache: REJECTED {}: {}", p, reason);
            if (fs.exists(aside)) {
                fs.delete(aside, false);
            }
            if (rename(p, aside)) {
                LOG.warn("shared engine cache: {} moved to {}", p, aside.getName());
            } else {
                fs.delete(p, false);
                LOG.warn("shared engine cache: {} deleted (it could not be moved aside)", p);
            }
        } catch (IOException e) {
            LOG.warn("shared engine cache: cannot remove rejected plan {}: {}", p, e.toString());
        }
    }

    /**
     * Renames {@code from} to {@code to}; false if that failed. A local file system answers false, S3 (Hadoop S3A)
     * throws instead (a refused or failed server-side copy, a key taken meanwhile): both mean nothing moved. The
     * exception is logged here at INFO; the caller logs the outcome (a lost race is not a problem, a failed upload is).
     */
    private boolean rename(Path from, Path to) {
        try {
            return fs.rename(from, to);
        } catch (IOException e) {
            LOG.info("shared engine cache: cannot rename {} to {}: {}", from, to.getName(), e.toString());
            return false;
        }
    }

    /** Opens {@link FlinkFileSystemPlanStore}s for {@link SharedPlanStore#open}; registered as a Java service. */
    public static final class Opener implements SharedPlanStore.Opener {
        @Override
        public SharedPlanStore open(String location) {
            return FlinkFileSystemPlanStore.open(location);
        }
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}

package io.flinkvision.engine.tensorrt.plan;

import io.flinkvision.engine.InferenceException;
import java.io.IOException;
import java.util.Iterator;
import java.util.Optional;
import java.util.ServiceLoader;
import org.apache.flink.annotation.Experimental;

/**
 * A directory of plan-cache files shared by a cluster (HDFS, S3, GCS, a shared mount), so that a plan built by one
 * TaskManager is fetched by the others instead of built again (minutes each). It holds the same self-verifying files
 * as the local {@link PlanCache} (header with the full key, length and sha256 of the plan); the cache verifies what it
 * reads, the store only moves bytes. The engine layer knows no file system: the implementation is found as a Java
 * service ({@link Opener}); the operators jar registers {@code io.flinkvision.flink.FlinkFileSystemPlanStore}, on any
 * file system Flink can open.
 */
@Experimental
public interface SharedPlanStore {

    /**
     * Opens the shared directory (created if missing) with the first {@link Opener} registered in
     * {@code META-INF/services}.
     *
     * @param location a URI with a scheme the store has a file system for, or a local path
     * @throws InferenceException naming the location when it cannot be opened, or when no implementation is registered
     */
    static SharedPlanStore open(String location) {
        if (location == null || location.isBlank()) {
            throw new InferenceException("no shared engine cache location given");
        }
        Iterator<Opener> openers = ServiceLoader.load(Opener.class, SharedPlanStore.class.getClassLoader()).iterator();
        if (!openers.hasNext()) {
            throw new InferenceException("shared engine cache '" + location + "': no " + Opener.class.getName()
                    + " is registered (META-INF/services); the operators jar registers the Flink file-system store");
        }
        return openers.next().open(location);
    }

    /** The URI of file {@code name} in the shared directory. */
    String uriOf(String name);

    /**
     * Reads a whole file.
     *
     * @return its bytes, or empty when it does not exist or cannot be read (logged at WARN)
     */
    Optional<byte[]> read(String name);

    /**
     * Writes {@code bytes} as file {@code name}, atomically for readers (a temporary name, then renamed over it).
     *
     * @throws IOException if the write fails; not when another TaskManager's upload of the same name landed meanwhile
     */
    void write(String name, byte[] bytes) throws IOException;

    /**
     * Moves file {@code name} aside (or deletes it), so that no one loads it again, but only if it still holds
     * {@code seen}: a plan uploaded again meanwhile by another TaskManager is kept. Never throws; failures are logged.
     *
     * @param seen the bytes that were found bad, or null to reject whatever is there
     * @param reason why, logged
     */
    void reject(String name, byte[] seen, String reason);

    /** As {@link #reject(String, byte[], String)} with whatever the file holds. */
    default void reject(String name, String reason) {
        reject(name, null, reason);
    }

    /** Opens a store at a location; implementations are registered in {@code META-INF/services}. */
    interface Opener {
        /**
         * @throws InferenceException naming the location when it cannot be opened
         */
        SharedPlanStore open(String location);
    }
}

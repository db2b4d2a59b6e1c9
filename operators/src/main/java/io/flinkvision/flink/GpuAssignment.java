package io.flinkvision.flink;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;

/**
 * Which CUDA device a subtask's engine runs on.
 *
 * <p>Flink's external resource framework gives every operator of a TaskManager <em>all</em> of that TaskManager's
 * GPUs: the {@code gpu} resource is not split between task slots ("External resources are shared by all operators
 * running on the same machine", Flink documentation, External Resource Framework). Taking the first GPU of that set
 * would put every subtask of a TaskManager with several GPUs on one of them, and leave the others idle. So each
 * subtask takes the GPU that has the fewest subtasks open on it in this JVM (one TaskManager), the lowest
 * {@code index} on a tie, and gives it back with {@link Lease#close()}. With 2 GPUs and 4 slots, each GPU gets 2
 * subtasks whatever their subtask indices are; a subtask restarted after a failover takes the place that was freed.
 *
 * <p>Without a {@code gpu} resource (MiniCluster, or a TaskManager started without the GPU plugin) the configured
 * {@code inference.device-index} is used. The counts live in this class's static state, so they are per job when the
 * operator's classes come with the job jar (child-first class loading): two jobs on one TaskManager each spread their
 * own subtasks. Thread-safe.
 */
@Internal
public final class GpuAssignment {
    /** Open subtasks per device index, in this JVM (per class loader). */
    private static final Map<Integer, Integer> OPEN = new HashMap<>();

    private GpuAssignment() {}

    /**
     * Picks the device for a subtask that is opening.
     *
     * @param gpus the TaskManager's {@code gpu} external resources ({@code RuntimeContext#getExternalResourceInfos});
     *     those without an {@code index} property are ignored; may be empty
     * @param configured the device index to use when no GPU has an {@code index}
     * @return the lease, to be closed when the subtask closes (idempotent)
     * @throws IllegalArgumentException if an {@code index} property is not a non-negative integer (names the value)
     */
    public static Lease acquire(Collection<? extends ExternalResourceInfo> gpus, int configured) {
        TreeSet<Integer> indices = new TreeSet<>();
        for (ExternalResourceInfo gpu : gpus) {
            Optional<String> index = gpu.getProperty("index");
            if (index.isPresent()) {
                indices.add(parseIndex(index.get()));
            }
        }
        if (indices.isEmpty()) {
            return new Lease(configured, false, 0, 0);
        }
        synchronized (OPEN) {
            int best = indices.first();
            for (int i : indices) {
                if (OPEN.getOrDefault(i, 0) < OPEN.getOrDefault(best, 0)) {
                    best = i;
                }
            }
            int already = OPEN.merge(best, 1, Integer::sum) - 1;
            return new Lease(best, true, indices.size(), already);
        }
    }

    /** Subtasks of this JVM currently holding {@code device} through a {@code gpu} resource (for tests and logs). */
    public static int openOn(int device) {
        synchronized (OPEN) {
            return OPEN.getOrDefault(device, 0);
        }
    }

    private static int parseIndex(String value) {
        try {
            int i = Integer.parseInt(value.trim());
            if (i >= 0) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("Flink external resource 'gpu' has index '" + value
                + "': expected a CUDA device ordinal (0, 1, ...); check the GPU discovery script's output");
    }

    /** A subtask's device; {@link #close()} gives its place back. */
    public static final class Lease implements AutoCloseable {
        private final int device;
        private final boolean fromResource;
        private final int gpusOffered;
        private final int sharing;
        private boolean closed;

        private Lease(int device, boolean fromResource, int gpusOffered, int sharing) {
            this.device = device;
            this.fromResource = fromResource;
            this.gpusOffered = gpusOffered;
            this.sharing = sharing;
        }

        /** The CUDA device ordinal. */
        public int device() {
            return device;
        }

        /** Whether it came from the {@code gpu} external resource (else it is the configured index). */
        public boolean fromResource() {
            return fromResource;
        }

        /** One line for the open log: where the device came from and how many subtasks were already on it. */
        public String describe() {
            return fromResource
                    ? "GPU " + device + " of the " + gpusOffered + " of Flink external resource 'gpu' (" + sharing
                            + " other subtask(s) of this TaskManager already on it)"
                    : "configured device index " + device + " (no Flink external resource 'gpu')";
        }

        @Override
        public void close() {
            if (closed || !fromResource) {
                closed = true;
                return;
            }
            closed = true;
            synchronized (OPEN) {
                OPEN.computeIfPresent(device, (k, n) -> n <= 1 ? null : n - 1);
            }
        }
    }
}

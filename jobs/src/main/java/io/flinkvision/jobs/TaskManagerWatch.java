package io.flinkvision.jobs;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.minicluster.MiniCluster;

/**
 * Tells whether the TaskManager of an in-process {@link MiniCluster} is working, so that a local command ends at once
 * with the cause instead of waiting minutes for outputs that cannot come (Flink itself gives up on a TaskManager that
 * cannot register only after {@code taskmanager.registration.timeout}, 5 min, and then waits for slots).
 *
 * <p>{@link #failure()} is non-empty when:
 * <ul>
 *   <li>no TaskManager is registered at the ResourceManager yet and Flink logged an error thrown in a TaskExecutor
 *       (it will not register: e.g. {@code NoClassDefFoundError: javax/management/remote/rmi/RMIServerImpl} on a JRE
 *       without {@code java.management.rmi}), or the MiniCluster's fatal-error handler logged
 *       {@code TaskManager #N failed};</li>
 *   <li>no TaskManager registered within the registration bound;</li>
 *   <li>the registered TaskManagers went away (count back to 0).</li>
 * </ul>
 * Errors are read from Flink's log ({@link FlinkErrorLog}): the MiniCluster has no other way to report them.
 */
public final class TaskManagerWatch implements AutoCloseable {
    private final MiniCluster cluster;
    private final FlinkErrorLog errors;
    private final long registrationDeadlineNanos;
    private final Duration registrationTimeout;
    private boolean registered;

    private TaskManagerWatch(MiniCluster cluster, Duration registrationTimeout) {
        this.cluster = cluster;
        this.registrationTimeout = registrationTimeout;
        this.registrationDeadlineNanos = System.nanoTime() + registrationTimeout.toNanos();
        this.errors = FlinkErrorLog.install();
    }

    /**
     * Starts watching; call before {@link MiniCluster#start()} so that errors of the TaskManager's start are seen.
     *
     * @param registrationTimeout how long a TaskManager may take to register at the ResourceManager
     */
    public static TaskManagerWatch start(MiniCluster cluster, Duration registrationTimeout) {
        return new TaskManagerWatch(cluster, registrationTimeout);
    }

    /** Whether a TaskManager has registered (latched). */
    public synchronized boolean registered() {
        return registered;
    }

    /**
     * Checks the cluster now (one ResourceManager query).
     *
     * @return the reason the TaskManager cannot run the job, or empty while it is (or may still become) fine
     */
    public synchronized Optional<String> failure() {
        int taskManagers = taskManagers();
        if (taskManagers > 0) {
            registered = true;
        }
        Optional<FlinkErrorLog.Event> fatal = errors.events().stream()
                .filter(e -> e.message().startsWith("TaskManager #")).findFirst();
        if (fatal.isPresent()) {
            return Optional.of("the MiniCluster's TaskManager failed: " + fatal.get().describe());
        }
        if (registered && taskManagers == 0) {
            return Optional.of("the MiniCluster's TaskManager went away (none registered at the ResourceManager any"
                    + " more)" + lastError());
        }
        if (registered) {
            return Optional.empty();
        }
        Optional<FlinkErrorLog.Event> broke = errors.events().stream().filter(FlinkErrorLog.Event::fromTaskExecutor)
                .findFirst();
        if (broke.isPresent()) {
            return Optional.of("the MiniCluster's TaskManager cannot start, it will not register at the"
                    + " ResourceManager: " + broke.get().describe());
        }
        if (System.nanoTime() > registrationDeadlineNanos) {
            return Optional.of("no TaskManager registered at the MiniCluster's ResourceManager within "
                    + registrationTimeout.toSeconds() + " s" + lastError());
        }
        return Optional.empty();
    }

    private String lastError() {
        var all = errors.events();
        return all.isEmpty() ? "" : "; last Flink error: " + all.get(all.size() - 1).describe();
    }

    private int taskManagers() {
        try {
            return cluster.getResourceOverview().get(30, TimeUnit.SECONDS).getNumberTaskManagers();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return registered ? 1 : 0;
        } catch (Exception e) {
            return registered ? 1 : 0; // the ResourceManager is not up yet, or busy: ask again next time
        }
    }

    @Override
    public void close() {
        errors.close();
    }
}

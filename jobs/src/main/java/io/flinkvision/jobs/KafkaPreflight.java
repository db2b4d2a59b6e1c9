package io.flinkvision.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Start-up checks against Kafka, so that a wrong broker address or a missing topic fails the submission with one
 * clear message naming the setting to fix, instead of a job that restarts forever.
 */
public final class KafkaPreflight {
    private KafkaPreflight() {}

    /**
     * Checks that the broker answers and that every topic exists.
     *
     * @param bootstrapServers broker list ({@code --bootstrap-servers})
     * @param clientProperties extra client properties (security settings)
     * @param topics topic name -> the option that sets it, e.g. {@code "frames" -> "--frames-topic"}
     * @param timeoutMs how long to wait for the broker, ms
     * @throws IllegalStateException naming the unreachable broker or the missing topics and their options
     */
    public static void check(String bootstrapServers, Map<String, String> clientProperties, Map<String, String> topics,
            long timeoutMs) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, Integer.MAX_VALUE));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, Integer.MAX_VALUE));
        try (Admin admin = Admin.create(p)) {
            Set<String> existing;
            try {
                existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                throw new IllegalStateException("cannot reach Kafka at '" + bootstrapServers + "' within " + timeoutMs
                        + " ms: check --bootstrap-servers (and the security settings in --kafka-property) ["
                        + (e.getCause() == null ? e : e.getCause()) + "]");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while checking Kafka at " + bootstrapServers);
            }
            List<String> missing = new ArrayList<>();
            for (Map.Entry<String, String> t : topics.entrySet()) {
                if (!existing.contains(t.getKey())) {
                    missing.add("'" + t.getKey() + "' (" + t.getValue() + ")");
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalStateException("Kafka topic(s) " + String.join(", ", missing) + " do not exist on "
                        + bootstrapServers + ": create them or fix the option named");
            }
        }
    }
}

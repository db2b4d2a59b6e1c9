package io.flinkvision.jobs.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.admin.SupportedVersionRange;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker running inside this JVM: one combined broker + controller node in KRaft mode, built with
 * Kafka's own {@link KafkaClusterTestKit}. No Docker, no ZooKeeper; starts in a few seconds.
 *
 * <p>For the local demo and integration tests. The broker advertises {@code 127.0.0.1} with a port chosen by the
 * operating system, keeps its log directories in a fresh temporary folder that {@link #close()} (or, failing that, JVM exit) deletes, and is
 * configured for a single node so that transactions (Flink's {@code EXACTLY_ONCE} {@code KafkaSink}) and consumer
 * groups work: replication factor 1 and min ISR 1 for the internal topics, no initial rebalance delay. Records up to
 * {@value #MAX_MESSAGE_BYTES} bytes are accepted (video frames can exceed Kafka's 1 MB default).
 *
 * <p>Transactions use protocol version {@value #TRANSACTION_VERSION} (KIP-890: the producer epoch is bumped at every
 * end of a transaction), as on a cluster formatted by Kafka 4's {@code kafka-storage.sh format}, where it is the
 * default ("The protocol is automatically enabled on the server since Apache Kafka 4.0", Kafka 4.2 documentation,
 * Operations, Transaction Protocol). The test kit formats with the metadata version only, which leaves the feature
 * {@code transaction.version} at 0; {@link #start} raises it with {@link Admin#updateFeatures}.
 *
 * <p>Note: the test kit pre-binds its listener sockets on the wildcard address, so the port is reachable from other
 * hosts unless a firewall says otherwise. The listener is unauthenticated {@code PLAINTEXT}: do not expose it.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *     kafka.createTopic("frames", 4);
 *     String bootstrap = kafka.bootstrapServers();   // e.g. "127.0.0.1:41234"
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    /** Largest record batch the broker accepts, in bytes (16 MiB). */
    public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    /** Level of the {@code transaction.version} feature the broker runs with (Kafka 4's default). */
    public static final short TRANSACTION_VERSION = 2;

    private static final String TRANSACTION_VERSION_FEATURE = "transaction.version";

    /** How long {@link #createTopic} waits for the topic and its partition leaders, in milliseconds. */
    private static final long TOPIC_TIMEOUT_MS = 30_000;

    private final KafkaClusterTestKit cluster;
    private final Path baseDirectory;
    private final String bootstrapServers;
    private final Thread shutdownHook;
    private Admin admin;
    private boolean closed;

    private EmbeddedKafka(KafkaClusterTestKit cluster, Path baseDirectory, String bootstrapServers) {
        this.cluster = cluster;
        this.baseDirectory = baseDirectory;
        this.bootstrapServers = bootstrapServers;
        // Ctrl-C on the demo skips try-with-resources: stop the broker and delete its data folder anyway.
        this.shutdownHook = new Thread(this::closeOnShutdown, "embedded-kafka-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a single-node broker with the default settings and waits until it accepts clients.
     *
     * @return the running broker; close it to stop it and delete its data
     * @throws KafkaException when the broker cannot be formatted or started (the temporary folder is then removed)
     */
    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /**
     * Starts a single-node broker and waits until it accepts clients.
     *
     * @param brokerProperties broker settings (e.g. {@code log.retention.ms}) applied on top of, and winning over,
     *     the defaults described in the class comment
     * @return the running broker; close it to stop it and delete its data
     * @throws IllegalArgumentException when {@code brokerProperties} sets {@code listeners} or
     *     {@code advertised.listeners} (this class owns them)
     * @throws KafkaException when the broker cannot be formatted or started (the temporary folder is then removed)
     */
    public static EmbeddedKafka start(Map<String, String> brokerProperties) {
        Objects.requireNonNull(brokerProperties, "brokerProperties");
        for (String owned : List.of("listeners", "advertised.listeners")) {
            if (brokerProperties.containsKey(owned)) {
                throw new IllegalArgumentException("'" + owned + "' cannot be overridden on the embedded broker");
            }
        }
        long t0 = System.nanoTime();
        Path base;
        try {
            base = Files.createTempDirectory("flinkvision-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder for the embedded Kafka broker", e);
        }
        KafkaClusterTestKit cluster = null;
        try {
            TestKitNodes.Builder nodesBuilder = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBaseDirectory(base);
            boolean production = useLatestProductionMetadataVersion(nodesBuilder);
            TestKitNodes nodes = nodesBuilder.build();
            Map<String, String> config = new LinkedHashMap<>();
            if (production) {
                // Behave like a released broker: no in-development APIs or feature levels (the kit enables them).
                config.put("unstable.api.versions.enable", "false");
                config.put("unstable.feature.versions.enable", "false");
            }
            // Listen on and advertise the loopback address only; port 0 = chosen by the OS (the kit pre-binds it on the
            // wildcard address: LoopbackListeners rebinds it on 127.0.0.1 before start-up).
            config.put("listeners", nodes.brokerListenerName().value() + "://127.0.0.1:0,"
                    + nodes.controllerListenerName().value() + "://127.0.0.1:0");
            config.put("transaction.state.log.replication.factor", "1");
            config.put("transaction.state.log.min.isr", "1");
            config.put("offsets.topic.replication.factor", "1");
            config.put("group.initial.rebalance.delay.ms", "0");
            // Fewer internal partitions than the default 50: faster first transaction / first consumer group.
            config.put("transaction.state.log.num.partitions", "4");
            config.put("offsets.topic.num.partitions", "4");
            config.put("message.max.bytes", Integer.toString(MAX_MESSAGE_BYTES));
            config.putAll(brokerProperties);
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes).setDeleteOnClose(true);
            config.forEach(builder::setConfigProp);
            cluster = builder.build();
            LoopbackListeners.closePreboundSockets(cluster);
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            String bootstrap = loopback(cluster.bootstrapServers());
            enableTransactionVersion(bootstrap);
            LOG.info("Embedded Kafka broker started at {} in {} ms (data in {})", bootstrap,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), base);
            return new EmbeddedKafka(cluster, base, bootstrap);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (cluster != null) {
                try {
                    cluster.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            deleteRecursively(base);
            throw new KafkaException("cannot start the embedded Kafka broker: " + e, e);
        }
    }

    /**
     * The address clients connect to.
     *
     * @return {@code host:port} of the broker's client listener, e.g. {@code "127.0.0.1:41234"}
     */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * The temporary folder holding the broker's metadata and log directories; deleted by {@link #close()}.
     *
     * @return the folder's path
     */
    public Path dataDirectory() {
        return baseDirectory;
    }

    /**
     * Settings of a byte-array producer for this broker: records up to {@link #MAX_MESSAGE_BYTES}.
     *
     * @return new properties; callers may add to them
     */
    public Properties producerProperties() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_MESSAGE_BYTES));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /**
     * Settings of a byte-array consumer for this broker, as a downstream consumer of the job's topics reads:
     * {@code read_committed}, from the earliest offset, no offset commits, fetches large enough for big frames.
     *
     * @param groupId consumer group id (unused by consumers that {@code assign} partitions)
     * @return new properties; callers may add to them (e.g. {@code isolation.level})
     */
    public Properties consumerProperties(String groupId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(2 * MAX_MESSAGE_BYTES));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /**
     * Creates a topic with replication factor 1 and waits until every partition has a leader. Creating a topic that
     * already exists is not an error: the call then only waits for it (its partition count is left as it is).
     *
     * @param name topic name
     * @param partitions number of partitions, at least 1
     * @throws IllegalArgumentException when {@code partitions < 1}
     * @throws IllegalStateException when the broker is closed
     * @throws KafkaException when the topic cannot be created or has no leaders after 30 s
     */
    public synchronized void createTopic(String name, int partitions) {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        Admin a = admin();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TOPIC_TIMEOUT_MS);
        try {
            try {
                a.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
                        .all().get(TOPIC_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                LOG.debug("Topic {} already exists", name);
            }
            while (true) {
                try {
                    TopicDescription d = a.describeTopics(List.of(name)).allTopicNames()
                            .get(TOPIC_TIMEOUT_MS, TimeUnit.MILLISECONDS).get(name);
                    if (d != null && !d.partitions().isEmpty()
                            && d.partitions().stream().map(TopicPartitionInfo::leader).allMatch(Objects::nonNull)) {
                        break;
                    }
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("partitions have no leader after " + TOPIC_TIMEOUT_MS + " ms");
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating topic '" + name + "'", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new KafkaException("cannot create topic '" + name + "' on " + bootstrapServers + ": " + cause,
                    cause);
        }
        LOG.info("Topic {} ready ({} partitions)", name, partitions);
    }

    /**
     * Stops the broker and deletes its data folder. Idempotent. Also runs at JVM exit (shutdown hook) if not called.
     *
     * @throws KafkaException when the broker does not shut down cleanly (the folder is deleted anyway)
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting; the hook may be running and will find the broker closed
            }
        }
        KafkaException failure = null;
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        try {
            cluster.close();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            failure = new KafkaException("embedded Kafka broker at " + bootstrapServers + " did not shut down cleanly: "
                    + e, e);
        } finally {
            deleteRecursively(baseDirectory);
        }
        LOG.info("Embedded Kafka broker at {} stopped", bootstrapServers);
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * The kit formats the node with the newest, still unstable, metadata version by default. Select the latest
     * production one instead. {@code MetadataVersion} lives in {@code kafka-server-common}, a runtime-only dependency
     * of the kit, hence reflection; on failure the kit's default is kept.
     */
    private static boolean useLatestProductionMetadataVersion(TestKitNodes.Builder nodesBuilder) {
        try {
            Class<?> mvClass = Class.forName("org.apache.kafka.server.common.MetadataVersion");
            Object latestProduction = mvClass.getMethod("latestProduction").invoke(null);
            TestKitNodes.Builder.class.getMethod("setBootstrapMetadataVersion", mvClass)
                    .invoke(nodesBuilder, latestProduction);
            return true;
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("Cannot select the latest production metadata version, keeping the test kit's default: {}",
                    e.toString());
            return false;
        }
    }

    /**
     * Raises the finalized {@code transaction.version} to {@link #TRANSACTION_VERSION} and waits until the broker
     * reports it, so that producers created afterwards use that protocol. Kept as it is when the broker already runs
     * it or does not support it (then logged).
     */
    private static void enableTransactionVersion(String bootstrap) throws Exception {
        try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TOPIC_TIMEOUT_MS);
            boolean requested = false;
            while (true) {
                FeatureMetadata features = a.describeFeatures().featureMetadata().get(TOPIC_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                FinalizedVersionRange finalized = features.finalizedFeatures().get(TRANSACTION_VERSION_FEATURE);
                if (finalized != null && finalized.maxVersionLevel() >= TRANSACTION_VERSION) {
                    return;
                }
                SupportedVersionRange supported = features.supportedFeatures().get(TRANSACTION_VERSION_FEATURE);
                if (supported == null || supported.maxVersion() < TRANSACTION_VERSION) {
                    LOG.warn("Embedded Kafka broker does not support {}={} (supported: {}); transactions use {}",
                            TRANSACTION_VERSION_FEATURE, TRANSACTION_VERSION, supported, finalized);
                    return;
                }
                if (!requested) {
                    a.updateFeatures(Map.of(TRANSACTION_VERSION_FEATURE,
                                    new FeatureUpdate(TRANSACTION_VERSION, FeatureUpdate.UpgradeType.UPGRADE)),
                            new UpdateFeaturesOptions()).all().get(TOPIC_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    requested = true;
                }
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException(TRANSACTION_VERSION_FEATURE + " is not " + TRANSACTION_VERSION
                            + " after " + TOPIC_TIMEOUT_MS + " ms (finalized: " + finalized + ")");
                }
                Thread.sleep(50);
            }
        }
    }

    private void closeOnShutdown() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.warn("Stopping the embedded Kafka broker at JVM exit failed: {}", e.toString());
        }
    }

    private Admin admin() {
        if (closed) {
            throw new IllegalStateException("embedded Kafka broker is closed");
        }
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
        }
        return admin;
    }

    /** Rewrites the kit's {@code localhost:port[,...]} into {@code 127.0.0.1:port[,...]} (what the broker advertises). */
    private static String loopback(String kitBootstrap) {
        StringBuilder out = new StringBuilder();
        for (String hostPort : kitBootstrap.split(",")) {
            int colon = hostPort.lastIndexOf(':');
            if (out.length() > 0) {
                out.append(',');
            }
            out.append("127.0.0.1").append(hostPort.substring(colon));
        }
        return out.toString();
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("Could not delete the embedded Kafka data folder {}: {}", dir, e.toString());
        }
    }
}

package io.flinkvision.jobs.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.internal.FlinkKafkaInternalProducer;
import org.apache.flink.connector.kafka.sink.internal.KafkaCommitter;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fenced re-commit after recovery, on a real in-process KRaft broker (transaction protocol version 2, as Kafka 4
 * brokers default to) and a real Flink MiniCluster: a job with an EXACTLY_ONCE Kafka sink fails right after a
 * checkpoint's transaction was committed; on recovery Flink hands that transaction to the committer again. With the
 * connector's plain sink this reproduces the connector's "already fenced ... data loss" ERROR although the output,
 * counted with {@code read_committed}, holds every input record exactly once. With {@link RecommitCheckingKafkaSink}
 * the log says "already committed, no loss" at INFO and holds no ERROR. A restored transaction not yet committed is
 * committed; one that was really aborted (by the producer, or by the coordinator after its timeout) gives the ERROR
 * verdict and the request still fails.
 */
class FencedRecommitAfterRecoveryITCase {
    static final int RECORDS = 3000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        // the coordinator looks for timed-out transactions every 500 ms (default: 10 s), for the timeout test
        kafka = EmbeddedKafka.start(Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "500"));
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    /**
     * Passes records through slowly; throws once, on a record after checkpoint 3 completed AND the broker's
     * transaction coordinator reports that checkpoint's transaction {@code CompleteCommit}: only then is the recovery
     * a re-commit of a committed transaction (the case under test), however slow the machine. Until then records
     * go on, slowed down so that the input lasts.
     */
    static final class FailAfterCommit extends RichMapFunction<String, String> implements CheckpointListener {
        private static final long serialVersionUID = 1L;
        static final AtomicBoolean armed = new AtomicBoolean();
        static final AtomicBoolean failed = new AtomicBoolean();
        static final AtomicLong failedAfterCheckpoint = new AtomicLong();
        /** The sink's transactional id prefix (its ids are prefix-subtask-checkpoint). */
        static volatile String transactionalIdPrefix;
        private transient long lastCheckNanos;

        @Override
        public String map(String value) throws Exception {
            if (armed.get() && !failed.get()) {
                if (System.nanoTime() - lastCheckNanos > 50_000_000L) {
                    lastCheckNanos = System.nanoTime();
                    if (committedAtBroker(transactionalIdPrefix + "-0-" + failedAfterCheckpoint.get())
                            && failed.compareAndSet(false, true)) {
                        throw new IllegalStateException("injected failure after checkpoint "
                                + failedAfterCheckpoint.get() + " was committed");
                    }
                }
                Thread.sleep(20);
                return value;
            }
            Thread.sleep(1);
            return value;
        }

        private static boolean committedAtBroker(String transactionalId) throws Exception {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                return admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                        .get(30, TimeUnit.SECONDS).state() == TransactionState.COMPLETE_COMMIT;
            } catch (java.util.concurrent.ExecutionException e) {
                return false; // not known to the coordinator yet
            }
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            // the sink's committer is chained after this operator and commits on the same notification
            if (checkpointId >= 3 && !failed.get() && armed.compareAndSet(false, true)) {
                failedAfterCheckpoint.set(checkpointId);
            }
        }
    }

    /**
     * The issue as operators see it, with the connector's plain sink: the recovery loses nothing and duplicates
     * nothing (read_committed), yet the connector's committer logs its "already fenced ... data loss" ERROR for the
     * re-commit of the transaction it had committed before the failure.
     */
    @Test
    void plainKafkaSinkLogsTheFencedErrorOnARecoveryThatLostNothing(@TempDir Path checkpoints) throws Exception {
        Run run = runFailingAfterCommit("fenced-plain", checkpoints, false);

        assertThat(run.missing).as("records lost").isEmpty();
        assertThat(run.values).as("every record exactly once (read_committed)").hasSize(RECORDS);
        assertThat(run.log).as("the connector's fenced ERROR for the re-commit")
                .anySatisfy(l -> {
                    assertThat(l.level()).isEqualTo(Level.ERROR);
                    assertThat(l.logger()).isEqualTo(KafkaCommitter.class.getName());
                    assertThat(l.message()).contains("already fenced").contains("data loss");
                });
    }

    /** The same recovery through {@link RecommitCheckingKafkaSink}: an INFO verdict line, no ERROR, nothing lost. */
    @Test
    void recoveryAfterACommittedCheckpointLosesNothingAndSaysSo(@TempDir Path checkpoints) throws Exception {
        Run run = runFailingAfterCommit("fenced-checked", checkpoints, true);

        assertThat(run.missing).as("records lost").isEmpty();
        assertThat(run.values).as("every record exactly once (read_committed)").hasSize(RECORDS);
        assertThat(run.errors()).as("commit ERROR lines on a recovery that lost nothing").isEmpty();
        assertThat(run.verdicts()).as("verdict for the re-handed transaction").isNotEmpty()
                .allSatisfy(l -> assertThat(l.level()).isEqualTo(Level.INFO))
                .allSatisfy(l -> assertThat(l.message()).contains(TransactionState.COMPLETE_COMMIT.toString()));
    }

    /** What one run of the failing job left: the read_committed output, the values missing from it and the log. */
    private record Run(List<String> values, List<String> missing, List<LogCapture.Line> log) {
        /** ERROR lines about commits: the connector's and our committer's, or any naming a fenced producer or loss. */
        List<LogCapture.Line> errors() {
            return log.stream().filter(l -> l.level().isMoreSpecificThan(Level.ERROR))
                    .filter(l -> l.logger().equals(KafkaCommitter.class.getName())
                            || l.logger().equals(RecommitCheckingCommitter.class.getName())
                            || l.message().toLowerCase(Locale.ROOT).contains("fenced")
                            || l.message().toLowerCase(Locale.ROOT).contains("data loss"))
                    .toList();
        }

        List<LogCapture.Line> verdicts() {
            return log.stream().filter(l -> l.message().startsWith(RecommitCheckingCommitter.ALREADY_COMMITTED))
                    .toList();
        }
    }

    /**
     * Runs source -> {@link FailAfterCommit} -> EXACTLY_ONCE Kafka sink over {@value #RECORDS} records on topics
     * {@code name-in} / {@code name-out}, failing once after checkpoint 3 was committed, and reads the output back.
     */
    private static Run runFailingAfterCommit(String name, Path checkpoints, boolean checking) throws Exception {
        String in = name + "-in";
        String out = name + "-out";
        kafka.createTopic(in, 1);
        kafka.createTopic(out, 1);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
            for (int i = 0; i < RECORDS; i++) {
                p.send(new ProducerRecord<>(in, Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        FailAfterCommit.armed.set(false);
        FailAfterCommit.failed.set(false);
        FailAfterCommit.transactionalIdPrefix = name;

        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        env.enableCheckpointing(300, CheckpointingMode.EXACTLY_ONCE);
        KafkaSource<String> source = KafkaSource.<String>builder().setBootstrapServers(kafka.bootstrapServers())
                .setTopics(in).setGroupId(name).setValueOnlyDeserializer(new SimpleStringSchema())
                .setStartingOffsets(OffsetsInitializer.earliest()).setBounded(OffsetsInitializer.latest()).build();
        KafkaSink<String> sink = KafkaSink.<String>builder().setBootstrapServers(kafka.bootstrapServers())
                .setRecordSerializer(KafkaRecordSerializationSchema.builder().setTopic(out)
                        .setValueSerializationSchema(new SimpleStringSchema()).build())
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE).setTransactionalIdPrefix(name)
                .setProperty("transaction.timeout.ms", "600000").build();
        Properties admin = new Properties();
        admin.put("bootstrap.servers", kafka.bootstrapServers());
        var mapped = env.fromSource(source, WatermarkStrategy.noWatermarks(), "in").uid("in")
                .map(new FailAfterCommit()).uid("fail-after-commit");
        if (checking) {
            mapped.sinkTo(RecommitCheckingKafkaSink.wrap(sink, admin)).uid("out");
        } else {
            mapped.sinkTo(sink).uid("out");
        }

        List<LogCapture.Line> log;
        try (LogCapture capture = LogCapture.open()) {
            env.execute("fenced re-commit after recovery (" + name + ")");
            log = List.copyOf(capture.lines);
        }

        List<String> values = readCommitted(out).stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8)).collect(Collectors.toList());
        Map<String, Integer> perValue = new HashMap<>();
        values.forEach(v -> perValue.merge(v, 1, Integer::sum));
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            if (!perValue.containsKey(Integer.toString(i))) {
                missing.add(Integer.toString(i));
            }
        }
        Run run = new Run(values, missing, log);
        System.out.printf("%s: failure after checkpoint %d; read_committed records %d, distinct %d, missing %d%n"
                        + "  verdicts: %s%n  errors: %s%n", name, FailAfterCommit.failedAfterCheckpoint.get(),
                values.size(), perValue.size(), missing.size(), run.verdicts(), run.errors());
        assertThat(FailAfterCommit.failed.get()).as("the job failed after a committed checkpoint").isTrue();
        return run;
    }

    /** A transaction the producer itself aborted, handed to the committer as if restored: real loss, ERROR. */
    @Test
    void anAbortedTransactionIsReportedAsPossibleLossAndStillFails() throws Exception {
        kafka.createTopic("fenced-aborted", 1);
        KafkaCommittable c;
        try (FlinkKafkaInternalProducer<byte[], byte[]> p = producer("fenced-aborted-tx", 600_000)) {
            c = sendInTransaction(p, "fenced-aborted");
            p.abortTransaction();
        }
        assertLossReported(c, TransactionState.COMPLETE_ABORT, "ProducerFencedException");
    }

    /** A transaction the coordinator aborted after transaction.timeout.ms (e.g. a recovery slower than it). */
    @Test
    void aTransactionAbortedByTimeoutIsReportedAsPossibleLoss() throws Exception {
        kafka.createTopic("fenced-timeout", 1);
        KafkaCommittable c;
        try (FlinkKafkaInternalProducer<byte[], byte[]> p = producer("fenced-timeout-tx", 2000);
                Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            c = sendInTransaction(p, "fenced-timeout");
            long deadline = System.currentTimeMillis() + 120_000;
            while (admin.describeTransactions(List.of(c.getTransactionalId())).description(c.getTransactionalId())
                    .get(30, TimeUnit.SECONDS).state() != TransactionState.COMPLETE_ABORT) {
                assertThat(System.currentTimeMillis()).as("coordinator aborts the timed-out transaction")
                        .isLessThan(deadline);
                Thread.sleep(200);
            }
        }
        assertLossReported(c, TransactionState.COMPLETE_ABORT, "ProducerFencedException");
    }

    /** A committed transaction handed again after restore: marked committed, INFO, no commit attempt, no ERROR. */
    @Test
    void aCommittedTransactionIsMarkedCommittedWithoutAnError() throws Exception {
        kafka.createTopic("fenced-committed", 1);
        KafkaCommittable c;
        try (FlinkKafkaInternalProducer<byte[], byte[]> p = producer("fenced-committed-tx", 600_000)) {
            c = sendInTransaction(p, "fenced-committed");
            p.commitTransaction();
        }
        Request request = new Request(c);
        List<LogCapture.Line> log;
        try (LogCapture capture = LogCapture.open();
                RecommitCheckingCommitter committer = committer("fenced-committed-tx")) {
            committer.commit(List.of(request));
            log = List.copyOf(capture.lines);
        }
        System.out.printf("re-commit of a committed transaction: %s; log %s%n", request.outcome, log);
        assertThat(request.outcome).as("proven committed by the pre-check").isEqualTo("already committed");
        assertThat(log).noneMatch(l -> l.level().isMoreSpecificThan(Level.WARN));
        assertThat(readCommitted("fenced-committed")).hasSize(1);
    }

    /**
     * A transaction whose commit had not run before the failure (still ongoing at the coordinator), handed to the
     * committer as if restored: not proven committed, so the connector commits it (resumed producer); it becomes
     * visible, no verdict line, no ERROR. The writer's producer stays open but idle, as if its TaskManager had died.
     */
    @Test
    void aRestoredTransactionNotYetCommittedIsCommitted() throws Exception {
        kafka.createTopic("fenced-pending", 1);
        try (FlinkKafkaInternalProducer<byte[], byte[]> p = producer("fenced-pending-tx", 600_000)) {
            KafkaCommittable c = sendInTransaction(p, "fenced-pending");
            p.flush();
            Request request = new Request(new KafkaCommittable(c.getProducerId(), c.getEpoch(),
                    c.getTransactionalId(), null));
            List<LogCapture.Line> log;
            try (LogCapture capture = LogCapture.open();
                    RecommitCheckingCommitter committer = committer("fenced-pending-tx")) {
                committer.commit(List.of(request));
                log = List.copyOf(capture.lines);
            }
            System.out.printf("commit of a restored pending transaction: %s; log %s%n", request.outcome,
                    log.stream().filter(l -> l.level().isMoreSpecificThan(Level.WARN)).toList());
            assertThat(request.outcome).isEqualTo("not signalled (committed)");
            assertThat(log).noneMatch(l -> l.level().isMoreSpecificThan(Level.WARN));
            assertThat(log).noneMatch(l -> l.message().startsWith(RecommitCheckingCommitter.ALREADY_COMMITTED));
            assertThat(readCommitted("fenced-pending")).hasSize(1);
        }
    }

    private static void assertLossReported(KafkaCommittable c, TransactionState expected, String failure) throws Exception {
        Request request = new Request(c);
        List<LogCapture.Line> log;
        try (LogCapture capture = LogCapture.open();
                RecommitCheckingCommitter committer = committer(c.getTransactionalId())) {
            committer.commit(List.of(request));
            log = List.copyOf(capture.lines);
        }
        List<LogCapture.Line> verdicts = log.stream()
                .filter(l -> l.message().startsWith(RecommitCheckingCommitter.NOT_COMMITTED)).toList();
        System.out.printf("fenced re-commit of a lost transaction: %s%n", verdicts);
        assertThat(request.outcome).as("the request still fails (the connector's handling)")
                .isEqualTo("failed: " + failure);
        assertThat(verdicts).singleElement().satisfies(l -> {
            assertThat(l.level()).isEqualTo(Level.ERROR);
            assertThat(l.message()).contains(expected.toString());
        });
        assertThat(log).noneMatch(l -> l.message().startsWith(RecommitCheckingCommitter.ALREADY_COMMITTED));
        assertThat(readCommitted(c.getTransactionalId().replace("-tx", ""))).as("nothing visible: it is lost")
                .isEmpty();
    }

    private static FlinkKafkaInternalProducer<byte[], byte[]> producer(String transactionalId, int timeoutMs) {
        Properties p = kafka.producerProperties();
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(timeoutMs));
        FlinkKafkaInternalProducer<byte[], byte[]> producer = new FlinkKafkaInternalProducer<>(p, transactionalId);
        producer.initTransactions();
        return producer;
    }

    /** Begins a transaction, writes one record and returns the transaction as a checkpoint stores it. */
    private static KafkaCommittable sendInTransaction(FlinkKafkaInternalProducer<byte[], byte[]> p, String topic)
            throws Exception {
        p.beginTransaction();
        p.send(new ProducerRecord<>(topic, "x".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        return new KafkaCommittable(p.getProducerId(), p.getEpoch(), p.getTransactionalId(), null);
    }

    private static RecommitCheckingCommitter committer(String prefix) {
        Properties producer = kafka.producerProperties();
        Properties admin = new Properties();
        admin.put("bootstrap.servers", kafka.bootstrapServers());
        return new RecommitCheckingCommitter(new KafkaCommitter(producer, prefix, 0, 0, false,
                FlinkKafkaInternalProducer::new), admin, new UnregisteredMetricsGroup());
    }

    /** A commit request as Flink's committer operator hands it, recording how it ended. */
    private static final class Request implements Committer.CommitRequest<KafkaCommittable> {
        final KafkaCommittable committable;
        String outcome = "not signalled (committed)";

        Request(KafkaCommittable committable) {
            this.committable = committable;
        }

        @Override public KafkaCommittable getCommittable() { return committable; }
        @Override public int getNumberOfRetries() { return 0; }
        @Override public void signalFailedWithKnownReason(Throwable t) {
            outcome = "failed: " + t.getClass().getSimpleName();
        }
        @Override public void signalFailedWithUnknownReason(Throwable t) {
            outcome = "failed (unknown): " + t;
        }
        @Override public void retryLater() { outcome = "retry"; }
        @Override public void updateAndRetryLater(KafkaCommittable c) { outcome = "retry"; }
        @Override public void signalAlreadyCommitted() { outcome = "already committed"; }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readCommitted(String topic) {
        Properties p = kafka.consumerProperties("fenced-check");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(topic).forEach(pi -> parts.add(new TopicPartition(topic, pi.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 120_000;
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                assertThat(System.currentTimeMillis()).as("reading %s up to %s", topic, end).isLessThan(deadline);
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}

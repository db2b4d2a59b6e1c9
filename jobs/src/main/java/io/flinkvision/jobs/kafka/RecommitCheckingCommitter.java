package io.flinkvision.jobs.kafka;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.connector.kafka.sink.KafkaCommittable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps the Kafka sink's committer so that a recovery does not re-commit transactions that are already committed.
 *
 * <p>After a failure, Flink hands the committer the transactions of the last completed checkpoint again (their commit
 * may or may not have run before the failure). On a broker with transaction protocol version 2 (Kafka 4 default) a
 * second commit of a committed transaction is refused as fenced, and the connector's committer logs an ERROR that
 * "most likely signals data loss" although nothing was lost. For each transaction restored from a checkpoint (one
 * with no live producer attached) this committer first asks the coordinator ({@link TransactionOutcomeCheck}):
 * proven committed: logs {@value #ALREADY_COMMITTED} at INFO, counts it, marks the request as committed;
 * otherwise the connector's committer commits it as usual. If the connector then reports the producer fenced (or the transaction aborted), the
 * transaction is checked again and {@value #NOT_COMMITTED} is logged at ERROR with the coordinator's answer.
 *
 * <p>Metrics (committer metric group): {@value #METRIC_ALREADY_COMMITTED} (counter),
 * {@value #METRIC_NOT_COMMITTED} (counter; anything above 0 is data loss to investigate).
 */
final class RecommitCheckingCommitter implements Committer<KafkaCommittable> {
    private static final Logger LOG = LoggerFactory.getLogger(RecommitCheckingCommitter.class);

    /** Stable start of the INFO line for a harmless re-commit. */
    static final String ALREADY_COMMITTED = "Fenced re-commit after recovery: already committed, no loss";
    /** Stable start of the ERROR line for a fenced transaction that is not proven committed. */
    static final String NOT_COMMITTED = "Fenced re-commit after recovery: NOT committed, possible data loss";
    static final String METRIC_ALREADY_COMMITTED = "recoveredTransactionsAlreadyCommitted";
    static final String METRIC_NOT_COMMITTED = "fencedTransactionsNotCommitted";

    private static final Duration BROKER_TIMEOUT = Duration.ofSeconds(30);

    private final Committer<KafkaCommittable> delegate;
    private final Properties adminProperties;
    private final Counter alreadyCommitted;
    private final Counter notCommitted;
    private Admin admin;

    /**
     * @param delegate the connector's committer
     * @param adminProperties client settings of the sink's cluster (bootstrap servers, security)
     * @param metrics where the two counters are registered
     */
    RecommitCheckingCommitter(Committer<KafkaCommittable> delegate, Properties adminProperties,
            MetricGroup metrics) {
        this.delegate = delegate;
        this.adminProperties = adminProperties;
        this.alreadyCommitted = metrics.counter(METRIC_ALREADY_COMMITTED);
        this.notCommitted = metrics.counter(METRIC_NOT_COMMITTED);
    }

    @Override
    public void commit(Collection<CommitRequest<KafkaCommittable>> requests) throws IOException,
            InterruptedException {
        List<CommitRequest<KafkaCommittable>> toCommit = new ArrayList<>(requests.size());
        for (CommitRequest<KafkaCommittable> request : requests) {
            KafkaCommittable c = request.getCommittable();
            if (c.getProducer().isEmpty()) { // restored from a checkpoint: its commit may have run before the failure
                TransactionOutcomeCheck.Verdict v = check(c);
                if (v.committed()) {
                    LOG.info("{} ({}; {})", ALREADY_COMMITTED, c, v.evidence());
                    alreadyCommitted.inc();
                    request.signalAlreadyCommitted();
                    continue;
                }
                LOG.debug("Recovered transaction {} not proven committed, committing it: {}", c, v.evidence());
            }
            toCommit.add(new FenceWatchingRequest(request));
        }
        if (!toCommit.isEmpty()) {
            delegate.commit(toCommit);
        }
    }

    private TransactionOutcomeCheck.Verdict check(KafkaCommittable c) throws InterruptedException {
        if (admin == null) {
            admin = Admin.create(adminProperties);
        }
        return TransactionOutcomeCheck.check(admin, c.getTransactionalId(), c.getProducerId(), c.getEpoch(),
                BROKER_TIMEOUT);
    }

    @Override
    public void close() throws Exception {
        try {
            delegate.close();
        } finally {
            if (admin != null) {
                admin.close(BROKER_TIMEOUT);
            }
        }
    }

    /** Passes everything through; a fenced failure also gets our verdict line with the coordinator's answer. */
    private final class FenceWatchingRequest implements CommitRequest<KafkaCommittable> {
        private final CommitRequest<KafkaCommittable> request;

        FenceWatchingRequest(CommitRequest<KafkaCommittable> request) {
            this.request = request;
        }

        @Override
        public KafkaCommittable getCommittable() {
            return request.getCommittable();
        }

        @Override
        public int getNumberOfRetries() {
            return request.getNumberOfRetries();
        }

        @Override
        public void signalFailedWithKnownReason(Throwable t) {
            if (t instanceof ProducerFencedException || t instanceof InvalidTxnStateException) {
                KafkaCommittable c = request.getCommittable();
                String evidence;
                try {
                    evidence = check(c).evidence();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    evidence = "interrupted while asking the coordinator";
                }
                notCommitted.inc();
                LOG.error("{} ({}; {}). Count its records with a read_committed consumer; see docs/RELIABILITY.md,"
                        + " 'Fenced re-commit after recovery'.", NOT_COMMITTED, c, evidence);
            }
            request.signalFailedWithKnownReason(t);
        }

        @Override
        public void signalFailedWithUnknownReason(Throwable t) {
            request.signalFailedWithUnknownReason(t);
        }

        @Override
        public void retryLater() {
            request.retryLater();
        }

        @Override
        public void updateAndRetryLater(KafkaCommittable committable) {
            request.updateAndRetryLater(committable);
        }

        @Override
        public void signalAlreadyCommitted() {
            request.signalAlreadyCommitted();
        }
    }
}

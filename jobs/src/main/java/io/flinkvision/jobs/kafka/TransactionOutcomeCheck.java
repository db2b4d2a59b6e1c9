package io.flinkvision.jobs.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;

/**
 * Asks the broker's transaction coordinator ({@link Admin#describeTransactions}) how a transaction of a Flink
 * checkpoint ended, given the transactional id, producer id and producer epoch stored in the checkpoint.
 *
 * <p>Rule (Kafka transaction protocol version 2, KIP-890): every end of a transaction bumps the producer epoch by
 * one. A transaction that ran with epoch {@code E} is proven committed when the coordinator reports
 * {@link TransactionState#COMPLETE_COMMIT} for the same producer id at epoch {@code E + 1}: the commit marker was
 * the last thing that happened to that transactional id. Anything else (complete abort, epoch moved further, other
 * producer id, ongoing, unknown id, the broker not answering) is not proof; the caller must treat it as possible loss.
 */
public final class TransactionOutcomeCheck {
    private TransactionOutcomeCheck() {}

    /**
     * What the coordinator says about one checkpointed transaction.
     *
     * @param committed true only when the transaction is proven committed (see the class comment)
     * @param evidence what the coordinator reported, for the log line (state, producer id, epoch)
     */
    public record Verdict(boolean committed, String evidence) {}

    /**
     * Describes {@code transactionalId} on the broker and compares it with the checkpointed producer id and epoch.
     *
     * @param admin an admin client of the sink's cluster
     * @param transactionalId the transaction's id as stored in the checkpoint
     * @param producerId the producer id stored in the checkpoint
     * @param epoch the producer epoch stored in the checkpoint (the epoch the transaction's records were written with)
     * @param timeout how long to wait for the broker
     * @return the verdict; never throws for broker errors (they give a not-committed verdict naming the error)
     * @throws InterruptedException when interrupted while waiting for the broker
     */
    public static Verdict check(Admin admin, String transactionalId, long producerId, short epoch,
            Duration timeout) throws InterruptedException {
        TransactionDescription d;
        try {
            d = admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return new Verdict(false, String.format(Locale.ROOT,
                    "transactional id %s: the coordinator could not be asked (%s: %s); checkpoint had producer id %d"
                            + " epoch %d", transactionalId, cause.getClass().getSimpleName(), cause.getMessage(),
                    producerId, epoch));
        }
        boolean committed = d.state() == TransactionState.COMPLETE_COMMIT && d.producerId() == producerId
                && d.producerEpoch() == epoch + 1;
        return new Verdict(committed, String.format(Locale.ROOT,
                "transactional id %s: coordinator state %s, producer id %d, epoch %d; checkpoint had producer id %d"
                        + " epoch %d", transactionalId, d.state(), d.producerId(), d.producerEpoch(), producerId,
                epoch));
    }
}

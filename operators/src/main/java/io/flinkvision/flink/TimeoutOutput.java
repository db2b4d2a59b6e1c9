package io.flinkvision.flink;

import org.apache.flink.annotation.PublicEvolving;

/** What the operator emits for a frame whose inference did not finish within the async timeout. */
@PublicEvolving
public enum TimeoutOutput {
    /** A detection record with {@code status = "error"} and {@code error.reason = "inference-timeout"}. */
    ERROR_RECORD,
    /** A dead letter with reason {@code inference-timeout} (the original frame goes to the dead-letter topic). */
    DEAD_LETTER
}

package io.flinkvision.flink;

import io.flinkvision.detection.DeadLetter;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.detection.InferenceOutcome;
import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Splits the operator's outcomes: detection records to the main output, dead letters to the side output
 * {@link #DEAD_LETTERS}. Every outcome goes to exactly one of them.
 */
@PublicEvolving
public class OutcomeRouter extends ProcessFunction<InferenceOutcome, FrameDetections> {
    private static final long serialVersionUID = 1L;

    /** Side output of dead letters. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    @Override
    public void processElement(InferenceOutcome outcome, Context ctx, Collector<FrameDetections> out) {
        if (outcome.isDeadLetter()) {
            ctx.output(DEAD_LETTERS, outcome.getDeadLetter());
        } else {
            out.collect(outcome.getDetections());
        }
    }
}

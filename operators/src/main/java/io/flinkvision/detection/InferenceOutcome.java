package io.flinkvision.detection;

import org.apache.flink.annotation.PublicEvolving;

/**
 * What the inference operator emits for each input frame: exactly one of a detection record or a dead letter. A later
 * router sends the first to the detections topic and the second to the dead-letter topic, so that frames in =
 * detection records + dead letters.
 */
@PublicEvolving
public class InferenceOutcome {
    private FrameDetections detections;
    private DeadLetter deadLetter;

    public InferenceOutcome() {}

    public static InferenceOutcome of(FrameDetections detections) {
        InferenceOutcome o = new InferenceOutcome();
        o.detections = detections;
        return o;
    }

    public static InferenceOutcome of(DeadLetter deadLetter) {
        InferenceOutcome o = new InferenceOutcome();
        o.deadLetter = deadLetter;
        return o;
    }

    public FrameDetections getDetections() { return detections; }
    public void setDetections(FrameDetections detections) { this.detections = detections; }
    public DeadLetter getDeadLetter() { return deadLetter; }
    public void setDeadLetter(DeadLetter deadLetter) { this.deadLetter = deadLetter; }

    public boolean isDeadLetter() {
        return deadLetter != null;
    }

    @Override
    public String toString() {
        return isDeadLetter() ? deadLetter.toString() : String.valueOf(detections);
    }
}

package io.flinkvision.verification;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Detection agreement over a set of frames.
 *
 * @param frames frames compared (present on both sides)
 * @param framesInAgreement frames where every detection of both sides is matched at IoU >= 0.9
 * @param all the totals over every class ({@link ClassAgreement#classId()} -1)
 * @param classes per class, by class id, only classes either side detected
 * @param worstFrames frames of lowest agreement, worst first (at most the number asked for; frames in full agreement
 *     left out)
 */
@PublicEvolving
public record AgreementReport(long frames, long framesInAgreement, ClassAgreement all, List<ClassAgreement> classes,
        List<FrameAgreement> worstFrames) {

    /** {@link ClassAgreement#agreement()} of all classes together. */
    @JsonProperty
    public double agreement() {
        return all.agreement();
    }
}

package io.flinkvision.verification;

import java.util.List;
import org.apache.flink.annotation.Internal;

/**
 * A serving verification's outcome as stored beside the plans ({@link VerdictStore}), so that an engine verified
 * once is not verified again on every start, and an engine that failed is refused at once.
 *
 * @param key what was verified: the engine under test (its plan's sha256, or model sha256 + backend + precision
 *     where there is no plan), the reference model's sha256 and the frames' sha256, hashed together
 * @param test the engine under test, in words (backend, precision, device, plan sha256)
 * @param referenceModelSha256 sha256 of the reference ONNX model
 * @param frames number of frames compared
 * @param agreement fraction of reference detections matched at IoU >= 0.9, in [0, 1]
 * @param minAgreement the threshold it was judged against then
 * @param failures why it failed, one line per failed check; empty when it passed
 * @param verifiedAt when it was verified (ISO-8601, UTC)
 */
@Internal
public record StoredVerdict(String key, String test, String referenceModelSha256, int frames, double agreement,
        double minAgreement, List<String> failures, String verifiedAt) {

    /** Whether the stored agreement reaches {@code threshold} (a verdict is judged again when the threshold changes). */
    public boolean passes(double threshold) {
        return agreement >= threshold;
    }
}

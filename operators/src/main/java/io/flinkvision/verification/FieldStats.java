package io.flinkvision.verification;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Errors of one group of output fields over every compared image and anchor.
 *
 * @param name the group: {@code box} (raw_x, raw_y, raw_w, raw_h), {@code objectness} or {@code classes}
 * @param elements elements compared
 * @param within elements within tolerance
 * @param maxAbsError largest {@code |actual - reference|} among finite pairs
 * @param maxRelError largest {@code |actual - reference| / |reference|} among finite pairs with a non-zero reference
 */
@PublicEvolving
public record FieldStats(String name, long elements, long within, double maxAbsError, double maxRelError) {
    /** {@code within / elements}, 1 when nothing was compared. */
    @JsonProperty
    public double fractionWithin() {
        return elements == 0 ? 1.0 : (double) within / elements;
    }
}

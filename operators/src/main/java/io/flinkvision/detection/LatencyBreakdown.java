package io.flinkvision.detection;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Where one frame's time went inside the operator, in milliseconds.
 *
 * <ul>
 *   <li>{@code queue}: from entering the operator to the start of its micro-batch's engine call (decode, letterbox and
 *       waiting for the batch to fill or its deadline).</li>
 *   <li>{@code inference}: the engine call of its micro-batch (copies and compute).</li>
 *   <li>{@code total}: from entering the operator to the completion of its result (includes post-processing).</li>
 * </ul>
 */
@PublicEvolving
public class LatencyBreakdown {
    private double queue;
    private double inference;
    private double total;

    public LatencyBreakdown() {}

    public LatencyBreakdown(double queue, double inference, double total) {
        this.queue = queue;
        this.inference = inference;
        this.total = total;
    }

    public double getQueue() { return queue; }
    public void setQueue(double queue) { this.queue = queue; }
    public double getInference() { return inference; }
    public void setInference(double inference) { this.inference = inference; }
    public double getTotal() { return total; }
    public void setTotal(double total) { this.total = total; }
}

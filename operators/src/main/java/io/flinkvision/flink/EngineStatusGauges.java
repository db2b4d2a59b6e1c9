package io.flinkvision.flink;

import io.flinkvision.engine.EngineStatus;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

/**
 * The two gauges of a subtask's engine state, registered in {@code open()} before the engine opens so that a first-run
 * TensorRT build (minutes) is visible in the metrics of a remote cluster, where no console shows it (docs/METRICS.md):
 * <ul>
 *   <li>{@code engineState}: 0 opening, 1 building (TensorRT builder running), 2 ready, 3 failed
 *       (the ordinal of {@link EngineStatus.State});</li>
 *   <li>{@code engineBuildProgress}: percent 0..100 of the TensorRT build (layers timed / layers, capped at 99 until
 *       the plan is generated; see {@code BuildProgress}); 100 once ready, 0 on ONNX Runtime before ready.</li>
 * </ul>
 * In the operator's group {@value InferenceMetrics#GROUP}, next to {@link InferenceMetrics}.
 */
final class EngineStatusGauges {
    /** Gauge name of the state ordinal. */
    public static final String ENGINE_STATE = "engineState";
    /** Gauge name of the build percent. */
    public static final String ENGINE_BUILD_PROGRESS = "engineBuildProgress";

    private EngineStatusGauges() {}

    /** Registers both gauges of {@code tracker} in {@code operatorGroup}'s {@value InferenceMetrics#GROUP} group. */
    public static void register(MetricGroup operatorGroup, EngineStatus.Tracker tracker) {
        MetricGroup g = operatorGroup.addGroup(InferenceMetrics.GROUP);
        g.gauge(ENGINE_STATE, (Gauge<Integer>) () -> tracker.state().ordinal());
        g.gauge(ENGINE_BUILD_PROGRESS, (Gauge<Integer>) tracker::percent);
    }
}

/**
 * Serialized TensorRT plans: building them from ONNX ({@link io.flinkvision.engine.tensorrt.plan.TrtEngineBuilder},
 * with build progress and INT8 calibration), caching them on disk keyed by everything that makes a plan differ
 * ({@link io.flinkvision.engine.tensorrt.plan.PlanCache}, {@link io.flinkvision.engine.tensorrt.plan.PlanCacheKey}), and
 * sharing them across a cluster through a {@link io.flinkvision.engine.tensorrt.plan.SharedPlanStore} (its Flink
 * file-system implementation is {@code io.flinkvision.flink.FlinkFileSystemPlanStore}). Imports {@code cuda}. Internal.
 *
 * Public API ({@code @Experimental}): {@code SharedPlanStore}; the other public types are {@code @Internal}.
 */
package io.flinkvision.engine.tensorrt.plan;

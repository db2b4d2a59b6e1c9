/**
 * Generic micro-batching: {@link io.flinkvision.batching.MicroBatcher} gathers items into batches by size and queue
 * delay ({@link io.flinkvision.batching.BatchPolicy}, fitted to an engine's limits by
 * {@link io.flinkvision.batching.BatchPolicy#fitToEngine}) and hands each to a
 * {@link io.flinkvision.batching.BatchHandler}; {@link io.flinkvision.batching.DispatchStats} says where its dispatch
 * thread spent its time. Knows nothing of frames or detections: imports {@code engine} (for
 * {@link io.flinkvision.engine.EngineInfo}) and nothing of {@code pipeline}, {@code frame}, {@code detection} or Flink.
 *
 * Public API ({@code @PublicEvolving}): {@code BatchPolicy}; the other public types are {@code @Internal}.
 */
package io.flinkvision.batching;

/**
 * Micro-batching: {@link io.flinkvision.batching.MicroBatcher} gathers items into batches by size and queue delay
 * ({@link io.flinkvision.batching.BatchPolicy}) and hands each to a {@link io.flinkvision.batching.BatchHandler}.
 */
package io.flinkvision.batching;

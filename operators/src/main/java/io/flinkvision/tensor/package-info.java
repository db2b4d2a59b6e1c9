/**
 * The engine's input and output buffers: {@link io.flinkvision.tensor.InputBatch} (NCHW input of one micro-batch),
 * {@link io.flinkvision.tensor.SourceBatch} (decoded or JPEG frames staged for an on-device letterbox),
 * {@link io.flinkvision.tensor.OutputBatch} with its {@link io.flinkvision.tensor.OutputLayout}, and
 * {@link io.flinkvision.tensor.ElementType}. The bottom of the house: imports no other project package, nothing of Flink.
 *
 * Public API ({@code @PublicEvolving}): {@code ElementType}, {@code InputBatch}, {@code OutputBatch},
 * {@code OutputLayout}; the other public types are {@code @Internal}.
 */
package io.flinkvision.tensor;

/**
 * What the job emits: {@link io.flinkvision.detection.FrameDetections} (one record per frame with its
 * {@link io.flinkvision.detection.Detection}s, boxes in source pixels), {@link io.flinkvision.detection.DeadLetter}s,
 * {@link io.flinkvision.detection.InferenceOutcome} (one of the two) and their JSON form. Imports only
 * {@code frame}; nothing of Flink (the Kafka schemas are in {@code flink.kafka}).
 *
 * Public API ({@code @PublicEvolving}): {@code BoundingBox}, {@code CocoLabels}, {@code DeadLetter},
 * {@code Detection}, {@code DetectionJson}, {@code FrameDetections}, {@code InferenceOutcome},
 * {@code LatencyBreakdown}.
 */
package io.flinkvision.detection;

/**
 * Camera frames as they travel in Kafka: {@link io.flinkvision.frame.Frame} (camera id, frame index, capture time,
 * encoded payload), its headers ({@link io.flinkvision.frame.FrameHeaders}), {@link io.flinkvision.frame.FrameSerde}
 * (Kafka record <-> frame, bounded header and payload sizes) and the reasons a frame becomes a dead letter
 * ({@link io.flinkvision.frame.DeadLetterReason}). Imports no other project package and nothing of Flink.
 *
 * Public API ({@code @PublicEvolving}): {@code DeadLetterReason}, {@code Frame}, {@code FrameEncoding},
 * {@code FrameHeader}, {@code FrameHeaders}, {@code FrameSerde}, {@code InvalidFrameException}.
 */
package io.flinkvision.frame;

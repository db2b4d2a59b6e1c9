/**
 * Multi-object tracking as keyed Flink state: {@link io.flinkvision.tracking.ObjectTracker} (a
 * {@code KeyedProcessFunction} keyed by camera id running ByteTrack association on Kalman-predicted boxes), track
 * lifecycle events and their Kafka schema, and the wiring into a job ({@link io.flinkvision.tracking.Tracking}).
 * Imports {@code detection}; a Flink-level package (used by {@code flink} users and {@code jobs}).
 *
 * Public API ({@code @PublicEvolving}): {@code ObjectTracker}, {@code TrackEvent},
 * {@code TrackEventSerializationSchema}, {@code TrackerConfig}, {@code Tracking}, {@code TrackingOptions}; the other
 * public types are {@code @Internal}.
 */
package io.flinkvision.tracking;

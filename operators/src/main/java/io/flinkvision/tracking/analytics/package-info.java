/**
 * Line-crossing counts by direction and zone occupancy/dwell per camera, emitted per tumbling event-time window.
 * Imports {@code detection} and {@code tracking}.
 *
 * Public API ({@code @PublicEvolving}): {@code AnalyticsConfig}, {@code AnalyticsWindow},
 * {@code AnalyticsWindowSerializationSchema}, {@code LineZoneAnalytics}; the other public types are {@code @Internal}.
 */
package io.flinkvision.tracking.analytics;

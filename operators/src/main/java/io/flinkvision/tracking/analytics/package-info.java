/**
 * Line-crossing counts by direction and zone occupancy/dwell per camera, emitted per tumbling event-time window.
 * Imports {@code detection} and {@code tracking}.
 */
package io.flinkvision.tracking.analytics;

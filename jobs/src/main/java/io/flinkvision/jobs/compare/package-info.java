/**
 * The {@code compare} command: two detection topics read {@code read_committed}, joined by (camera id, frame index).
 */
package io.flinkvision.jobs.compare;

/**
 * The {@code detect} command: JPEG/PNG files in, one JSON line of detections per image out, no Flink.
 */
package io.flinkvision.jobs.detect;

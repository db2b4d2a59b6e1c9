/**
 * Kafka plumbing of the commands: the embedded KRaft broker, the replay range of {@code job} (start and stop
 * positions) and the EXACTLY_ONCE sink that checks re-commits after recovery.
 */
package io.flinkvision.jobs.kafka;

/**
 * Kafka serialization schemas of the job's topics: frames in, detection records and dead letters out.
 *
 * Public API ({@code @PublicEvolving}): {@code DeadLetterSerializationSchema}, {@code DetectionSerializationSchema},
 * {@code FrameDeserializationSchema}.
 */
package io.flinkvision.flink.kafka;

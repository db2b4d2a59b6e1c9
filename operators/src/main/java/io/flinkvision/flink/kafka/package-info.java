/**
 * Kafka serialization schemas of the job's topics: frames in, detection records and dead letters out.
 */
package io.flinkvision.flink.kafka;

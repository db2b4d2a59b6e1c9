/**
 * Entry points: {@link io.flinkvision.jobs.VideoInferenceCli} (the {@code video-inference} command and its
 * subcommands), {@link io.flinkvision.jobs.VideoInferenceJob} (the job graph: KafkaSource -> the operator ->
 * EXACTLY_ONCE KafkaSinks) and the checks run before a job starts. The top of the house: nothing depends on it;
 * imports no {@code engine.tensorrt} class.
 */
package io.flinkvision.jobs;

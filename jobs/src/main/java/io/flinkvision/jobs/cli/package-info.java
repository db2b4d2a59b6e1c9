/**
 * Shared picocli pieces: option converters, the inference flags every engine-opening command mixes in
 * ({@link io.flinkvision.jobs.cli.InferenceFlags}: their defaults and their mapping onto {@code inference.*} keys come
 * from {@code io.flinkvision.flink.InferenceOptions}), the start-up check of those values and the error handling.
 * Imports {@code flink} and the layers below it, nothing else of {@code jobs}.
 */
package io.flinkvision.jobs.cli;

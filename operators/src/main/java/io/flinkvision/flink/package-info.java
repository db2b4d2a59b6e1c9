/**
 * The Flink operator: {@link io.flinkvision.flink.GpuInferenceFunction} (a {@code RichAsyncFunction} holding one engine
 * per task slot), its options ({@link io.flinkvision.flink.InferenceOptions}, the one source of defaults,
 * {@link io.flinkvision.flink.InferenceProfile}, and {@link io.flinkvision.flink.InferenceSettings}, which reads them
 * into the engine spec, batch policy, thresholds and decode limits), metrics, GPU assignment per slot and the Flink
 * file-system plan store. What users build jobs with; imports every layer below it, nothing of {@code jobs}.
 *
 * Public API: {@code EngineOpener}, {@code GpuInferenceFunction}, {@code InferenceOptions}, {@code OutcomeRouter},
 * {@code TimeoutOutput} ({@code @PublicEvolving}) and {@code InferenceProfile} ({@code @Experimental}); the other
 * public types are {@code @Internal}.
 */
package io.flinkvision.flink;

/**
 * The detection pipeline: the whole per-frame path from an encoded frame to its {@code InferenceOutcome}, shared by
 * the Flink operator, the {@code detect} command and the benchmark. {@link io.flinkvision.pipeline.DetectionPipeline}
 * is the orchestrator; each stage is a class of its own: {@link io.flinkvision.pipeline.Preprocessor} (pre-processing
 * pool, CPU/GPU/hybrid letterbox placement), the micro-batcher of {@code batching},
 * {@link io.flinkvision.pipeline.EngineDispatcher} with {@link io.flinkvision.pipeline.BatchFiller} and
 * {@link io.flinkvision.pipeline.BatchPostprocessor}, {@link io.flinkvision.pipeline.JpegRetry} (the CPU retry of
 * batches the device's JPEG decoder refused) and {@link io.flinkvision.pipeline.OutcomeFactory}, the one place that
 * builds detection records, dead letters and timeout records from a frame. Also the pipeline's settings
 * ({@link io.flinkvision.pipeline.LetterboxDevice}, {@link io.flinkvision.pipeline.JpegDecodeDevice}) and its observer
 * ({@link io.flinkvision.pipeline.PipelineListener}).
 *
 * <p>Imports {@code batching}, {@code engine}, {@code imaging}, {@code postprocess}, {@code detection}, {@code frame}
 * and {@code tensor}; nothing of Flink, and no OpenCV (pixels are decoded and letterboxed through {@code imaging}).
 * Used by {@code flink} and {@code jobs} only.
 *
 * Public API ({@code @PublicEvolving}): {@code JpegDecodeDevice}, {@code LetterboxDevice}; the other public types are
 * {@code @Internal}.
 */
package io.flinkvision.pipeline;

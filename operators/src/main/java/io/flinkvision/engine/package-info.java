/**
 * The inference engine contract: {@link io.flinkvision.engine.InferenceEngine} (acquire an input batch, submit, get
 * the output asynchronously), {@link io.flinkvision.engine.EngineSpec} (what to open), {@link io.flinkvision.engine.EngineInfo}
 * (what was opened: input size, max batch, layout), {@link io.flinkvision.engine.InferenceEngines} (the backend chosen
 * through {@link io.flinkvision.engine.InferenceEngineFactory} services), the engine's status, the slot pool every
 * engine runs its batches over ({@link io.flinkvision.engine.SlotScheduler}) and the benchmark probes a device engine
 * offers ({@link io.flinkvision.engine.DeviceProbe}). Backends live in
 * {@code engine.onnxruntime} and {@code engine.tensorrt}. Imports {@code tensor}, {@code imaging} and {@code frame};
 * nothing of Flink.
 *
 * Public API: {@code Backend}, {@code EngineInfo}, {@code EngineSpec}, {@code InferenceEngine},
 * {@code InferenceEngineFactory}, {@code InferenceEngines}, {@code InferenceException}, {@code Precision}
 * ({@code @PublicEvolving}) and {@code DeviceProbe} ({@code @Experimental}); the other public types are
 * {@code @Internal}.
 */
package io.flinkvision.engine;

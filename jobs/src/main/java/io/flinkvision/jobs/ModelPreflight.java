package io.flinkvision.jobs;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineInfo;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.Precision;
import io.flinkvision.flink.InferenceOptions;
import org.apache.flink.configuration.Configuration;

/**
 * Start-up check of the model, on the client before the job is submitted: opens the configured ONNX file once with
 * ONNX Runtime on the CPU (one thread, batch 1, whatever backend the job will use) and checks the operator's tensor
 * contract, input {@code [batch,3,H,W]} float32 with fixed H and W, output {@code [batch,rows,5+classes]}. A missing,
 * empty, corrupt or wrong-shaped model thus fails the submission with one message naming
 * {@code --model / inference.model.path}, instead of failing in every TaskManager's {@code open()} and restarting
 * forever.
 */
public final class ModelPreflight {
    private static final String SETTING = "--model / inference.model.path";

    private ModelPreflight() {}

    /**
     * Opens and closes the model of these {@code inference.*} options.
     *
     * @param inference the job's inference options ({@link JobSettings#inference()})
     * @return what the model is (name, sha256, input size, classes, max batch)
     * @throws IllegalStateException with one message naming the model path setting when the model cannot be used
     */
    public static EngineInfo check(Configuration inference) {
        String model = inference.get(InferenceOptions.MODEL_PATH);
        EngineSpec spec = EngineSpec.builder().modelPath(model).backend(Backend.ONNXRUNTIME).precision(Precision.FP32)
                .maxBatchSize(1).maxInFlight(1).intraOpThreads(1).build();
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            return engine.info();
        } catch (InferenceException e) {
            String m = e.getMessage();
            throw new IllegalStateException("model check failed: " + m
                    + (m != null && m.contains("inference.model.path") ? "" : " (check " + SETTING + ")"), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("model check failed for '" + model + "': " + e + " (check " + SETTING
                    + ")", e);
        }
    }
}

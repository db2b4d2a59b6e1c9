package io.flinkvision.engine;

import io.flinkvision.tensor.ElementType;
import io.flinkvision.tensor.OutputLayout;
import org.apache.flink.annotation.PublicEvolving;

/**
 * What an opened engine is: its model, runtime, tensor geometry and limits.
 *
 * @param modelName file name of the model, e.g. {@code yolox_nano_dyn.onnx}
 * @param modelSha256 hex sha256 of the model bytes
 * @param backend runtime actually used (never {@link Backend#AUTO})
 * @param precision compute precision
 * @param device device description, e.g. {@code cpu} or {@code cuda:0 NVIDIA H200 (sm_90)}
 * @param inputType element type of the input tensor the host fills
 * @param channels input channels C (3, BGR)
 * @param inputHeight input height H in pixels (416 for YOLOX-Nano)
 * @param inputWidth input width W in pixels
 * @param outputRows output rows per image (anchors: 3549 for 416x416 YOLOX)
 * @param outputColumns values per row: {@code outputLayout.columns()} (85 for raw COCO YOLOX, 10 for top-3)
 * @param maxBatchSize largest batch N one call accepts
 * @param maxInFlight how many batches may be in flight at once (execution slots)
 * @param outputLayout what a row of the output holds (raw YOLOX head, or reduced to the top-K classes on the GPU)
 * @param planSha256 hex sha256 of the serialized plan the engine runs (TensorRT), or null where the runtime runs the
 *     model itself (ONNX Runtime): what a serving verification verdict is stored for
 */
@PublicEvolving
public record EngineInfo(
        String modelName,
        String modelSha256,
        Backend backend,
        Precision precision,
        String device,
        ElementType inputType,
        int channels,
        int inputHeight,
        int inputWidth,
        int outputRows,
        int outputColumns,
        int maxBatchSize,
        int maxInFlight,
        OutputLayout outputLayout,
        String planSha256) {

    /** @throws IllegalArgumentException if {@code outputColumns} disagrees with the layout */
    public EngineInfo {
        if (outputLayout == null || outputLayout.columns() != outputColumns) {
            throw new IllegalArgumentException("output of " + outputColumns + " columns does not match layout "
                    + outputLayout);
        }
    }

    /** An engine that runs its model directly, with no serialized plan ({@code planSha256} null). */
    public EngineInfo(String modelName, String modelSha256, Backend backend, Precision precision, String device,
            ElementType inputType, int channels, int inputHeight, int inputWidth, int outputRows, int outputColumns,
            int maxBatchSize, int maxInFlight, OutputLayout outputLayout) {
        this(modelName, modelSha256, backend, precision, device, inputType, channels, inputHeight, inputWidth,
                outputRows, outputColumns, maxBatchSize, maxInFlight, outputLayout, null);
    }

    /** Number of classes the model predicts. */
    public int numClasses() {
        return outputLayout.classes();
    }

    /** Elements of one image in the input tensor: {@code C*H*W}. */
    public int inputElementsPerImage() {
        return channels * inputHeight * inputWidth;
    }

    /** Floats of one image in the output tensor: {@code rows*columns}. */
    public int outputElementsPerImage() {
        return outputRows * outputColumns;
    }
}

package io.flinkvision.batching;

/**
 * Where a {@link DetectionPipeline} letterboxes frames (resize + pad to the model input, YOLOX {@code preproc()}).
 */
public enum LetterboxDevice {
    /** On the pre-processing threads with OpenCV: the reference path, and the only one of ONNX Runtime. */
    CPU,
    /**
     * On the engine's GPU (one CUDA kernel per batch, OpenCV's bilinear arithmetic): the host only decodes (nothing for {@code raw-bgr}) and copies the frame's pixels
     * into pinned staging; fails at start when the engine cannot ({@code InferenceEngine#letterboxesOnDevice()}).
     */
    GPU,
    /** GPU when the engine can, else CPU. */
    AUTO;

    /**
     * Resolves this choice for an engine.
     *
     * @param engineCan whether the engine letterboxes on its device
     * @return true for the device path
     * @throws IllegalArgumentException for {@link #GPU} when the engine cannot
     */
    public boolean onDevice(boolean engineCan, String engineName) {
        if (this == GPU && !engineCan) {
            throw new IllegalArgumentException("letterbox on the GPU needs an engine that can (TensorRT with uint8 input"
                    + " and NVRTC); " + engineName + " cannot: use inference.preprocess.letterbox=cpu or auto");
        }
        return this != CPU && engineCan;
    }
}

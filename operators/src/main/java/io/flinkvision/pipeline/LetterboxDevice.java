package io.flinkvision.pipeline;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Where a {@link DetectionPipeline} letterboxes frames (resize + pad to the model input, YOLOX {@code preproc()}).
 */
@PublicEvolving
public enum LetterboxDevice {
    /** On the pre-processing threads with OpenCV: the reference path, and the only one of ONNX Runtime. */
    CPU,
    /**
     * On the engine's GPU (one CUDA kernel per batch, OpenCV's bilinear arithmetic): the host only decodes (nothing for
     * {@code raw-bgr}) and copies the frame's pixels into pinned staging; fails at start when the engine cannot
     * ({@code InferenceEngine#letterboxesOnDevice()}).
     */
    GPU,
    /** GPU when the engine can, else CPU. */
    AUTO,
    /**
     * Both, balanced by load: a frame is letterboxed on the pre-processing thread while those threads keep up, and
     * only decoded (then letterboxed by the GPU kernel) when it finds more frames waiting for pre-processing than
     * there are threads. A batch then holds host-letterboxed images first and device-letterboxed ones after them
     * ({@code InputBatch#setMixedSize}). The CPU path moves {@code 3*416*416} bytes per frame over PCIe, the GPU path
     * the whole decoded frame; hybrid spends the cores first and PCIe only for the excess. Falls back to CPU when the
     * engine cannot letterbox on its device.
     */
    HYBRID;

    /**
     * Resolves this choice for an engine.
     *
     * @param engineCan whether the engine letterboxes on its device
     * @param engineName named in the error
     * @return {@link #CPU}, {@link #GPU} or {@link #HYBRID}: what the pipeline does
     * @throws IllegalArgumentException for {@link #GPU} when the engine cannot
     */
    public LetterboxDevice resolve(boolean engineCan, String engineName) {
        if (this == GPU && !engineCan) {
            throw new IllegalArgumentException("letterbox on the GPU needs an engine that can (TensorRT with uint8 input"
                    + " and NVRTC); " + engineName + " cannot: use inference.preprocess.letterbox=cpu, auto or hybrid");
        }
        if (!engineCan || this == CPU) {
            return CPU;
        }
        return this == HYBRID ? HYBRID : GPU;
    }
}

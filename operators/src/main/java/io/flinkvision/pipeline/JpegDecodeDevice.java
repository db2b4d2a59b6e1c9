package io.flinkvision.pipeline;

import org.apache.flink.annotation.PublicEvolving;

/**
 * Where a {@link DetectionPipeline} decodes JPEG frames whose letterbox runs on the GPU ({@link LetterboxDevice}).
 * With the letterbox on the CPU, every frame is decoded on the CPU.
 */
@PublicEvolving
public enum JpegDecodeDevice {
    /** On the pre-processing threads with OpenCV (libjpeg-turbo): the reference decoder. */
    CPU,
    /**
     * On the engine's GPU (nvJPEG's hardware JPEG decoder, one batched call per micro-batch): the host checks the
     * header and stages the file (a tenth of the pixels' bytes for a quality-95 768x576 frame); files the hardware
     * does not take (progressive, gray, CMYK, 12-bit) are decoded on the CPU. Fails at start when the engine cannot
     * ({@code InferenceEngine#decodesJpegOnDevice()}).
     */
    GPU,
    /** GPU when the engine can and the letterbox runs on the GPU, else CPU. */
    AUTO;

    /**
     * Resolves this choice for an engine and a letterbox placement.
     *
     * @param engineCan whether the engine decodes JPEG on its device
     * @param letterbox where the pipeline letterboxes ({@link LetterboxDevice#resolve resolved})
     * @param engineName named in the error
     * @return {@link #CPU} or {@link #GPU}: what the pipeline does
     * @throws IllegalArgumentException for {@link #GPU} when the engine cannot, or the letterbox runs on the CPU
     */
    public JpegDecodeDevice resolve(boolean engineCan, LetterboxDevice letterbox, String engineName) {
        boolean possible = engineCan && letterbox != LetterboxDevice.CPU;
        if (this == GPU && !possible) {
            throw new IllegalArgumentException("JPEG decode on the GPU needs the letterbox on the GPU and an engine"
                    + " with nvJPEG's hardware decoder (TensorRT on an A100/H100-class GPU); " + engineName
                    + (engineCan ? " letterboxes on the CPU here" : " cannot") + ": use"
                    + " inference.preprocess.jpeg-decode=cpu or auto");
        }
        return this != CPU && possible ? GPU : CPU;
    }
}

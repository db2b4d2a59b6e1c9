package io.flinkvision.postprocess;

import io.flinkvision.tensor.OutputLayout;
import io.flinkvision.detection.BoundingBox;
import io.flinkvision.detection.CocoLabels;
import io.flinkvision.detection.Detection;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.annotation.Internal;

/**
 * From one image's YOLOX output to detections in source-image pixels: {@link YoloxDecoder} (grid/stride decoding,
 * score threshold) -> {@link BoxMapping} (divide by the letterbox scale) -> {@link Nms#classAware} -> clip to the image
 * -> COCO labels, at most {@link PostprocessConfig#maxDetections()} by descending score. Thread-safe.
 */
@Internal
public final class YoloxPostprocessor {
    private final YoloxDecoder decoder;
    private final OutputLayout layout;
    private final PostprocessConfig config;

    /**
     * @param inputWidth model input width in pixels
     * @param inputHeight model input height in pixels
     * @param rows output rows per image (anchors)
     * @param layout what a row of the engine's output holds
     * @param config thresholds
     */
    public YoloxPostprocessor(int inputWidth, int inputHeight, int rows, OutputLayout layout,
            PostprocessConfig config) {
        this.decoder = new YoloxDecoder(inputWidth, inputHeight, rows);
        this.layout = layout;
        this.config = config;
    }

    /** Anchors where the top-K output may have missed a class above the threshold (see {@link YoloxDecoder}). */
    public long saturatedAnchors() {
        return decoder.saturatedAnchors();
    }

    public PostprocessConfig config() {
        return config;
    }

    /**
     * Post-processes one image.
     *
     * @param out the batch output tensor {@code [N, rows, layout.columns()]}
     * @param offset index of this image's first value
     * @param scale letterbox scale r of this image
     * @param sourceWidth source image width in pixels (clip bound)
     * @param sourceHeight source image height in pixels (clip bound)
     * @return detections sorted by descending score
     */
    public List<Detection> process(FloatBuffer out, int offset, double scale, int sourceWidth, int sourceHeight) {
        List<Candidate> candidates = decoder.decode(out, offset, layout, config.scoreThreshold());
        BoxMapping.toSource(candidates, scale);
        List<Candidate> kept = Nms.classAware(candidates, config.nmsIouThreshold());
        int n = Math.min(kept.size(), config.maxDetections());
        List<Detection> result = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Candidate c = kept.get(i);
            BoundingBox box = new BoundingBox(c.x1, c.y1, c.x2, c.y2).clip(sourceWidth, sourceHeight);
            result.add(new Detection(c.classId, CocoLabels.label(c.classId), c.score, box));
        }
        return result;
    }
}

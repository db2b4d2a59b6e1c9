package io.flinkvision.postprocess;

import java.io.Serializable;
import org.apache.flink.annotation.PublicEvolving;

/**
 * Post-processing settings.
 *
 * @param scoreThreshold minimum score (objectness * class probability, exclusive), default 0.3
 * @param nmsIouThreshold class-aware NMS IoU threshold, default 0.45 (YOLOX demo)
 * @param maxDetections keep at most this many detections per frame, highest scores first, default 300
 */
@PublicEvolving
public record PostprocessConfig(float scoreThreshold, float nmsIouThreshold, int maxDetections) implements Serializable {
    /** Score 0.3, NMS IoU 0.45, at most 300 detections: the settings of the golden set. */
    public static final PostprocessConfig DEFAULT = new PostprocessConfig(0.3f, 0.45f, 300);

    public PostprocessConfig {
        if (!(scoreThreshold >= 0f && scoreThreshold < 1f)) {
            throw new IllegalArgumentException("score threshold must be in [0, 1), got " + scoreThreshold);
        }
        if (!(nmsIouThreshold > 0f && nmsIouThreshold <= 1f)) {
            throw new IllegalArgumentException("NMS IoU threshold must be in (0, 1], got " + nmsIouThreshold);
        }
        if (maxDetections < 1) {
            throw new IllegalArgumentException("max detections must be >= 1, got " + maxDetections);
        }
    }
}

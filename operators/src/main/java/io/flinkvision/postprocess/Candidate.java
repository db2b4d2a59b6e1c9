package io.flinkvision.postprocess;

import org.apache.flink.annotation.Internal;

/**
 * A scored box of one class before NMS. Coordinates in pixels of whatever space the producer says (model input or
 * source image); mutable so that mapping back to source pixels needs no copy.
 */
@Internal
public final class Candidate {
    public float x1;
    public float y1;
    public float x2;
    public float y2;
    public final float score;
    public final int classId;

    public Candidate(float x1, float y1, float x2, float y2, float score, int classId) {
        this.x1 = x1;
        this.y1 = y1;
        this.x2 = x2;
        this.y2 = y2;
        this.score = score;
        this.classId = classId;
    }

    @Override
    public String toString() {
        return "Candidate{class=" + classId + ", score=" + score + ", box=[" + x1 + ", " + y1 + ", " + x2 + ", " + y2
                + "]}";
    }
}

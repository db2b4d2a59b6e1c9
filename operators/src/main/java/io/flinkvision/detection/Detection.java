package io.flinkvision.detection;

import java.util.Objects;
import org.apache.flink.annotation.PublicEvolving;

/**
 * One detected object: class, label, confidence score in [0, 1] and box in source-image pixels; with tracking on
 * ({@code io.flinkvision.tracking.ObjectTracker}) also the {@link #getTrackId() track id} of the object.
 */
@PublicEvolving
public class Detection {
    private int classId;
    private String label;
    private float score;
    private BoundingBox box;
    private Long trackId;

    public Detection() {}

    public Detection(int classId, String label, float score, BoundingBox box) {
        this.classId = classId;
        this.label = label;
        this.score = score;
        this.box = box;
    }

    /** Index into the model's label list (COCO-80 for the shipped model). */
    public int getClassId() { return classId; }
    public void setClassId(int classId) { this.classId = classId; }
    public String getLabel() { return label; }
    public void setLabel(String label) { this.label = label; }
    /** objectness * class probability, in [0, 1]. */
    public float getScore() { return score; }
    public void setScore(float score) { this.score = score; }
    public BoundingBox getBox() { return box; }
    public void setBox(BoundingBox box) { this.box = box; }
    /**
     * Id of the confirmed track this detection belongs to, stable per camera (ids start at 1 and grow by one per
     * confirmed track of the camera); null (omitted from JSON) without tracking or when the detection matched no
     * confirmed track. Optional in the JSON schema: records written before tracking existed have none.
     */
    public Long getTrackId() { return trackId; }
    public void setTrackId(Long trackId) { this.trackId = trackId; }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof Detection)) return false;
        Detection d = (Detection) o;
        return classId == d.classId && Float.compare(score, d.score) == 0 && Objects.equals(label, d.label)
                && Objects.equals(box, d.box) && Objects.equals(trackId, d.trackId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(classId, score, box);
    }

    @Override
    public String toString() {
        return label + "(" + classId + ") " + String.format("%.3f", score) + " " + box
                + (trackId == null ? "" : " #" + trackId);
    }
}

package io.flinkvision.detection;

import java.util.List;
import org.apache.flink.annotation.PublicEvolving;

/**
 * The 80 COCO class names in the order of the YOLOX COCO head (class id = list index). Source: YOLOX
 * {@code yolox/data/datasets/coco_classes.py}, as listed in {@code models/MODELS.md}.
 */
@PublicEvolving
public final class CocoLabels {
    /** Class names, index = class id. */
    public static final List<String> LABELS = List.of(
            "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
            "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
            "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
            "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
            "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
            "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
            "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
            "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
            "teddy bear", "hair drier", "toothbrush");

    private CocoLabels() {}

    /** The label of a class id, or {@code "class-<id>"} for an id outside the list (a model with more classes). */
    public static String label(int classId) {
        return classId >= 0 && classId < LABELS.size() ? LABELS.get(classId) : "class-" + classId;
    }
}

package io.flinkvision.jobs.producer;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A stable, balanced assignment of camera ids to the partitions of a frames topic: the distinct ids are sorted
 * (natural {@link String} order) and dealt round-robin, so camera {@code i} of the sorted list goes to partition
 * {@code i mod partitions}. With {@code C} cameras over {@code P} partitions every partition gets
 * {@code floor(C/P)} or {@code ceil(C/P)} cameras; all frames of one camera go to one partition, which keeps them in
 * order. Kafka's default key hash (murmur2 of the key, modulo the partition count) gives no such guarantee for a
 * handful of keys: {@code cam-a..cam-d, cam-0, cam-1} all hash to partition 0 of 3.
 *
 * <p>The assignment depends only on the set of ids and the partition count, so producers that share a topic agree
 * when they are given the same camera set. Adding a camera may move others (it is a deal, not a consistent hash);
 * restart the producers together when the camera set changes, or frames of a moved camera are split over two
 * partitions around the change.
 *
 * <pre>{@code
 * CameraPartitions p = CameraPartitions.of(List.of("cam-0", "cam-1", "cam-2"), 3);
 * int partition = p.partition("cam-1"); // 1
 * }</pre>
 */
public final class CameraPartitions {
    private final Map<String, Integer> partitionByCamera;
    private final int partitions;

    private CameraPartitions(Map<String, Integer> partitionByCamera, int partitions) {
        this.partitionByCamera = Map.copyOf(partitionByCamera);
        this.partitions = partitions;
    }

    /**
     * Deals the cameras over the partitions.
     *
     * @param cameraIds camera ids (record keys); duplicates are ignored; at least one
     * @param partitions the topic's partition count, at least 1
     * @return the assignment
     * @throws IllegalArgumentException when {@code cameraIds} is empty or holds a blank id, or {@code partitions < 1}
     */
    public static CameraPartitions of(Collection<String> cameraIds, int partitions) {
        Objects.requireNonNull(cameraIds, "cameraIds");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        TreeSet<String> sorted = new TreeSet<>();
        for (String id : cameraIds) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("camera ids must be non-blank, got '" + id + "'");
            }
            sorted.add(id);
        }
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("at least one camera id is needed");
        }
        Map<String, Integer> assignment = new TreeMap<>();
        int i = 0;
        for (String id : sorted) {
            assignment.put(id, i++ % partitions);
        }
        return new CameraPartitions(assignment, partitions);
    }

    /**
     * The partition of one camera.
     *
     * @param cameraId one of the ids given to {@link #of}
     * @return partition number in {@code 0..partitions-1}
     * @throws IllegalArgumentException when the camera is not part of the assignment
     */
    public int partition(String cameraId) {
        Integer p = partitionByCamera.get(cameraId);
        if (p == null) {
            throw new IllegalArgumentException("camera '" + cameraId + "' is not in the camera set "
                    + partitionByCamera.keySet());
        }
        return p;
    }

    /**
     * The partition count the assignment was made for.
     *
     * @return at least 1
     */
    public int partitions() {
        return partitions;
    }

    /**
     * The whole assignment.
     *
     * @return camera id to partition, sorted by camera id; unmodifiable
     */
    public Map<String, Integer> asMap() {
        return new TreeMap<>(partitionByCamera);
    }
}

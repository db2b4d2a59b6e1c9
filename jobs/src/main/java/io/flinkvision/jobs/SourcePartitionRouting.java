package io.flinkvision.jobs;

import io.flinkvision.frame.Frame;
import org.apache.flink.api.common.functions.Partitioner;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * Sends the frames of Kafka partition {@code p} to operator subtask {@code p mod n}, for a source that runs at another
 * parallelism than the operator ({@link JobSettings#sourceParallelism()}). A partition's records stay in offset order
 * on one channel, so every camera (one partition per camera id, see the producer) keeps its frame order, and
 * partitions spread evenly when their count is a multiple of {@code n}. Frames without a partition ({@code -1})
 * go to subtask {@code n - 1}.
 */
final class SourcePartitionRouting implements Partitioner<Integer> {
    private static final long serialVersionUID = 1L;

    SourcePartitionRouting() {}

    /** The frames re-distributed by source partition (a network exchange: each frame is serialized once). */
    static DataStream<Frame> apply(DataStream<Frame> frames) {
        return frames.partitionCustom(new SourcePartitionRouting(), new PartitionKey());
    }

    @Override
    public int partition(Integer sourcePartition, int numPartitions) {
        return Math.floorMod(sourcePartition, numPartitions);
    }

    /** The frame's Kafka source partition ({@link Frame#getSourcePartition()}). */
    static final class PartitionKey implements KeySelector<Frame, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer getKey(Frame frame) {
            return frame.getSourcePartition();
        }
    }
}

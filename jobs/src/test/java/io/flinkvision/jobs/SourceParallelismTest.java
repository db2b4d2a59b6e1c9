package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.frame.Frame;
import java.util.List;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.CustomPartitionerWrapper;
import org.apache.flink.streaming.runtime.partitioner.ForwardPartitioner;
import org.junit.jupiter.api.Test;

/** {@code --source-parallelism}: the job graph between the frames source and the inference operator. */
class SourceParallelismTest {

    private static StreamGraph graph(int parallelism, int sourceParallelism) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        VideoInferenceJob.build(env, JobSettings.builder().bootstrapServers("127.0.0.1:9092")
                .parallelism(parallelism).sourceParallelism(sourceParallelism).build());
        return env.getStreamGraph(false);
    }

    private static StreamNode node(StreamGraph g, String namePrefix) {
        return g.getStreamNodes().stream().filter(n -> n.getOperatorName().startsWith(namePrefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no node " + namePrefix + " in " + g.getStreamNodes()));
    }

    @Test
    void aSourceAtItsOwnParallelismSendsEachKafkaPartitionToOneOperatorSubtask() {
        StreamGraph g = graph(2, 4);
        StreamNode source = node(g, "Source: frames");
        StreamNode inference = node(g, "inference");
        assertThat(source.getParallelism()).isEqualTo(4);
        assertThat(inference.getParallelism()).isEqualTo(2);
        List<StreamEdge> in = inference.getInEdges();
        assertThat(in).hasSize(1);
        assertThat(in.get(0).getPartitioner()).isInstanceOf(CustomPartitionerWrapper.class);
    }

    @Test
    void withoutItOrAtTheJobsParallelismTheSourceStaysChainedToTheOperator() {
        for (StreamGraph g : List.of(graph(2, 0), graph(2, 2))) {
            StreamNode inference = node(g, "inference");
            assertThat(node(g, "Source: frames").getParallelism()).isEqualTo(2);
            assertThat(inference.getInEdges().get(0).getPartitioner()).isInstanceOf(ForwardPartitioner.class);
        }
    }

    @Test
    void partitionPGoesToSubtaskPModN() {
        SourcePartitionRouting routing = new SourcePartitionRouting();
        assertThat(List.of(0, 1, 2, 3, 4, 5, 6, 7)).extracting(p -> routing.partition(p, 2))
                .containsExactly(0, 1, 0, 1, 0, 1, 0, 1);
        assertThat(routing.partition(7, 3)).isEqualTo(1);
        assertThat(routing.partition(-1, 3)).as("a frame without a partition").isEqualTo(2);
        Frame f = new Frame();
        f.setSourcePartition(5);
        assertThat(new SourcePartitionRouting.PartitionKey().getKey(f)).isEqualTo(5);
    }

    @Test
    void aNegativeSourceParallelismIsRefused() {
        assertThatThrownBy(() -> JobSettings.builder().bootstrapServers("x:1").sourceParallelism(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--source-parallelism");
    }
}

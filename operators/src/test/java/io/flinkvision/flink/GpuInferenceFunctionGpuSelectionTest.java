package io.flinkvision.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator's GPU selection through Flink's own runtime context: four {@link GpuInferenceFunction} subtasks of one
 * TaskManager whose {@code gpu} external resource holds two GPUs (a {@link MockEnvironment} with an external resource
 * provider, as a TaskManager started with Flink's GPU plugin has, which MiniCluster cannot provide) open their engines
 * on both GPUs, two each, and a subtask that closes gives its GPU back to the next one. The engine opener records the
 * device index the operator resolved and opens ONNX Runtime on the CPU (CI has no GPU); each subtask then infers one
 * real frame, so the whole open path ran.
 */
class GpuInferenceFunctionGpuSelectionTest {
    /** Device indices the operator handed to the engine opener, in open order. */
    static final List<Integer> OPENED_ON = new CopyOnWriteArrayList<>();

    private final List<OneInputStreamOperatorTestHarness<Frame, InferenceOutcome>> subtasks = new ArrayList<>();

    @AfterEach
    void closeSubtasks() throws Exception {
        for (var h : subtasks) {
            h.close();
        }
        OPENED_ON.clear();
    }

    private OneInputStreamOperatorTestHarness<Frame, InferenceOutcome> openSubtask(int subtask,
            Set<ExternalResourceInfo> gpus) throws Exception {
        GpuInferenceFunction function = GpuInferenceFunction.builder()
                .engineSpec(EngineSpec.builder().backend(Backend.TENSORRT).maxBatchSize(2).maxInFlight(1).build())
                .batchPolicy(new BatchPolicy(2, 5, 1))
                .engineOpener(spec -> {
                    OPENED_ON.add(spec.deviceIndex());
                    return InferenceEngines.open(spec.withBackend(Backend.ONNXRUNTIME));
                })
                .build();
        MockEnvironment env = new MockEnvironmentBuilder().setTaskName("inference").setMaxParallelism(128).setParallelism(4)
                .setSubtaskIndex(subtask).setExternalResourceInfoProvider(name -> name.equals("gpu") ? gpus : Set.of())
                .build();
        var harness = new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(function, 30_000, 4, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(Frame.class).createSerializer(new SerializerConfigImpl()), env);
        subtasks.add(harness);
        harness.open();
        harness.processElement(new StreamRecord<>(new Frame("cam-" + subtask, 0, 0L, FrameEncoding.JPEG,
                golden("vtest_000.jpg")), 0L));
        harness.endInput();
        assertThat(harness.extractOutputValues()).singleElement()
                .satisfies(o -> assertThat(o.isDeadLetter()).as("inferred, not dead-lettered").isFalse());
        return harness;
    }

    private static byte[] golden(String name) throws IOException {
        try (InputStream in = GpuInferenceFunctionGpuSelectionTest.class.getResourceAsStream("/flinkvision/golden/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void fourSubtasksOfATaskManagerWithTwoGpusOpenTwoOnEachAndAClosedOnesGpuIsReused() throws Exception {
        Set<ExternalResourceInfo> gpus = Set.of(GpuAssignmentTest.Gpu.index("51"), GpuAssignmentTest.Gpu.index("50"));
        for (int i = 0; i < 4; i++) {
            openSubtask(i, gpus);
        }
        assertThat(OPENED_ON).containsExactly(50, 51, 50, 51);
        assertThat(GpuAssignment.openOn(50)).isEqualTo(2);

        subtasks.remove(1).close(); // the subtask on GPU 51 fails over
        assertThat(GpuAssignment.openOn(51)).isEqualTo(1);
        openSubtask(1, gpus);
        assertThat(OPENED_ON).containsExactly(50, 51, 50, 51, 51);
        assertThat(GpuAssignment.openOn(51)).isEqualTo(2);
    }

    @Test
    void aSubtaskWhoseEngineFailsToOpenGivesItsGpuBack() throws Exception {
        Set<ExternalResourceInfo> gpus = Set.of(GpuAssignmentTest.Gpu.index("52"));
        GpuInferenceFunction function = GpuInferenceFunction.builder()
                .engineSpec(EngineSpec.builder().backend(Backend.TENSORRT).build())
                .batchPolicy(new BatchPolicy(2, 5, 1))
                .engineOpener(spec -> {
                    OPENED_ON.add(spec.deviceIndex());
                    throw new IllegalStateException("cudaMalloc failed on cuda:" + spec.deviceIndex());
                })
                .build();
        MockEnvironment env = new MockEnvironmentBuilder().setTaskName("inference").setMaxParallelism(128)
                .setExternalResourceInfoProvider(name -> name.equals("gpu") ? gpus : Set.of()).build();
        var harness = new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(function, 30_000, 4, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(Frame.class).createSerializer(new SerializerConfigImpl()), env);
        try {
            assertThatThrownBy(harness::open).hasStackTraceContaining("cudaMalloc failed on cuda:52");
            assertThat(OPENED_ON).containsExactly(52);
            assertThat(GpuAssignment.openOn(52)).as("given back by open() itself, before any close()").isZero();
        } finally {
            harness.close();
        }
    }

    @Test
    void withoutAGpuResourceEverySubtaskUsesTheConfiguredIndex() throws Exception {
        openSubtask(0, Set.of());
        openSubtask(1, Set.of(new GpuAssignmentTest.Gpu(Map.of("uuid", "GPU-1"))));
        assertThat(OPENED_ON).containsExactly(0, 0);
    }
}

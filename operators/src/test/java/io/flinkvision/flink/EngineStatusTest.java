package io.flinkvision.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.EngineStatus;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.frame.Frame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.metrics.groups.GenericMetricGroup;
import org.apache.flink.runtime.metrics.util.TestingMetricRegistry;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine state a subtask publishes while it opens its engine (the console of {@code demo}/{@code job} and the
 * {@code engineState}/{@code engineBuildProgress} gauges read it): real {@link GpuInferenceFunction} subtasks in
 * Flink's operator test harness, opening the real ONNX Runtime engine with the bundled model (session creation is the
 * CPU counterpart of a TensorRT build) and a model file ONNX Runtime refuses.
 */
class EngineStatusTest {
    @TempDir
    Path tmp;

    private static OneInputStreamOperatorTestHarness<Frame, InferenceOutcome> harness(GpuInferenceFunction f,
            JobID job, int subtask) throws Exception {
        MockEnvironment env = new MockEnvironmentBuilder().setTaskName("inference").setMaxParallelism(128)
                .setParallelism(2).setSubtaskIndex(subtask).setJobID(job).build();
        return new OneInputStreamOperatorTestHarness<>(
                new AsyncWaitOperatorFactory<>(f, 30_000, 4, AsyncDataStream.OutputMode.ORDERED),
                TypeInformation.of(Frame.class).createSerializer(new SerializerConfigImpl()), env);
    }

    @Test
    void onnxRuntimeOpenGoesThroughOpeningToReadyAndCloseRemovesTheEntry() throws Exception {
        JobID job = new JobID();
        List<EngineStatus.Snapshot> seenWhileOpening = new CopyOnWriteArrayList<>();
        String group = job.toString();
        GpuInferenceFunction f = GpuInferenceFunction.builder()
                .engineSpec(EngineSpec.builder().backend(Backend.ONNXRUNTIME).maxBatchSize(2).maxInFlight(1).build())
                .batchPolicy(new BatchPolicy(2, 5, 1))
                .engineOpener(spec -> {
                    seenWhileOpening.addAll(EngineStatus.snapshot(group)); // before the factory ran
                    var engine = InferenceEngines.open(spec);
                    seenWhileOpening.addAll(EngineStatus.snapshot(group)); // after: what the factory reported
                    return engine;
                })
                .build();
        var h = harness(f, job, 1);
        try {
            h.open();
            assertThat(seenWhileOpening).hasSize(2);
            assertThat(seenWhileOpening.get(0).state()).isEqualTo(EngineStatus.State.OPENING);
            assertThat(seenWhileOpening.get(0).name()).isEqualTo("engine of subtask 2/2");
            assertThat(seenWhileOpening.get(1).state()).isEqualTo(EngineStatus.State.OPENING);
            assertThat(seenWhileOpening.get(1).stage()).isEqualTo("creating the ONNX Runtime session");

            assertThat(EngineStatus.snapshot(group)).singleElement().satisfies(s -> {
                assertThat(s.state()).isEqualTo(EngineStatus.State.READY);
                assertThat(s.subtask()).isEqualTo(1);
                assertThat(s.percent()).isEqualTo(100);
                assertThat(s.detail()).isEqualTo("onnxruntime fp32 on cpu");
                assertThat(s.describe()).startsWith("engine of subtask 2/2: ready, onnxruntime fp32 on cpu, ");
            });
            assertThat(EngineStatus.current()).as("unbound from the task thread once ready")
                    .isSameAs(EngineStatus.Progress.NONE);
        } finally {
            h.close();
        }
        assertThat(EngineStatus.snapshot(group)).as("closed engines leave the registry").isEmpty();
    }

    @Test
    void aModelOnnxRuntimeRefusesLeavesAFailedEntryWithTheCause() throws Exception {
        Path bad = Files.write(tmp.resolve("not-a-model.onnx"), "this is not an ONNX file".getBytes(
                StandardCharsets.US_ASCII));
        JobID job = new JobID();
        GpuInferenceFunction f = GpuInferenceFunction.builder()
                .engineSpec(EngineSpec.builder().backend(Backend.ONNXRUNTIME).modelPath(bad.toString())
                        .maxBatchSize(2).maxInFlight(1).build())
                .batchPolicy(new BatchPolicy(2, 5, 1))
                .build();
        var h = harness(f, job, 0);
        try {
            assertThatThrownBy(h::open).hasStackTraceContaining("not-a-model.onnx");
        } finally {
            h.close();
        }
        assertThat(EngineStatus.snapshot(job.toString())).as("kept after close(): the console still sees the cause")
                .singleElement().satisfies(s -> {
                    assertThat(s.state()).isEqualTo(EngineStatus.State.FAILED);
                    assertThat(s.failure()).contains("not-a-model.onnx");
                    assertThat(s.describe()).contains("FAILED: ").contains("not-a-model.onnx");
                });
        EngineStatus.clear(job.toString());
        assertThat(EngineStatus.snapshot(job.toString())).isEmpty();
    }

    @Test
    void gaugesFollowTheTracker() {
        Map<String, Metric> registered = new HashMap<>();
        TestingMetricRegistry registry = TestingMetricRegistry.builder()
                .setRegisterConsumer((metric, name, group) -> registered.put(name, metric)).build();
        JobID job = new JobID();
        EngineStatus.Tracker t = EngineStatus.start(job.toString(), 0, 0, "engine of subtask 1/1", "tensorrt");
        try {
            EngineStatusGauges.register(new GenericMetricGroup(registry, null, "inference"), t);
            assertThat(gauge(registered, EngineStatusGauges.ENGINE_STATE)).isEqualTo(0);
            EngineStatus.current().build("tactics", 45, "45 of 100 layers timed"); // as BuildProgress reports
            assertThat(gauge(registered, EngineStatusGauges.ENGINE_STATE)).isEqualTo(1);
            assertThat(gauge(registered, EngineStatusGauges.ENGINE_BUILD_PROGRESS)).isEqualTo(45);
            assertThat(EngineStatus.snapshot(job.toString())).singleElement().extracting(EngineStatus.Snapshot::describe)
                    .asString().startsWith("engine of subtask 1/1: building TensorRT engine, phase tactics 45%"
                            + " (45 of 100 layers timed), ");
            t.ready("tensorrt fp16 on cuda:0");
            assertThat(gauge(registered, EngineStatusGauges.ENGINE_STATE)).isEqualTo(2);
            assertThat(gauge(registered, EngineStatusGauges.ENGINE_BUILD_PROGRESS)).isEqualTo(100);
        } finally {
            t.close();
        }
    }

    private static Object gauge(Map<String, Metric> m, String name) {
        return ((Gauge<?>) m.get(name)).getValue();
    }
}

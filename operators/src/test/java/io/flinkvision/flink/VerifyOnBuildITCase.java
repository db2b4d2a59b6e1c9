package io.flinkvision.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import io.flinkvision.testing.OnnxWeights;
import io.flinkvision.testing.TestFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InferenceOptions#VERIFY_ON_BUILD} in a real job on a MiniCluster, with real ONNX Runtime engines: an engine
 * whose model lost detections (objectness biases lowered) makes the job fail at the operator's {@code open()} with the
 * verification's reason, before any frame is scored; the bundled model passes and every frame comes out.
 */
class VerifyOnBuildITCase {
    private static final int FRAMES = 6;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @TempDir
    Path dir;

    private List<InferenceOutcome> run(String model) throws Exception {
        Configuration conf = new Configuration();
        conf.set(InferenceOptions.MODEL_PATH, model);
        conf.set(InferenceOptions.MAX_BATCH_SIZE, 4);
        conf.set(InferenceOptions.INTRA_OP_THREADS, 1);
        conf.set(InferenceOptions.ENGINE_CACHE_DIR, dir.resolve("engines").toString());
        conf.setString("inference.tensorrt.verify-on-build", "true"); // the name of the option, a fallback key
        conf.set(InferenceOptions.VERIFY_REFERENCE_MODEL, EngineSpec.BUNDLED_MODEL);
        GpuInferenceFunction function = GpuInferenceFunction.builder().configure(conf).build();
        Configuration jobConf = new Configuration();
        jobConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(jobConf);
        env.setParallelism(1);
        byte[] jpeg = TestFixtures.bytes("vtest_000.jpg");
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < FRAMES; i++) {
            frames.add(new Frame("cam-verify", i, 1_000L + i, FrameEncoding.JPEG, jpeg));
        }
        List<InferenceOutcome> out = new ArrayList<>();
        AsyncDataStream.orderedWait(env.fromData(frames), function, 60_000, TimeUnit.MILLISECONDS, 8)
                .executeAndCollect("verify-on-build").forEachRemaining(out::add);
        return out;
    }

    @Test
    void anEngineThatFailsVerificationFailsTheJobWithTheReason() throws Exception {
        byte[] model = ModelSource.load(EngineSpec.BUNDLED_MODEL).bytes().clone();
        OnnxWeights.shiftObjectness(model, -3f);
        Path weak = dir.resolve("obj-weak.onnx");
        Files.write(weak, model);
        assertThatThrownBy(() -> run(weak.toString()))
                .satisfies(e -> assertThat(ExceptionUtils.stringifyException(e))
                        .contains("serving verification failed (verified now)")
                        .contains("below inference.verify.min-agreement 0.9000"));
        try (var verdicts = Files.list(dir.resolve("engines").resolve("verdicts"))) {
            assertThat(verdicts.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".report.json"));
        }
    }

    @Test
    void theBundledModelPassesAndServesEveryFrame() throws Exception {
        List<InferenceOutcome> out = run(EngineSpec.BUNDLED_MODEL);
        assertThat(out).hasSize(FRAMES);
    }
}

package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.engine.Backend;
import io.flinkvision.engine.Precision;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.flink.InferenceProfile;
import io.flinkvision.jobs.demo.DemoCommand;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --profile} on {@code job} and {@code demo}: the profile's values under what the command line gives. */
class InferenceProfileOptionTest {

    private static Configuration job(String... args) {
        JobCommand job = new JobCommand();
        String[] all = new String[args.length + 2];
        all[0] = "--bootstrap-servers";
        all[1] = "127.0.0.1:9092";
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(job).parseArgs(all);
        return job.settings().inference();
    }

    private static JobSettings demo(String... args) {
        DemoCommand demo = new DemoCommand();
        new CommandLine(demo).parseArgs(args);
        return demo.settings("127.0.0.1:9092", "frames", "detections", "frames-dlq").build();
    }

    @Test
    void theGpuProfileSetsItsValuesOnTheJob() {
        Configuration c = job("--profile", "gpu");
        assertThat(c.get(InferenceOptions.BACKEND)).isEqualTo(Backend.TENSORRT);
        assertThat(c.get(InferenceOptions.PRECISION)).isEqualTo(Precision.FP16);
        assertThat(c.get(InferenceOptions.MAX_BATCH_SIZE)).isEqualTo(32);
        assertThat(c.get(InferenceOptions.MAX_QUEUE_DELAY_MS)).isEqualTo(5.0);
        assertThat(c.get(InferenceOptions.IN_FLIGHT)).isEqualTo(8);
        assertThat(c.get(InferenceOptions.CAPACITY)).isEqualTo(512);
        assertThat(c.get(InferenceOptions.PREPROCESS_THREADS)).isEqualTo(8);
    }

    @Test
    void flagsAndDefinesWinOverTheProfile() {
        Configuration c = job("--profile", "gpu", "--batch-size", "16", "-D", "inference.async.capacity=256");
        assertThat(c.get(InferenceOptions.MAX_BATCH_SIZE)).isEqualTo(16);
        assertThat(c.get(InferenceOptions.CAPACITY)).isEqualTo(256);
        assertThat(c.get(InferenceOptions.IN_FLIGHT)).isEqualTo(8);
    }

    @Test
    void withoutAProfileTheOptionsKeepTheirDefaults() {
        Configuration c = job();
        assertThat(c.get(InferenceOptions.IN_FLIGHT)).isEqualTo(InferenceOptions.IN_FLIGHT.defaultValue());
        assertThat(c.get(InferenceOptions.CAPACITY)).isEqualTo(InferenceOptions.CAPACITY.defaultValue());
        assertThat(c.get(InferenceOptions.BACKEND)).isEqualTo(InferenceOptions.BACKEND.defaultValue());
    }

    @Test
    void theDemoTakesTheProfileUnlessAFlagIsGiven() {
        JobSettings gpu = demo("--profile", "gpu");
        assertThat(gpu.parallelism()).isEqualTo(2);
        assertThat(gpu.inference().get(InferenceOptions.MAX_BATCH_SIZE)).isEqualTo(32);
        assertThat(gpu.inference().get(InferenceOptions.BACKEND)).isEqualTo(Backend.TENSORRT);

        JobSettings given = demo("--profile", "gpu", "--parallelism", "1", "--batch-size", "8", "--backend",
                "onnxruntime");
        assertThat(given.parallelism()).isEqualTo(1);
        assertThat(given.inference().get(InferenceOptions.MAX_BATCH_SIZE)).isEqualTo(8);
        assertThat(given.inference().get(InferenceOptions.BACKEND)).isEqualTo(Backend.ONNXRUNTIME);
        assertThat(given.inference().get(InferenceOptions.CAPACITY)).isEqualTo(512);

        JobSettings plain = demo();
        assertThat(plain.parallelism()).isEqualTo(1);
        assertThat(plain.inference().get(InferenceOptions.MAX_BATCH_SIZE)).isEqualTo(8);
    }

    @Test
    void anUnknownProfileIsRefusedWithTheKnownNames() {
        assertThatThrownBy(() -> InferenceProfile.parse("fast")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("default or gpu");
        assertThat(InferenceProfile.parse("GPU")).isEqualTo(InferenceProfile.GPU);
    }
}

package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.flink.GpuInferenceFunction;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.jobs.demo.DemoCommand;
import io.flinkvision.jobs.detect.DetectCommand;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --engine-cache-dir} of demo, job and detect reaches the engine settings the operator is built from. */
class EngineCacheDirOptionTest {
    private static final String DIR = "/var/cache/flinkvision-plans";

    @Test
    void demoPassesItToTheOperatorConfiguration() {
        DemoCommand demo = new DemoCommand();
        new CommandLine(demo).parseArgs("--engine-cache-dir", DIR);
        Configuration inference = demo.settings("127.0.0.1:9092", "f", "d", "q").build().inference();
        assertThat(inference.get(InferenceOptions.ENGINE_CACHE_DIR)).isEqualTo(DIR);
        assertThat(specOf(inference).engineCacheDir()).isEqualTo(DIR);
    }

    @Test
    void demoWithoutItKeepsTheDefault() {
        DemoCommand demo = new DemoCommand();
        new CommandLine(demo).parseArgs();
        Configuration inference = demo.settings("127.0.0.1:9092", "f", "d", "q").build().inference();
        assertThat(inference.get(InferenceOptions.ENGINE_CACHE_DIR))
                .isEqualTo(InferenceOptions.ENGINE_CACHE_DIR.defaultValue());
    }

    @Test
    void jobPassesItToTheOperatorConfiguration() {
        JobCommand job = new JobCommand();
        new CommandLine(job).parseArgs("--bootstrap-servers", "127.0.0.1:9092", "--engine-cache-dir", DIR);
        Configuration inference = job.settings().inference();
        assertThat(inference.get(InferenceOptions.ENGINE_CACHE_DIR)).isEqualTo(DIR);
        assertThat(specOf(inference).engineCacheDir()).isEqualTo(DIR);
    }

    @Test
    void detectPassesItToTheEngineSpec() {
        DetectCommand detect = new DetectCommand();
        new CommandLine(detect).parseArgs("--engine-cache-dir", DIR, "image.jpg");
        assertThat(detect.spec().engineCacheDir()).isEqualTo(DIR);
    }

    /** The engine settings the operator builds from this configuration (what its subtasks open). */
    private static io.flinkvision.engine.EngineSpec specOf(Configuration inference) {
        return GpuInferenceFunction.builder().configure(inference).build().engineSpec();
    }
}

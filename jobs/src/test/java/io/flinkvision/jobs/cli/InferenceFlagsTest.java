package io.flinkvision.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.pipeline.LetterboxDevice;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.Precision;
import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.jobs.VideoInferenceCli;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@link InferenceFlags}: every command that opens an engine mixes it in, an unset flag takes its option's default
 * (also in the help), and the flags map onto {@code inference.*} keys over {@code -D} over {@code --profile}.
 */
class InferenceFlagsTest {
    /** Each command that opens an engine, with the arguments it needs besides inference flags. */
    private static final Map<String, List<String>> ENGINE_COMMANDS = Map.of(
            "demo", List.of(), "detect", List.of("image.jpg"), "job", List.of("--bootstrap-servers", "k:9092"),
            "benchmark", List.of(), "benchmark-e2e", List.of(), "soak", List.of(), "verify", List.of());

    /** The command parsed from {@code args} after its required arguments, and its inference flags. */
    private static InferenceFlags parse(String command, String... args) {
        CommandLine root = VideoInferenceCli.commandLine();
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(List.of(args));
        all.addAll(ENGINE_COMMANDS.get(command));
        root.parseArgs(all.toArray(String[]::new));
        return (InferenceFlags) root.getSubcommands().get(command).getCommandSpec().mixins().get("inference")
                .userObject();
    }

    @Test
    void everyCommandThatOpensAnEngineMixesTheFlagsIn() {
        for (String command : ENGINE_COMMANDS.keySet()) {
            CommandSpec spec = VideoInferenceCli.commandLine().getSubcommands().get(command).getCommandSpec();
            assertThat(spec.mixins()).as(command).containsKey("inference");
            assertThat(spec.mixins().get("inference").userObject()).as(command).isInstanceOf(InferenceFlags.class);
        }
    }

    @Test
    void unsetFlagsTakeTheOptionDefaults() {
        for (String command : ENGINE_COMMANDS.keySet()) {
            InferenceFlags flags = parse(command);
            assertThat(flags.options()).as(command).isEmpty();
            Configuration c = flags.configuration();
            assertThat(c.get(InferenceOptions.BACKEND)).as(command).isEqualTo(InferenceOptions.BACKEND.defaultValue());
            assertThat(c.get(InferenceOptions.MAX_BATCH_SIZE)).as(command)
                    .isEqualTo(InferenceOptions.MAX_BATCH_SIZE.defaultValue());
            assertThat(c.get(InferenceOptions.MAX_QUEUE_DELAY_MS)).as(command)
                    .isEqualTo(InferenceOptions.MAX_QUEUE_DELAY_MS.defaultValue());
            assertThat(c.get(InferenceOptions.IN_FLIGHT)).as(command)
                    .isEqualTo(InferenceOptions.IN_FLIGHT.defaultValue());
        }
    }

    @Test
    void theHelpShowsTheOptionDefaults() {
        for (String command : ENGINE_COMMANDS.keySet()) {
            String usage = VideoInferenceCli.commandLine().getSubcommands().get(command).getUsageMessage();
            assertThat(usage).as(command)
                    .contains("Max micro-batch size (default: " + InferenceOptions.MAX_BATCH_SIZE.defaultValue() + ")")
                    .contains("(default: " + InferenceOptions.BACKEND.defaultValue().id() + ")")
                    .contains("(default: " + InferenceOptions.MAX_QUEUE_DELAY_MS.defaultValue() + ")");
        }
    }

    @Test
    void flagsWinOverDefinesWhichWinOverTheProfile() {
        Configuration c = parse("detect", "--profile", "gpu", "-D", "inference.batch.max-size=16", "-D",
                "inference.batch.in-flight=3", "--in-flight", "4", "--precision", "fp32").configuration();
        assertThat(c.get(InferenceOptions.BACKEND)).isEqualTo(Backend.TENSORRT);
        assertThat(c.get(InferenceOptions.MAX_QUEUE_DELAY_MS)).isEqualTo(5.0);
        assertThat(c.get(InferenceOptions.MAX_BATCH_SIZE)).isEqualTo(16);
        assertThat(c.get(InferenceOptions.IN_FLIGHT)).isEqualTo(4);
        assertThat(c.get(InferenceOptions.PRECISION)).isEqualTo(Precision.FP32);
    }

    @Test
    void aCommandsOwnInferenceFlagsMapOntoTheirKeys() {
        Configuration detect = parse("detect", "--score-threshold", "0.5", "--max-pixels", "100", "--calibration-dir",
                "/cal", "--tf32").configuration();
        assertThat(detect.get(InferenceOptions.SCORE_THRESHOLD)).isEqualTo(0.5f);
        assertThat(detect.get(InferenceOptions.MAX_PIXELS)).isEqualTo(100L);
        assertThat(detect.get(InferenceOptions.CALIBRATION_DIR)).isEqualTo("/cal");
        assertThat(detect.get(InferenceOptions.TF32)).isTrue();

        Configuration bench = parse("benchmark", "--batch", "16", "--device", "1", "--no-cuda-graphs", "--letterbox",
                "cpu").configuration();
        assertThat(bench.get(InferenceOptions.MAX_BATCH_SIZE)).isEqualTo(16);
        assertThat(bench.get(InferenceOptions.DEVICE_INDEX)).isEqualTo(1);
        assertThat(bench.get(InferenceOptions.CUDA_GRAPHS)).isFalse();
        assertThat(bench.get(InferenceOptions.LETTERBOX)).isEqualTo(LetterboxDevice.CPU);

        Configuration job = parse("job", "--capacity", "128", "--timeout-ms", "500").configuration();
        assertThat(job.get(InferenceOptions.CAPACITY)).isEqualTo(128);
        assertThat(job.get(InferenceOptions.TIMEOUT_MS)).isEqualTo(500L);
    }

    @Test
    void everyMappedFlagIsAnOptionOfSomeCommand() {
        for (String flag : InferenceFlags.FLAG_OPTIONS.keySet()) {
            assertThat(ENGINE_COMMANDS.keySet().stream().anyMatch(command -> VideoInferenceCli.commandLine()
                    .getSubcommands().get(command).getCommandSpec().findOption(flag) != null)).as(flag).isTrue();
        }
    }
}

package io.flinkvision.jobs;

import io.flinkvision.jobs.benchmark.BenchmarkCommand;
import io.flinkvision.jobs.benchmark.EndToEndBenchmarkCommand;
import io.flinkvision.jobs.cli.CliErrors;
import io.flinkvision.jobs.compare.CompareCommand;
import io.flinkvision.jobs.dashboard.DashboardCommand;
import io.flinkvision.jobs.demo.DemoCommand;
import io.flinkvision.jobs.detect.DetectCommand;
import io.flinkvision.jobs.kafka.BrokerCommand;
import io.flinkvision.jobs.producer.ProduceCommand;
import io.flinkvision.jobs.soak.SoakCommand;
import io.flinkvision.jobs.verify.VerifyCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Main class of {@code video-inference.jar}: {@code java -jar jobs/target/video-inference.jar <command> ...}.
 * Commands: {@code demo}, {@code produce}, {@code detect}, {@code job}, {@code dashboard}, {@code benchmark},
 * {@code benchmark-e2e}, {@code soak}, {@code verify}, {@code compare}. Logs (our own, Flink's, Kafka's) go to stderr (log4j2.xml), so that what a
 * command prints on stdout is its result only (e.g. {@code detect}'s JSON lines). Usage errors are one line on stderr
 * and exit code 2, for every command ({@link CliErrors}).
 */
@Command(name = "video-inference", mixinStandardHelpOptions = true, version = "video-inference 0.1.0",
        description = "Real-time video inference on Apache Flink: Kafka frames -> batched YOLOX (ONNX Runtime /"
                + " TensorRT) -> Kafka detections.",
        subcommands = {DemoCommand.class, ProduceCommand.class, DetectCommand.class, JobCommand.class,
                DashboardCommand.class, BenchmarkCommand.class, EndToEndBenchmarkCommand.class, SoakCommand.class,
                VerifyCommand.class, CompareCommand.class, BrokerCommand.class})
public final class VideoInferenceCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Builds the command line with every subcommand registered and the error handling of {@link CliErrors}. */
    public static CommandLine commandLine() {
        return CliErrors.install(new CommandLine(new VideoInferenceCli()));
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}

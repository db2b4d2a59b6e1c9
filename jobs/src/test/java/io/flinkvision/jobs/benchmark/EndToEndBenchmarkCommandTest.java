package io.flinkvision.jobs.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code benchmark-e2e} in a short form on the real parts (embedded Kafka broker, the job on a MiniCluster, ONNX
 * Runtime on the CPU, frames of the shipped clip): every preloaded and paced frame comes out exactly once, read
 * committed, and the report's figures are present and consistent with each other. No figure is compared with a
 * speed: the machine may be loaded.
 */
class EndToEndBenchmarkCommandTest {
    private static final int FRAMES = 90;
    private static final int CAMERAS = 3;

    @TempDir
    Path dir;

    @Test
    void shortRunIsBalancedAndItsFiguresAreConsistent() throws Exception {
        Path report = dir.resolve("e2e.json");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        EndToEndBenchmarkCommand cmd = new EndToEndBenchmarkCommand(new PrintStream(printed, true,
                StandardCharsets.UTF_8));
        int rc = new CommandLine(cmd).execute("--video", "../data/vtest.avi", "--max-source-frames", "12",
                "--frames", Integer.toString(FRAMES), "--cameras", Integer.toString(CAMERAS), "--partitions", "3",
                "--backend", "onnxruntime", "--batch-size", "8", "--operator-frames", "32", "--latency-seconds", "3",
                "--stall-timeout-s", "600", "--report", report.toString());
        String out = printed.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertThat(rc).as(out).isZero();
        assertThat(out).contains("backlog: all " + FRAMES + " outputs committed").contains("| endToEndVsOperator |");

        JsonNode r = new ObjectMapper().readTree(report.toFile());
        assertThat(r.get("framesIn").asLong()).isEqualTo(FRAMES);
        assertThat(r.get("detectionRecords").asLong() + r.get("deadLetters").asLong()).isEqualTo(FRAMES);
        assertThat(r.get("deadLetters").asLong()).as("the clip's frames are valid").isZero();
        assertThat(r.get("duplicates").asLong()).isZero();
        assertThat(r.get("balanced").asBoolean()).isTrue();
        long latencyRecords = r.get("latencyRecords").asLong();
        assertThat(latencyRecords).isPositive().isEqualTo(latencyRecords / CAMERAS * CAMERAS);
        assertThat(r.get("outputsTotal").asLong()).isEqualTo(FRAMES + latencyRecords);

        double op = r.get("operatorJpegFps").asDouble();
        double steady = r.get("steadyFps").asDouble();
        double job = r.get("jobFps").asDouble();
        assertThat(op).isPositive();
        assertThat(steady).isPositive();
        // the report's figures are rounded (fps to 0.1, seconds to 0.01): compare within 1%
        assertThat(r.get("endToEndVsOperator").asDouble()).isCloseTo(steady / op, withinPercentage(1));
        assertThat(job).isCloseTo(FRAMES / r.get("jobSeconds").asDouble(), withinPercentage(1));
        assertThat(r.get("firstOutputSeconds").asDouble()).isPositive()
                .isLessThanOrEqualTo(r.get("jobSeconds").asDouble());
        assertThat(r.get("meanBatch").asDouble()).isBetween(1.0, 8.0);
        assertThat(r.get("kafkaInMBps").asDouble()).isPositive();
        assertThat(r.get("producerRecordsPerSecond").asDouble()).isPositive();
        assertThat(r.get("latencyOfferedFps").asDouble()).isCloseTo(0.7 * steady, withinPercentage(1));
        long p50 = r.get("p50Ms").asLong();
        long p99 = r.get("p99Ms").asLong();
        assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
        JsonNode cp = r.get("checkpoints");
        assertThat(cp.get("completed").asLong()).as("outputs are committed by checkpoints").isPositive();
        assertThat(cp.get("durationMaxMs").asDouble()).isGreaterThanOrEqualTo(cp.get("durationAvgMs").asDouble());
        assertThat(r.get("backend").asText()).isEqualTo("onnxruntime");
        // the stage breakdown read every preloaded frame, once after the source and once after the operator
        for (String stage : new String[] {"sourceFps", "sourceOperatorFps"}) {
            JsonNode st = r.get("stages").get(stage);
            assertThat(st.get("records").asLong()).as(stage).isEqualTo(FRAMES);
            assertThat(st.get("steadyFps").asDouble()).as(stage).isPositive();
            assertThat(r.get(stage).asDouble()).isEqualTo(st.get("steadyFps").asDouble());
            assertThat(r.get(stage.replace("Fps", "VsOperator")).asDouble()).as(stage)
                    .isCloseTo(st.get("steadyFps").asDouble() / op, withinPercentage(1));
        }
    }
}

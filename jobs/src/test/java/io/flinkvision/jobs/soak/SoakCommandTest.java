package io.flinkvision.jobs.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkvision.detection.DetectionJson;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code soak} command on the real pipeline (embedded Kafka, MiniCluster, ONNX Runtime, the clip): a 30-second
 * smoke run in the default test run, and the real soak ({@code @Tag("soak")}, excluded by default; minutes from
 * {@code -Dsoak.minutes}, default 20): {@code mvn -o -B -pl jobs test -Dtest=SoakCommandTest -Dtest.excludedGroups=
 * -Dsoak.minutes=20}. The real soak passes when RSS grows less than 5 % from minute 5 to the end. The measured run is
 * a fixed number of samples from the first output, so the counts below hold however slow the machine is.
 */
class SoakCommandTest {
    @TempDir
    Path dir;

    private record Run(int rc, String printed, JsonNode report) {}

    private Run soak(String... args) throws Exception {
        SoakCommand cmd = new SoakCommand();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        Path report = dir.resolve("soak-report.json");
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--output";
        all[args.length + 1] = report.toString();
        int rc = new CommandLine(cmd).execute(all);
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
        return new Run(rc, printed, DetectionJson.mapper().readTree(report.toFile()));
    }

    @Test
    void shortRunSamplesMemoryAndWritesTheReport() throws Exception {
        Run r = soak("--minutes", "0.5", "--sample-interval-s", "5", "--growth-from-minute", "0.1", "--window-s", "10",
                "--fps", "5", "--max-rss-growth-percent", "1000");
        assertThat(r.rc()).as(r.printed()).isZero();
        JsonNode samples = r.report().get("samples");
        assertThat(samples.size()).as("30 s / 5 s").isEqualTo(6);
        for (int k = 1; k <= samples.size(); k++) {
            assertThat(samples.get(k - 1).get("seconds").asDouble()).as("sample %d is not early", k)
                    .isGreaterThanOrEqualTo(5.0 * k - 0.1);
        }
        JsonNode last = samples.get(samples.size() - 1);
        assertThat(last.get("rssBytes").asLong()).isGreaterThan(100_000_000L);
        assertThat(last.get("heapUsedBytes").asLong()).isPositive();
        assertThat(last.get("directBytes").asLong()).isPositive(); // the ONNX Runtime engine's input slots
        assertThat(last.get("javacppPhysicalBytes").asLong()).isPositive();
        assertThat(last.get("framesSent").asLong()).isPositive();
        assertThat(r.report().get("outputs").asLong()).as("frames came out of the job").isPositive();
        assertThat(r.report().get("growth").get("rss").get("percent").isNumber()).isTrue();
        assertThat(r.printed()).contains("soak: growth from minute").contains("rss");
    }

    @Test
    @Tag("soak")
    void rssGrowsLessThanFivePercentFromMinuteFiveToTheEnd() throws Exception {
        String minutes = System.getProperty("soak.minutes", "20");
        Run r = soak("--minutes", minutes);
        assertThat(r.report().get("samples").size()).as("one every 10 s")
                .isEqualTo((int) (Double.parseDouble(minutes) * 6));
        assertThat(r.report().get("outputs").asLong()).isPositive();
        assertThat(r.rc()).as("RSS growth %s %%", r.report().get("rssGrowthPercent")).isZero();
    }
}

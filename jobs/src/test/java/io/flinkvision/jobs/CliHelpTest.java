package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code --help} of every command, in a JVM of its own ({@link ChildJvm}): exit code 0, the usage on stdout, and no
 * {@code [picocli WARN] Could not format} line (a description with a bare {@code %} is a format string error that
 * picocli reports on stderr while it prints the help).
 */
class CliHelpTest {
    @TempDir
    static Path tmp;

    static Stream<String> commands() {
        return Stream.concat(Stream.of(""), VideoInferenceCli.commandLine().getSubcommands().keySet().stream());
    }

    @ParameterizedTest(name = "{0} --help")
    @MethodSource("commands")
    void helpPrintsNoWarning(String command) throws Exception {
        ChildJvm.Result r = command.isEmpty() ? ChildJvm.run(tmp, null, "--help")
                : ChildJvm.run(tmp, null, command, "--help");
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.stdout()).as("%s", r).contains("Usage: video-inference" + (command.isEmpty() ? "" : " " + command));
        assertThat(r.stdout() + r.stderr()).as("%s", r).doesNotContain("WARN").doesNotContain("Could not format");
        assertThat(r.stderr()).as("%s", r).isEmpty();
    }
}

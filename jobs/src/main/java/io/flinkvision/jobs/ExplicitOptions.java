package io.flinkvision.jobs;

import picocli.CommandLine.Model.CommandSpec;

/**
 * Whether a picocli option was given on the command line rather than left at its default, so that a profile's value
 * ({@link io.flinkvision.flink.InferenceProfile}) is overridden only by what the user typed.
 */
public final class ExplicitOptions {
    private ExplicitOptions() {}

    /**
     * @param spec the command's spec (injected by picocli); null when the command was built without parsing
     * @param option the option's name, e.g. {@code --batch-size}
     * @return true when the option was given, or when nothing was parsed (then every field counts as given)
     */
    public static boolean given(CommandSpec spec, String option) {
        if (spec == null || spec.commandLine() == null || spec.commandLine().getParseResult() == null) {
            return true;
        }
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }
}

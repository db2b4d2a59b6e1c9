package io.flinkvision.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.flink.InferenceOptions;
import io.flinkvision.tracking.TrackingOptions;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.ConfigOption;
import org.junit.jupiter.api.Test;

/**
 * Every option key named in a string literal of the main sources (operators and jobs: error messages, option
 * descriptions, log lines) is a key some {@link ConfigOption} declares, so that a message never sends a user to a key
 * that does not exist. A key is a word starting with the first segment of a declared key ({@code inference.},
 * {@code tracking.}) followed by at least one more segment; the declared keys are read by reflection from the options
 * classes.
 */
class OptionKeysInMessagesTest {
    private static final List<Class<?>> OPTIONS_CLASSES = List.of(InferenceOptions.class, TrackingOptions.class);
    private static final Pattern STRING_LITERAL = Pattern.compile("\"(?:[^\"\\\\\\n]|\\\\.)*\"");

    @Test
    void everyKeyInAMainSourceStringIsDeclared() throws IOException {
        Set<String> declared = declaredKeys();
        Pattern keys = keyPattern(declared);
        List<String> unknown = new ArrayList<>();
        for (Path root : List.of(repository().resolve("operators/src/main/java"),
                repository().resolve("jobs/src/main/java"))) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                    String source = Files.readString(f, StandardCharsets.UTF_8);
                    for (String key : keysIn(source, keys)) {
                        if (!declared.contains(key)) {
                            unknown.add(root.relativize(f) + ": " + key);
                        }
                    }
                }
            }
        }
        assertThat(unknown).as("keys named in string literals that no ConfigOption declares").isEmpty();
    }

    @Test
    void aMisspeltKeyIsFound() {
        Set<String> declared = declaredKeys();
        String source = "throw new InferenceException(\"try a larger workspace: inference.tensorrt.workspace-byte)\");"
                + " String ok = \"see inference.batch.max-size.\"; String wildcard = \"-D inference.*=value\";"
                + " // inference.not-in-a-string";
        List<String> found = keysIn(source, keyPattern(declared));
        assertThat(found).containsExactly("inference.tensorrt.workspace-byte", "inference.batch.max-size");
        assertThat(declared).doesNotContain(found.get(0)).contains(found.get(1));
    }

    /** The keys (and fallback keys) of every public static {@link ConfigOption} field of the options classes. */
    private static Set<String> declaredKeys() {
        Set<String> keys = new TreeSet<>();
        for (Class<?> c : OPTIONS_CLASSES) {
            for (Field f : c.getFields()) {
                if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                    try {
                        ConfigOption<?> option = (ConfigOption<?>) f.get(null);
                        keys.add(option.key());
                        option.fallbackKeys().forEach(k -> keys.add(k.getKey())); // still-read older names
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        }
        assertThat(keys).as("declared keys").contains(InferenceOptions.MAX_BATCH_SIZE.key());
        return keys;
    }

    /** A key: a declared key's first segment, then dot-separated lower-case segments, not ending in a dot or dash. */
    private static Pattern keyPattern(Set<String> declared) {
        String prefixes = declared.stream().map(k -> k.substring(0, k.indexOf('.'))).distinct().map(Pattern::quote)
                .collect(Collectors.joining("|"));
        return Pattern.compile("(?<![\\w.-])(?:" + prefixes + ")\\.[a-z0-9][a-z0-9.-]*[a-z0-9]");
    }

    /** The keys inside the string literals of {@code source}, in order. */
    private static List<String> keysIn(String source, Pattern keys) {
        List<String> found = new ArrayList<>();
        Matcher literal = STRING_LITERAL.matcher(source);
        while (literal.find()) {
            Matcher k = keys.matcher(literal.group());
            while (k.find()) {
                found.add(k.group());
            }
        }
        return found;
    }

    /** The repository root: the first folder at or above the working directory holding both modules. */
    private static Path repository() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("operators/src/main/java"))
                    && Files.isDirectory(p.resolve("jobs/src/main/java"))) {
                return p;
            }
        }
        throw new AssertionError("no operators/ and jobs/ source folders at or above " + Path.of("").toAbsolutePath());
    }
}

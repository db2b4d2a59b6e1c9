package io.flinkvision.jobs.detect;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Expands {@code detect}'s IMAGE arguments, in order, into the images to run:
 *
 * <ul>
 *   <li>a file is an image as given, whatever its name (a file that is not an image gets an error line);</li>
 *   <li>a folder stands for its own {@value #EXTENSIONS_TEXT} files (not those of its subfolders), sorted by name;
 *       its other entries (other files, subfolders, hidden entries) are skipped with one note on stderr per folder,
 *       and a folder without any image is an error line ({@code no-images});</li>
 *   <li>{@code -} stands for the paths read from stdin, one per line (blank lines ignored), each a file or a folder
 *       as above; they are read as they come, so {@code find ... | detect -} prints results while {@code find}
 *       still runs.</li>
 * </ul>
 */
final class ImageInputs {
    /** File name endings of the images a folder stands for (lower case), the formats the operator decodes. */
    static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png");
    static final String EXTENSIONS_TEXT = ".jpg/.jpeg/.png";
    /** The argument that stands for stdin. */
    static final String STDIN = "-";
    /** Names of skipped entries listed in a folder's note; the rest are counted. */
    private static final int NOTE_NAMES = 5;

    /**
     * One image to run, or an input that yields none.
     *
     * @param name the path as it will appear in the output's {@code image} field
     * @param path the file to read, or null when {@code error} is set
     * @param error reason code of an input that cannot be run ({@code file-unreadable}, {@code no-images}), or null
     * @param message what is wrong with it, or null
     */
    record Input(String name, Path path, String error, String message) {
        static Input failed(String name, String error, String message) {
            return new Input(name, null, error, message);
        }
    }

    /** Where the inputs go, in order; returns false to stop (e.g. stdout was closed). */
    interface Sink {
        boolean accept(Input input) throws InterruptedException;
    }

    private final BufferedReader stdin;
    private final PrintStream notes;
    private final String prefix;

    /**
     * @param stdin where {@code -} reads paths from
     * @param notes where folder notes go (stderr)
     * @param prefix start of every note, e.g. {@code "detect: "}
     */
    ImageInputs(BufferedReader stdin, PrintStream notes, String prefix) {
        this.stdin = stdin;
        this.notes = notes;
        this.prefix = prefix;
    }

    /**
     * Feeds the images of {@code args} to {@code sink}, in order.
     *
     * @return false when the sink asked to stop
     * @throws UncheckedIOException when stdin cannot be read
     */
    boolean expand(List<String> args, Sink sink) throws InterruptedException {
        for (String arg : args) {
            if (STDIN.equals(arg)) {
                String line;
                try {
                    while ((line = stdin.readLine()) != null) {
                        String path = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                        if (!path.isBlank() && !expandOne(path, sink)) {
                            return false;
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read image paths from stdin", e);
                }
            } else if (!expandOne(arg, sink)) {
                return false;
            }
        }
        return true;
    }

    private boolean expandOne(String arg, Sink sink) throws InterruptedException {
        Path p;
        try {
            p = Path.of(arg);
        } catch (InvalidPathException e) {
            return sink.accept(Input.failed(arg, "file-unreadable", "not a valid path: " + e.getMessage()));
        }
        if (!Files.isDirectory(p)) {
            return sink.accept(new Input(arg, p, null, null));
        }
        List<Path> images = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(p)) {
            for (Path e : entries) {
                if (isImage(e)) {
                    images.add(e);
                } else {
                    skipped.add(e.getFileName() + (Files.isDirectory(e) ? "/" : ""));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return sink.accept(Input.failed(arg, "file-unreadable", "cannot list the folder: " + e));
        }
        images.sort(Comparator.comparing(f -> f.getFileName().toString()));
        if (!skipped.isEmpty()) {
            skipped.sort(null);
            notes.println(prefix + arg + ": skipped " + skipped.size() + " entr" + (skipped.size() == 1 ? "y" : "ies")
                    + " that " + (skipped.size() == 1 ? "is" : "are") + " not " + EXTENSIONS_TEXT + " files: "
                    + names(skipped));
        }
        if (images.isEmpty()) {
            return sink.accept(Input.failed(arg, "no-images", "the folder holds no " + EXTENSIONS_TEXT + " file"));
        }
        for (Path image : images) {
            if (!sink.accept(new Input(image.toString(), image, null, null))) {
                return false;
            }
        }
        return true;
    }

    /** A regular, visible file with an image extension (any case). */
    static boolean isImage(Path p) {
        String name = p.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        return !name.startsWith(".") && Files.isRegularFile(p) && EXTENSIONS.stream().anyMatch(lower::endsWith);
    }

    private static String names(List<String> skipped) {
        return String.join(", ", skipped.subList(0, Math.min(NOTE_NAMES, skipped.size()))) + (skipped.size() > NOTE_NAMES ? " and " + (skipped.size() - NOTE_NAMES)
                + " more" : "");
    }
}

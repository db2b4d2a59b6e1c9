package io.flinkvision.jobs.compare;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flinkvision.detection.DetectionJson;
import io.flinkvision.detection.FrameDetections;
import io.flinkvision.jobs.verify.ReportTables;
import io.flinkvision.verification.AgreementReport;
import io.flinkvision.verification.DetectionAgreement;
import io.flinkvision.verification.VerificationSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code compare}: reads two detection topics ({@code read_committed}, each to the end it had when reading began),
 * joins their records by (camera id, frame index) and reports detection agreement as {@code verify} does: per class,
 * matched at IoU 0.5 and 0.9, missed (only in {@code --left}) and extra (only in {@code --right}) detections, score
 * differences; then the frames only one side has and the error records. The left topic plays the reference. Made for
 * A/B re-scoring: replay the same range of frames ({@code job --start-from ... --stop-at ...}) with two models or
 * precisions into two topics, then compare them.
 *
 * <p>Exit codes: 0 agreement at IoU >= 0.9 reaches {@code --min-agreement}; 1 it does not, or no frame is on both
 * sides; 2 usage or a topic that cannot be read.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare two detection topics frame by frame (joined by camera id and frame index): detection"
                + " agreement at IoU 0.5/0.9 per class, frames only one side has. Exit 0 pass, 1 below"
                + " --min-agreement, 2 usage.")
public class CompareCommand implements Callable<Integer> {
    /** Exit code: agreement below the threshold, or nothing in common. */
    public static final int EXIT_FAILED = 1;
    /** Exit code: bad options or a topic that cannot be read. */
    public static final int EXIT_USAGE = 2;
    /** Frames listed per side in the table as only on that side. */
    private static final int LISTED_FRAMES = 10;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers.")
    String bootstrapServers;
    @Option(names = "--left", required = true, description = "Detections topic of the reference (e.g. the current"
            + " model).")
    String left;
    @Option(names = "--right", required = true, description = "Detections topic under test (e.g. the candidate).")
    String right;
    @Option(names = "--min-agreement", defaultValue = "" + VerificationSettings.DEFAULT_MIN_AGREEMENT,
            description = "Lowest agreement at IoU >= 0.9 that passes, 0..1 (default: ${DEFAULT-VALUE}).")
    double minAgreement;
    @Option(names = "--report", description = "Write the JSON report to this file.")
    Path report;
    @Option(names = "--timeout-s", defaultValue = "300", description = "Time to read each topic to its end, s"
            + " (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;
    @Option(names = "--kafka-property", description = "Kafka client property key=value (security.protocol, sasl.*,"
            + " ssl.*).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() {
        if (!(minAgreement >= 0 && minAgreement <= 1) || timeoutSeconds < 1 || left.equals(right)) {
            err.println("compare: --min-agreement must be in 0..1, --timeout-s >= 1 and --left and --right differ");
            return EXIT_USAGE;
        }
        Properties client = new Properties();
        client.putAll(kafkaProperties);
        client.put("bootstrap.servers", bootstrapServers);
        DetectionTopic l;
        DetectionTopic r;
        try {
            l = DetectionTopic.read(client, left, Duration.ofSeconds(timeoutSeconds));
            r = DetectionTopic.read(client, right, Duration.ofSeconds(timeoutSeconds));
        } catch (IOException e) {
            err.println("compare: " + e.getMessage());
            return EXIT_USAGE;
        }
        DetectionAgreement agreement = new DetectionAgreement(VerificationSettings.DEFAULT_WORST_FRAMES);
        List<String> onlyLeft = new ArrayList<>();
        List<String> onlyRight = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, FrameDetections> e : l.frames().entrySet()) {
            FrameDetections rd = r.frames().get(e.getKey());
            if (rd == null) {
                onlyLeft.add(e.getKey());
            } else if (isError(e.getValue()) || isError(rd)) {
                errors.add(e.getKey() + (isError(e.getValue()) ? " left" : "") + (isError(rd) ? " right" : ""));
            } else {
                agreement.add(e.getKey(), e.getValue().getDetections(), rd.getDetections());
            }
        }
        for (String k : r.frames().keySet()) {
            if (!l.frames().containsKey(k)) {
                onlyRight.add(k);
            }
        }
        AgreementReport a = agreement.report();
        List<String> failures = new ArrayList<>();
        if (a.frames() == 0) {
            failures.add("no frame has an ok record on both sides");
        } else if (a.agreement() < minAgreement) {
            failures.add(String.format(Locale.ROOT, "detection agreement at IoU >= 0.9 is %.4f, below %.4f",
                    a.agreement(), minAgreement));
        }
        print(l, r, a, onlyLeft, onlyRight, errors, failures);
        if (report != null) {
            try {
                writeJson(l, r, a, onlyLeft, onlyRight, errors, failures);
            } catch (IOException e) {
                err.println("compare: cannot write " + report + ": " + e.getMessage());
                return EXIT_USAGE;
            }
        }
        return failures.isEmpty() ? 0 : EXIT_FAILED;
    }

    private static boolean isError(FrameDetections d) {
        return !FrameDetections.STATUS_OK.equals(d.getStatus());
    }

    private void print(DetectionTopic l, DetectionTopic r, AgreementReport a, List<String> onlyLeft,
            List<String> onlyRight, List<String> errors, List<String> failures) {
        for (DetectionTopic t : List.of(l, r)) {
            out.printf(Locale.ROOT, "%s: %d records, %d frames, %d duplicates, %d unreadable%n", t.topic(),
                    t.records(), t.frames().size(), t.duplicates(), t.unreadable().size());
        }
        ReportTables.printAgreement(out, a, left, right);
        out.printf(Locale.ROOT, "frames only in %s: %d%s%n", left, onlyLeft.size(), sample(onlyLeft));
        out.printf(Locale.ROOT, "frames only in %s: %d%s%n", right, onlyRight.size(), sample(onlyRight));
        out.printf(Locale.ROOT, "frames with an error record (not compared): %d%s%n", errors.size(), sample(errors));
        if (failures.isEmpty()) {
            out.println("compare: PASS");
        } else {
            failures.forEach(f -> out.println("compare: FAIL " + f));
        }
    }

    private static String sample(List<String> keys) {
        if (keys.isEmpty()) {
            return "";
        }
        return " (" + String.join(", ", keys.subList(0, Math.min(LISTED_FRAMES, keys.size())))
                + (keys.size() > LISTED_FRAMES ? ", ..." : "") + ")";
    }

    private void writeJson(DetectionTopic l, DetectionTopic r, AgreementReport a, List<String> onlyLeft,
            List<String> onlyRight, List<String> errors, List<String> failures) throws IOException {
        ObjectNode root = DetectionJson.mapper().createObjectNode();
        root.put("verdict", failures.isEmpty() ? "pass" : "fail");
        root.set("failures", DetectionJson.mapper().valueToTree(failures));
        root.put("minAgreement", minAgreement);
        for (DetectionTopic t : List.of(l, r)) {
            ObjectNode side = root.putObject(t == l ? "left" : "right");
            side.put("topic", t.topic());
            side.put("records", t.records());
            side.put("frames", t.frames().size());
            side.put("duplicates", t.duplicates());
            side.set("unreadable", DetectionJson.mapper().valueToTree(t.unreadable()));
        }
        root.set("detections", DetectionJson.mapper().valueToTree(a));
        root.set("onlyLeft", DetectionJson.mapper().valueToTree(onlyLeft));
        root.set("onlyRight", DetectionJson.mapper().valueToTree(onlyRight));
        root.set("errorFrames", DetectionJson.mapper().valueToTree(errors));
        Path parent = report.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(report, DetectionJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
}

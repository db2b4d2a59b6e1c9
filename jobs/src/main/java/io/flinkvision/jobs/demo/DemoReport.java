package io.flinkvision.jobs.demo;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * The demo's report, written as JSON at the end of every run that started ({@code --report FILE}) and printed. A run
 * that failed writes it too, with {@code status} {@value #FAILED} and the {@code cause}, so that a report file always
 * says whether its figures are those of a good run; a usage error (bad option or input, nothing started) writes none.
 *
 * @param status {@value #PASSED} (every frame came out: {@code balanced}, the producer and the job ran through) or
 *     {@value #FAILED}
 * @param cause why the run failed, one line; absent when it passed
 * @param framesIn frames published to the frames topic
 * @param detectionRecords detection records read (read_committed) from the detections topic
 * @param deadLetters records read from the dead-letter topic
 * @param detectionsByLabel detections per COCO label
 * @param deadLettersByReason dead letters per reason code
 * @param throughputFps committed records (detection records + dead letters, read {@code read_committed}) / seconds
 *     from the first frame produced (its capture timestamp) to the last committed record read; so a short run counts
 *     the engine start and the checkpoint wait, not only the burst of a checkpoint's commit (0 when nothing came out)
 * @param latencyMs end-to-end latency, capture timestamp to committed record read by a consumer, ms
 * @param backend engine backend of the detection records
 * @param model model file name of the detection records
 * @param precision engine precision of the detection records
 * @param maxBatchSize the job's max micro-batch size
 * @param meanBatchSize mean micro-batch size over the detection records
 * @param producerFps frames published / seconds the producer ran
 * @param wallSeconds seconds from the demo's start to the report
 * @param balanced whether framesIn == detectionRecords + deadLetters
 */
public record DemoReport(String status, @JsonInclude(JsonInclude.Include.NON_NULL) String cause, long framesIn,
        long detectionRecords, long deadLetters, Map<String, Long> detectionsByLabel,
        Map<String, Long> deadLettersByReason, double throughputFps, Latency latencyMs, String backend, String model,
        String precision, int maxBatchSize, double meanBatchSize, double producerFps, double wallSeconds,
        boolean balanced) {

    /** {@link #status()} of a run in which every frame came out. */
    public static final String PASSED = "passed";
    /** {@link #status()} of a run that failed ({@link #cause()} says why). */
    public static final String FAILED = "failed";

    /** Latency percentiles in ms ({@code -1} when no record was read). */
    public record Latency(long p50, long p99) {
    }

    /** The report of a run that failed before it had any figures: {@code cause} and zeros. */
    static DemoReport failedBeforeFigures(String cause, int maxBatchSize, double wallSeconds) {
        return new DemoReport(FAILED, cause, 0, 0, 0, Map.of(), Map.of(), 0, new Latency(-1, -1), null, null, null,
                maxBatchSize, 0, 0, wallSeconds, false);
    }
}

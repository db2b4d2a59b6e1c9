package io.flinkvision.jobs.demo;

import java.util.Map;

/**
 * The demo's report, written as JSON at the end ({@code --report FILE}) and printed.
 *
 * @param framesIn frames published to the frames topic
 * @param detectionRecords detection records read (read_committed) from the detections topic
 * @param deadLetters records read from the dead-letter topic
 * @param detectionsByLabel detections per COCO label
 * @param deadLettersByReason dead letters per reason code
 * @param throughputFps (detection records + dead letters) / seconds from the first to the last output read
 * @param latencyMs end-to-end latency, capture timestamp to committed record read by a consumer, ms
 * @param balanced whether framesIn == detectionRecords + deadLetters
 */
public record DemoReport(long framesIn, long detectionRecords, long deadLetters, Map<String, Long> detectionsByLabel,
        Map<String, Long> deadLettersByReason, double throughputFps, Latency latencyMs, String backend, String model,
        String precision, int maxBatchSize, double meanBatchSize, double producerFps, double wallSeconds,
        boolean balanced) {

    /** Latency percentiles in ms. */
    public record Latency(long p50, long p99) {
    }
}

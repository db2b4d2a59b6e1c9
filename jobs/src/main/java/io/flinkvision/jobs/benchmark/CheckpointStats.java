package io.flinkvision.jobs.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A job's checkpoint statistics as Flink's REST API reports them ({@code GET /jobs/<id>/checkpoints}, the
 * {@code CheckpointingStatistics} of the Flink REST API reference): completed and failed counts, end-to-end duration
 * (trigger to the last acknowledgement, ms) and checkpointed size (bytes persisted by that checkpoint; the full
 * state size too) over the completed checkpoints.
 *
 * @param completed checkpoints completed
 * @param failed checkpoints failed (declined ones included)
 * @param durationAvgMs mean end-to-end duration, ms
 * @param durationMaxMs longest end-to-end duration, ms
 * @param durationP99Ms 99th percentile of the end-to-end duration, ms
 * @param checkpointedSizeAvgBytes mean checkpointed size, bytes
 * @param checkpointedSizeMaxBytes largest checkpointed size, bytes
 * @param stateSizeAvgBytes mean full state size, bytes
 */
record CheckpointStats(long completed, long failed, double durationAvgMs, double durationMaxMs, double durationP99Ms,
        double checkpointedSizeAvgBytes, double checkpointedSizeMaxBytes, double stateSizeAvgBytes) {

    /**
     * Reads the statistics of job {@code jobId} from the REST endpoint {@code rest}.
     *
     * @param rest the REST endpoint, e.g. {@code http://127.0.0.1:8081}
     * @throws IOException when the endpoint cannot be read or does not answer 200 (message with status and body)
     * @throws InterruptedException when interrupted while waiting
     */
    static CheckpointStats fetch(URI rest, String jobId) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest req = HttpRequest.newBuilder(rest.resolve("/jobs/" + jobId + "/checkpoints"))
                .timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) {
            throw new IOException("GET " + req.uri() + ": HTTP " + resp.statusCode() + ": " + resp.body());
        }
        return parse(new ObjectMapper().readTree(resp.body()));
    }

    /** The figures of a {@code CheckpointingStatistics} JSON document (missing fields read as 0). */
    static CheckpointStats parse(JsonNode n) {
        JsonNode counts = n.path("counts");
        JsonNode summary = n.path("summary");
        JsonNode duration = summary.path("end_to_end_duration");
        JsonNode checkpointed = summary.path("checkpointed_size");
        JsonNode state = summary.path("state_size");
        return new CheckpointStats(counts.path("completed").asLong(), counts.path("failed").asLong(),
                duration.path("avg").asDouble(), duration.path("max").asDouble(), duration.path("p99").asDouble(),
                checkpointed.path("avg").asDouble(), checkpointed.path("max").asDouble(), state.path("avg").asDouble());
    }

    /** The figures for the benchmark's JSON report (ms, bytes). */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("completed", completed);
        m.put("failed", failed);
        m.put("durationAvgMs", durationAvgMs);
        m.put("durationMaxMs", durationMaxMs);
        m.put("durationP99Ms", durationP99Ms);
        m.put("checkpointedSizeAvgBytes", checkpointedSizeAvgBytes);
        m.put("checkpointedSizeMaxBytes", checkpointedSizeMaxBytes);
        m.put("stateSizeAvgBytes", stateSizeAvgBytes);
        return m;
    }
}

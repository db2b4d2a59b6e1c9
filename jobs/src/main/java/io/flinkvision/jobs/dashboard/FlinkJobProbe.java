package io.flinkvision.jobs.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Reads a Flink job's state and restart count from the JobManager's REST API: {@code GET /jobs/overview} (the job:
 * the newest one, or the newest with the given name; its {@code state} is Flink's {@code JobStatus}: RUNNING,
 * RESTARTING, FAILING, FAILED, CANCELED, FINISHED...) and {@code GET /jobs/<id>/metrics?get=numRestarts}.
 */
final class FlinkJobProbe {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final URI base;
    private final String jobName;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * @param restUrl the JobManager's REST address, e.g. {@code http://jobmanager:8081}
     * @param jobName the job to watch, or null for the most recently started one
     * @throws IllegalArgumentException for an address that is not an http(s) URL
     */
    FlinkJobProbe(String restUrl, String jobName) {
        URI u = URI.create(restUrl.endsWith("/") ? restUrl : restUrl + "/");
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
            throw new IllegalArgumentException("Flink REST URL must be http(s)://HOST:PORT, got " + restUrl);
        }
        this.base = u;
        this.jobName = jobName;
    }

    /** One reading; {@code restarts} is null when the metric is not (yet) reported. */
    record Job(String id, String name, String state, Long restarts) {}

    /**
     * Reads the job now.
     *
     * @return the job, or null when the cluster runs no job (of that name)
     * @throws IOException when the REST API cannot be reached or answers with an error
     */
    Job read() throws IOException, InterruptedException {
        JsonNode jobs = get("jobs/overview").path("jobs");
        JsonNode pick = null;
        for (JsonNode j : jobs) {
            if (jobName != null && !jobName.equals(j.path("name").asText())) {
                continue;
            }
            if (pick == null || j.path("start-time").asLong() > pick.path("start-time").asLong()) {
                pick = j;
            }
        }
        if (pick == null) {
            return null;
        }
        String id = pick.path("jid").asText();
        Long restarts = null;
        for (JsonNode m : get("jobs/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/metrics?get=numRestarts")) {
            if ("numRestarts".equals(m.path("id").asText())) {
                restarts = (long) Double.parseDouble(m.path("value").asText("0"));
            }
        }
        return new Job(id, pick.path("name").asText(), pick.path("state").asText(), restarts);
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + base.resolve(path) + " answered " + r.statusCode());
        }
        return mapper.readTree(r.body());
    }
}

package io.flinkvision.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The few calls of Flink's REST API (Flink 2.2, "REST API" of the documentation) a user makes to run a jar on a
 * session cluster, over {@link HttpClient}: {@code POST /jars/upload} (multipart form, field {@code jarfile}),
 * {@code POST /jars/:jarid/run}, {@code GET /jobs/:jobid} and {@code GET /jobs/:jobid/exceptions}.
 */
final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** @param baseUrl the JobManager's REST address, e.g. {@code http://127.0.0.1:8081} */
    FlinkRest(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /**
     * GET of a REST path.
     *
     * @throws IOException on a connection error or a status other than 200 (message: status and body)
     */
    JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    /**
     * Uploads a jar (what {@code flink run} and the web UI do first).
     *
     * @return the jar id for {@link #runJar} (the file name the JobManager stored it under)
     */
    String uploadJar(Path jar) throws IOException, InterruptedException {
        String boundary = "flinkvision-" + UUID.randomUUID();
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/jars/upload"))
                .timeout(Duration.ofMinutes(3))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofString(head),
                        HttpRequest.BodyPublishers.ofFile(jar), HttpRequest.BodyPublishers.ofString(tail)))
                .build();
        JsonNode answer = send(request);
        String stored = answer.path("filename").asText("");
        if (!"success".equals(answer.path("status").asText()) || stored.isEmpty()) {
            throw new IOException("jar upload not accepted: " + answer);
        }
        return Path.of(stored).getFileName().toString();
    }

    /**
     * Runs an uploaded jar's main class with arguments (the JobManager calls main(), which submits the job).
     *
     * @return the job id
     * @throws IOException when the JobManager refuses (message: its answer, with main()'s exception)
     */
    String runJar(String jarId, String entryClass, List<String> args) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("entryClass", entryClass);
        args.forEach(body.putArray("programArgsList")::add);
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/jars/" + jarId + "/run"))
                .timeout(Duration.ofMinutes(5)) // main() runs the job's start-up checks before it submits
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        String jobId = send(request).path("jobid").asText("");
        if (jobId.isEmpty()) {
            throw new IOException("no job id in the answer of /jars/" + jarId + "/run");
        }
        return jobId;
    }

    /** The job's state: CREATED, RUNNING, FINISHED, FAILED, CANCELED... */
    String jobState(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /** The root exception of a failed job, with its stack trace ({@code GET /jobs/:jobid/exceptions}). */
    String rootException(String jobId) throws IOException, InterruptedException {
        JsonNode history = get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries");
        return history.isArray() && history.size() > 0 ? history.get(0).path("stacktrace").asText() : "(none)";
    }

    private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new IOException(request.method() + " " + request.uri() + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }
}

package io.flinkvision.jobs.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The dashboard's HTTP routes (Jetty 12 core handler, GET/HEAD only):
 * <ul>
 *   <li>{@code /} the page, {@code /app.js}, {@code /style.css} and the vendored chart library
 *       ({@code /vendor/uPlot.iife.min.js}, {@code /vendor/uPlot.min.css}, uPlot 1.6.32, MIT, license at
 *       {@code /vendor/uPlot.LICENSE.txt}): static files from the class path ({@code dashboard/}), a fixed list (no
 *       file system access);</li>
 *   <li>{@code /api/events}: Server-Sent Events, one {@code state} event per change (at most every update
 *       interval);</li>
 *   <li>{@code /api/state}: the same snapshot as one JSON document;</li>
 *   <li>{@code /api/frame?camera=ID&index=N}: the image of a frame still held (404 otherwise);</li>
 *   <li>{@code /metrics}: job state, restarts, input lag and committed records for Prometheus
 *       ({@link DashboardMetrics});</li>
 *   <li>{@code /healthz}: {@code ok}.</li>
 * </ul>
 */
final class DashboardHandler extends Handler.Abstract {
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private final DashboardState state;
    private final ObjectMapper mapper;
    private final Map<String, StaticFile> files;
    private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();

    private record StaticFile(String contentType, byte[] bytes) {}

    DashboardHandler(DashboardState state, ObjectMapper mapper) {
        this.state = state;
        this.mapper = mapper;
        StaticFile index = load("dashboard/index.html", "text/html;charset=utf-8");
        this.files = Map.of(
                "/", index,
                "/index.html", index,
                "/app.js", load("dashboard/app.js", "text/javascript;charset=utf-8"),
                "/style.css", load("dashboard/style.css", "text/css;charset=utf-8"),
                "/vendor/uPlot.iife.min.js", load("dashboard/vendor/uPlot.iife.min.js",
                        "text/javascript;charset=utf-8"),
                "/vendor/uPlot.min.css", load("dashboard/vendor/uPlot.min.css", "text/css;charset=utf-8"),
                "/vendor/uPlot.LICENSE.txt", load("dashboard/vendor/uPlot.LICENSE.txt", "text/plain;charset=utf-8"));
    }

    private static StaticFile load(String resource, String contentType) {
        try (InputStream in = DashboardHandler.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("dashboard resource missing from the class path: " + resource);
            }
            return new StaticFile(contentType, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** Number of connected SSE streams. */
    int clientCount() {
        return clients.size();
    }

    /** Sends a snapshot (JSON) to every connected stream. */
    void broadcast(String stateJson) {
        for (SseClient c : clients) {
            c.sendState(stateJson);
        }
    }

    /** Ends every stream (server shutdown). */
    void closeStreams() {
        for (SseClient c : clients) {
            c.abort(new IllegalStateException("dashboard stopped"));
        }
        clients.clear();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        boolean head = HttpMethod.HEAD.is(method);
        if (!HttpMethod.GET.is(method) && !head) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
            return true;
        }
        String path = request.getHttpURI().getPath();
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put("Referrer-Policy", "no-referrer");
        StaticFile file = files.get(path);
        if (file != null) {
            response.getHeaders().put("Content-Security-Policy", CSP);
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
            send(response, callback, 200, file.contentType(), file.bytes(), head);
            return true;
        }
        switch (path) {
            case "/api/events":
                openStream(request, response, callback);
                return true;
            case "/api/state":
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                send(response, callback, 200, "application/json", stateJson().getBytes(StandardCharsets.UTF_8), head);
                return true;
            case "/api/frame":
                frame(request, response, callback, head);
                return true;
            case "/favicon.ico":
                response.setStatus(HttpStatus.NO_CONTENT_204);
                callback.succeeded();
                return true;
            case "/metrics":
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                send(response, callback, 200, DashboardMetrics.CONTENT_TYPE, DashboardMetrics.render(
                        state.snapshot(System.currentTimeMillis())).getBytes(StandardCharsets.UTF_8), head);
                return true;
            case "/healthz":
                send(response, callback, 200, "text/plain;charset=utf-8", "ok\n".getBytes(StandardCharsets.UTF_8),
                        head);
                return true;
            default:
                Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                return true;
        }
    }

    /** The current snapshot as JSON. */
    String stateJson() {
        try {
            return mapper.writeValueAsString(state.snapshot(System.currentTimeMillis()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize the dashboard state", e);
        }
    }

    private void frame(Request request, Response response, Callback callback, boolean head) {
        Fields q = Request.extractQueryParameters(request);
        String camera = q.getValue("camera");
        String index = q.getValue("index");
        long frameIndex;
        try {
            frameIndex = Long.parseLong(index == null ? "" : index);
        } catch (NumberFormatException e) {
            Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400, "index must be a number");
            return;
        }
        DashboardState.FrameImage image = camera == null ? null : state.image(camera, frameIndex);
        if (image == null) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404, "frame not held");
            return;
        }
        // A frame never changes: (camera, index) identifies it while the producer keeps its numbering.
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "private, max-age=60");
        send(response, callback, 200, image.contentType(), image.bytes(), head);
    }

    private void openStream(Request request, Response response, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream;charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        // Stop reverse proxies (nginx) from buffering the stream.
        response.getHeaders().put("X-Accel-Buffering", "no");
        SseClient[] holder = new SseClient[1];
        SseClient client = new SseClient(response, callback, () -> clients.remove(holder[0]));
        holder[0] = client;
        clients.add(client);
        request.addFailureListener(client::abort);
        // Idle timeouts are not fatal for a stream: a snapshot is sent at least every second, and a dead peer fails the
        // next write.
        request.addIdleTimeoutListener(timeout -> false);
        client.sendState(stateJson());
    }

    private static void send(Response response, Callback callback, int status, String contentType, byte[] body,
            boolean head) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), callback);
    }
}

package io.flinkvision.jobs.dashboard;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * One browser's Server-Sent Events stream. Writes are asynchronous and never block the broadcaster: every event is a
 * full state snapshot, so when the browser reads slower than snapshots come, only the newest pending one is sent
 * ("latest wins").
 */
final class SseClient extends IteratingCallback {
    private final Response response;
    private final Callback completion;
    private final Runnable onClose;
    private final AtomicReference<String> pending = new AtomicReference<>();

    /**
     * @param response the HTTP response of the {@code /api/events} request, headers already set
     * @param completion the request's callback, completed when the stream ends
     * @param onClose called once when the stream ends (client gone, write failure or shutdown)
     */
    SseClient(Response response, Callback completion, Runnable onClose) {
        this.response = response;
        this.completion = completion;
        this.onClose = onClose;
    }

    /** Queues an event ({@code data:} lines of a {@code state} event), replacing one not yet written. */
    void sendState(String json) {
        send("event: state\ndata: " + json + "\n\n");
    }

    private void send(String frame) {
        pending.set(frame);
        iterate();
    }

    @Override
    protected Action process() {
        String next = pending.getAndSet(null);
        if (next == null) {
            return Action.IDLE;
        }
        response.write(false, ByteBuffer.wrap(next.getBytes(StandardCharsets.UTF_8)), this);
        return Action.SCHEDULED;
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
        try {
            completion.failed(cause);
        } finally {
            onClose.run();
        }
    }

    @Override
    protected void onCompleteSuccess() {
        try {
            completion.succeeded();
        } finally {
            onClose.run();
        }
    }
}

package io.flinkvision.jobs.detect;

import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.frame.Frame;
import io.flinkvision.pipeline.OutcomeFactory;
import java.io.PrintStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prints {@code detect}'s JSON lines in input order, each as soon as it and those before it are done, from a thread of
 * its own (so that results keep coming while the reader waits on stdin). At most {@code window} images are pending: a
 * folder of any size runs in bounded memory. Stops printing (and makes {@link #add} return false) once stdout reports
 * an error, e.g. {@code detect DIR | head -1}.
 */
final class OrderedPrinter {
    private record Item(String image, CompletableFuture<InferenceOutcome> outcome) {}

    private static final Item END = new Item(null, null);

    private final BlockingQueue<Item> queue;
    private final PrintStream out;
    private final Thread thread;
    private final AtomicLong printed = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param out where the lines go (stdout)
     * @param window most images submitted and not yet printed
     */
    OrderedPrinter(PrintStream out, int window) {
        this.out = out;
        this.queue = new ArrayBlockingQueue<>(window);
        this.thread = new Thread(this::loop, "detect-printer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Queues an image's outcome; blocks while {@code window} images are pending.
     *
     * @return false once stdout is closed (the caller stops submitting)
     */
    boolean add(String image, CompletableFuture<InferenceOutcome> outcome) throws InterruptedException {
        if (closed) {
            return false;
        }
        queue.put(new Item(image, outcome));
        return !closed;
    }

    /** Prints what is queued and stops the thread. */
    void finish() throws InterruptedException {
        queue.put(END);
        thread.join();
    }

    /** Lines printed so far. */
    long printed() {
        return printed.get();
    }

    /** Images whose outcome was an error line (also those queued after stdout closed). */
    long failures() {
        return failures.get();
    }

    private void loop() {
        while (true) {
            Item item;
            try {
                item = queue.take();
            } catch (InterruptedException e) {
                continue; // only finish() ends the loop: the producer may be blocked on a full queue
            }
            if (item == END) {
                return;
            }
            InferenceOutcome o;
            try {
                o = item.outcome().join(); // the pipeline's futures always complete, with one outcome per frame
            } catch (RuntimeException e) {
                Frame f = new Frame();
                f.setCameraId(item.image());
                o = OutcomeFactory.deadLetter(f, DeadLetterReason.INFERENCE_FAILED.code(), String.valueOf(e));
            }
            if (o.isDeadLetter()) {
                failures.incrementAndGet();
            }
            if (closed) {
                continue; // drain, so that add() never blocks for good
            }
            out.println(DetectCommand.line(item.image(), o));
            if (out.checkError()) {
                closed = true;
            } else {
                printed.incrementAndGet();
            }
        }
    }
}

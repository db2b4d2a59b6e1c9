package io.flinkvision.pipeline;

import io.flinkvision.detection.Detection;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a corpus of damaged JPEG files ({@code CorruptJpegCorpus}) through a {@link DetectionPipeline}, each in a batch
 * with clean copies of the frame it was made from: a clean batch first (the reference detections), then per variant
 * a batch of {@code batch - 1} clean frames with the damaged one at {@link #CORRUPT_AT}, then a clean batch again.
 * Shared by the CI test ({@code CorruptJpegCorpusTest}: ONNX Runtime, OpenCV, the device decoder's stand-in) and the
 * GPU check ({@code CorruptJpegGpuCheck}: TensorRT, nvJPEG's hardware decoder). The pipeline's batch policy should
 * close batches by size (a long queue delay), so that each batch holds one damaged file.
 */
public final class CorruptJpegRun {
    /** Where the damaged frame sits in its batch. */
    public static final int CORRUPT_AT = 3;
    /** Longest wait for one frame's outcome; a frame still without one after it counts as hung. */
    public static final long OUTCOME_TIMEOUT_SECONDS = 60;

    private CorruptJpegRun() {}

    /**
     * What happened to one damaged file.
     *
     * @param variant corpus name
     * @param deadLetter whether it became a dead letter
     * @param reason the dead letter's reason code, or {@code ok}
     * @param message the dead letter's message, or empty
     * @param detections detections of the damaged frame (0 for a dead letter)
     * @param retriedOnCpu frames of its batch decoded again on the CPU ({@link PipelineListener#onRetriedOnCpu})
     * @param retryCause why the device refused the batch (the exception's message), or empty
     */
    public record Verdict(String variant, boolean deadLetter, String reason, String message, int detections,
            int retriedOnCpu, String retryCause) {}

    /**
     * The run's outcome.
     *
     * @param verdicts per variant, in corpus order
     * @param frames frames submitted
     * @param hung frames without an outcome after {@link #OUTCOME_TIMEOUT_SECONDS}
     * @param records detection records the listener saw
     * @param deadLetters dead letters the listener saw
     * @param neighbourMismatches clean frames whose detections differ from the reference (what and why); empty when
     *     none
     * @param referenceDetections detections of the clean frame
     */
    public record Result(Map<String, Verdict> verdicts, int frames, int hung, int records, int deadLetters,
            List<String> neighbourMismatches, int referenceDetections) {
        /** Frames in = detection records + dead letters, and no frame hung. */
        public boolean balanced() {
            return hung == 0 && records + deadLetters == frames;
        }
    }

    /** Counts outcomes and CPU retries; pass it as the pipeline's listener. */
    public static final class Counts implements PipelineListener {
        final AtomicInteger records = new AtomicInteger();
        final AtomicInteger deadLetters = new AtomicInteger();
        final AtomicInteger retried = new AtomicInteger();
        volatile String lastRetryCause = "";

        @Override
        public void onOutcome(InferenceOutcome o) {
            (o.isDeadLetter() ? deadLetters : records).incrementAndGet();
        }

        @Override
        public void onRetriedOnCpu(Throwable cause) {
            lastRetryCause = String.valueOf(cause.getMessage());
            retried.incrementAndGet();
        }

        /** Frames decoded again on the CPU so far. */
        public int retried() {
            return retried.get();
        }
    }

    /**
     * Runs the corpus (see the class comment).
     *
     * @param p the pipeline, with {@code counts} as its listener
     * @param batch the pipeline's batch size
     * @param clean the clean frame (JPEG)
     * @param corpus damaged files by name
     * @param minIou a clean frame's detection matches the reference's at this IoU or more (same class, same order)
     * @param maxScoreDiff ... and a score within this
     */
    public static Result run(DetectionPipeline p, Counts counts, int batch, byte[] clean, Map<String, byte[]> corpus,
            double minIou, double maxScoreDiff) throws InterruptedException {
        int[] hung = {0};
        List<String> mismatches = new ArrayList<>();
        List<InferenceOutcome> first = runBatch(p, batch, clean, null, hung);
        List<Detection> reference = first.get(0) == null || first.get(0).isDeadLetter() ? List.of()
                : first.get(0).getDetections().getDetections();
        compare("clean batch before the corpus", first, -1, reference, minIou, maxScoreDiff, mismatches);
        Map<String, Verdict> verdicts = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : corpus.entrySet()) {
            int retriedBefore = counts.retried();
            counts.lastRetryCause = "";
            List<InferenceOutcome> out = runBatch(p, batch, clean, e.getValue(), hung);
            compare(e.getKey(), out, CORRUPT_AT, reference, minIou, maxScoreDiff, mismatches);
            InferenceOutcome o = out.get(CORRUPT_AT);
            int retried = counts.retried() - retriedBefore;
            String cause = counts.lastRetryCause;
            verdicts.put(e.getKey(), o == null ? new Verdict(e.getKey(), false, "hung", "", 0, retried, cause)
                    : o.isDeadLetter() ? new Verdict(e.getKey(), true, o.getDeadLetter().getReason(),
                            o.getDeadLetter().getMessage(), 0, retried, cause)
                    : new Verdict(e.getKey(), false, "ok", "", o.getDetections().getDetections().size(), retried,
                            cause));
        }
        compare("clean batch after the corpus", runBatch(p, batch, clean, null, hung), -1, reference, minIou,
                maxScoreDiff, mismatches);
        return new Result(verdicts, (corpus.size() + 2) * batch, hung[0], counts.records.get(),
                counts.deadLetters.get(), mismatches, reference.size());
    }

    private static final AtomicInteger nextIndex = new AtomicInteger();

    private static List<InferenceOutcome> runBatch(DetectionPipeline p, int batch, byte[] clean, byte[] corrupt,
            int[] hung) throws InterruptedException {
        List<CompletableFuture<InferenceOutcome>> fs = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            byte[] payload = i == CORRUPT_AT && corrupt != null ? corrupt : clean;
            fs.add(p.submit(new Frame("cam-corrupt", nextIndex.getAndIncrement(), 0L, FrameEncoding.JPEG, payload)));
        }
        List<InferenceOutcome> out = new ArrayList<>();
        for (CompletableFuture<InferenceOutcome> f : fs) {
            try {
                out.add(f.get(OUTCOME_TIMEOUT_SECONDS, TimeUnit.SECONDS));
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                hung[0]++; // submit's future never fails: a missing outcome is a hang
                out.add(null);
            }
        }
        return out;
    }

    private static void compare(String what, List<InferenceOutcome> out, int skip, List<Detection> reference,
            double minIou, double maxScoreDiff, List<String> mismatches) {
        for (int i = 0; i < out.size(); i++) {
            if (i == skip) {
                continue;
            }
            InferenceOutcome o = out.get(i);
            String where = what + ", clean frame " + i;
            if (o == null || o.isDeadLetter()) {
                mismatches.add(where + ": " + (o == null ? "no outcome" : "dead letter " + o.getDeadLetter()));
                continue;
            }
            List<Detection> d = o.getDetections().getDetections();
            if (d.size() != reference.size()) {
                mismatches.add(where + ": " + d.size() + " detections, reference " + reference.size());
                continue;
            }
            for (int k = 0; k < d.size(); k++) {
                double iou = d.get(k).getBox().iou(reference.get(k).getBox());
                double ds = Math.abs(d.get(k).getScore() - reference.get(k).getScore());
                if (d.get(k).getClassId() != reference.get(k).getClassId() || iou < minIou || ds > maxScoreDiff) {
                    mismatches.add(String.format(java.util.Locale.ROOT, "%s: detection %d class %d vs %d, IoU %.4f,"
                            + " score diff %.4f", where, k, d.get(k).getClassId(), reference.get(k).getClassId(), iou,
                            ds));
                }
            }
        }
    }
}

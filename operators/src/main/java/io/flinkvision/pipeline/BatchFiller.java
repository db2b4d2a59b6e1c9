package io.flinkvision.pipeline;

import io.flinkvision.imaging.Letterbox;
import io.flinkvision.imaging.SourceImage;
import io.flinkvision.imaging.TensorLayout;
import io.flinkvision.tensor.InputBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a micro-batch of prepared frames into an execution slot's input. Host-letterboxed images go into the NCHW
 * input ({@link TensorLayout#writeNchw}, in parallel for larger batches); frames for the device letterbox are packed
 * into the slot's pinned {@link io.flinkvision.tensor.SourceBatch} with their letterbox geometry
 * ({@link Letterbox#stage}). A mixed batch holds the host images first and the device ones after them. Thread-safe
 * (one batch per call).
 */
final class BatchFiller {
    private final Letterbox letterbox;
    private final boolean hostOnly;

    /**
     * @param letterbox the model input's letterbox, for the staging geometry
     * @param hostOnly whether every frame is letterboxed on the host ({@link LetterboxDevice#CPU})
     */
    BatchFiller(Letterbox letterbox, boolean hostOnly) {
        this.letterbox = letterbox;
        this.hostOnly = hostOnly;
    }

    /**
     * Fills {@code input} with {@code batch} and sets its size.
     *
     * @return for each frame of {@code batch}, its image index in the engine's batch; null when it is the frame's
     *     index in {@code batch} (all host-letterboxed)
     * @throws IllegalArgumentException if the device frames do not fit in the slot's staging buffer
     */
    int[] fill(List<PreparedFrame> batch, InputBatch input) {
        return hostOnly ? fillHost(batch, input) : fillMixed(batch, input);
    }

    private static int[] fillHost(List<PreparedFrame> batch, InputBatch input) {
        ParallelFor.run(batch.size(), i -> TensorLayout.writeNchw(batch.get(i).image(), input, i));
        input.setSize(batch.size());
        return null;
    }

    private int[] fillMixed(List<PreparedFrame> batch, InputBatch input) {
        int n = batch.size();
        int host = 0;
        for (PreparedFrame p : batch) {
            host += p.image() != null ? 1 : 0;
        }
        int[] outIndex = new int[n];
        List<SourceImage> sources = new ArrayList<>(n - host);
        int h = 0;
        for (int i = 0; i < n; i++) {
            PreparedFrame p = batch.get(i);
            if (p.image() != null) {
                outIndex[i] = h++;
            } else {
                outIndex[i] = host + sources.size();
                sources.add(p.source());
            }
        }
        if (host > 0) {
            ParallelFor.run(n, i -> {
                if (batch.get(i).image() != null) {
                    TensorLayout.writeNchw(batch.get(i).image(), input, outIndex[i]);
                }
            });
        }
        if (!sources.isEmpty()) {
            letterbox.stage(sources, input.sources(), ParallelFor.LOOP);
        }
        input.setMixedSize(host, sources.size());
        return outIndex;
    }
}

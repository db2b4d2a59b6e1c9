package io.flinkvision.pipeline;

import java.util.concurrent.atomic.AtomicLong;

/** Test listener: counts where the images of dispatched batches were letterboxed, and the batches holding both kinds. */
public final class LetterboxCounts implements PipelineListener {
    private final AtomicLong host = new AtomicLong();
    private final AtomicLong device = new AtomicLong();
    private final AtomicLong mixed = new AtomicLong();

    @Override
    public void onBatchLetterboxed(int hostImages, int deviceImages) {
        host.addAndGet(hostImages);
        device.addAndGet(deviceImages);
        if (hostImages > 0 && deviceImages > 0) {
            mixed.incrementAndGet();
        }
    }

    /** Images letterboxed on the pre-processing threads. */
    public long hostImages() {
        return host.get();
    }

    /** Images letterboxed by the engine on its device. */
    public long deviceImages() {
        return device.get();
    }

    /** Batches with images of both kinds. */
    public long mixedBatches() {
        return mixed.get();
    }
}

package io.flinkvision.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.engine.Backend;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.frame.DeadLetterReason;
import io.flinkvision.imaging.CorruptJpegCorpus;
import io.flinkvision.imaging.DecodeLimits;
import io.flinkvision.imaging.ImageDecoder;
import io.flinkvision.imaging.ImageHeaderProbe;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JPEG files with intact headers and damaged contents ({@link CorruptJpegCorpus}), each in a batch of 8 with 7 clean
 * frames, through the real ONNX model: on the CPU path (OpenCV decode and letterbox), and on the device path with
 * {@link HostSourceLetterboxEngine} standing in for the GPU's JPEG decoder (a file it cannot decode fails the whole
 * batch, as {@code nvjpegDecodeBatched} does; the pipeline then decodes every frame of that batch again on the CPU).
 * Every frame gets exactly one outcome, the clean neighbours keep their detections, the corrupt file gets the same
 * verdict on both paths, and counts balance. The same corpus runs on the GPU's hardware decoder in
 * {@code CorruptJpegGpuCheck}.
 */
class CorruptJpegCorpusTest {
    private static final int BATCH = 8;
    /** Variants whose file OpenCV refuses (libjpeg stops with an error, not a warning): a decode-failed dead letter. */
    private static final List<String> REFUSED = List.of("bogus-huffman-table", "undefined-quant-table");

    private static InferenceEngine ort;
    private static byte[] clean;
    private static Map<String, byte[]> corpus;

    @BeforeAll
    static void setUp() throws Exception {
        ort = InferenceEngines.open(EngineSpec.builder().backend(Backend.ONNXRUNTIME)
                .maxBatchSize(BATCH).maxInFlight(2).build());
        try (InputStream in = CorruptJpegCorpusTest.class.getResourceAsStream("/flinkvision/golden/vtest_000.jpg")) {
            clean = in.readAllBytes();
        }
        corpus = CorruptJpegCorpus.of(clean);
    }

    @AfterAll
    static void tearDown() {
        ort.close();
    }

    @Test
    void everyVariantPassesTheHostChecksSoThatTheDeviceDecoderGetsIt() throws Exception {
        ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
        assertThat(corpus).hasSize(10);
        for (Map.Entry<String, byte[]> e : corpus.entrySet()) {
            assertThat(ImageHeaderProbe.probeJpegFrame(e.getValue()).baselineYCbCr()).as(e.getKey()).isTrue();
            assertThat(decoder.decodeSource("jpeg", e.getValue(), 0, 0, true).isJpeg()).as(e.getKey()).isTrue();
            assertThat(e.getValue()).as(e.getKey()).isNotEqualTo(clean);
        }
    }

    @Test
    void cpuPathGivesEveryFrameOneOutcomeAndKeepsTheNeighboursDetections() throws Exception {
        CorruptJpegRun.Result r = run(ort, LetterboxDevice.CPU, JpegDecodeDevice.CPU);
        assertBalancedWithNeighboursKept(r);
        assertVerdicts(r);
        assertThat(r.verdicts().values()).allMatch(v -> v.retriedOnCpu() == 0);
    }

    @Test
    void deviceDecoderPathRetriesRefusedBatchesOnTheCpuAndAgreesWithTheCpuPath() throws Exception {
        CorruptJpegRun.Result cpu = run(ort, LetterboxDevice.CPU, JpegDecodeDevice.CPU);
        HostSourceLetterboxEngine device = new HostSourceLetterboxEngine(ort, true);
        CorruptJpegRun.Result gpu = run(device, LetterboxDevice.GPU, JpegDecodeDevice.GPU);
        assertBalancedWithNeighboursKept(gpu);
        assertVerdicts(gpu);
        for (String name : corpus.keySet()) {
            assertThat(gpu.verdicts().get(name).reason()).as(name).isEqualTo(cpu.verdicts().get(name).reason());
            // a file the stand-in decoder refuses fails its batch: all 8 frames come back through the CPU
            assertThat(gpu.verdicts().get(name).retriedOnCpu()).as(name).isEqualTo(REFUSED.contains(name) ? BATCH : 0);
        }
        assertThat(device.refusedBatches.get()).isEqualTo(REFUSED.size());
        assertThat(device.jpegFiles.get()).as("the other files were decoded by the stand-in").isGreaterThanOrEqualTo(
                (corpus.size() + 2 - REFUSED.size()) * BATCH);
    }

    private static void assertBalancedWithNeighboursKept(CorruptJpegRun.Result r) {
        assertThat(r.hung()).as("frames without an outcome").isZero();
        assertThat(r.balanced()).as("frames in = detection records + dead letters: %s", r).isTrue();
        assertThat(r.frames()).isEqualTo((corpus.size() + 2) * BATCH);
        assertThat(r.referenceDetections()).isPositive();
        assertThat(r.neighbourMismatches()).as("clean frames batched with a damaged one").isEmpty();
    }

    private static void assertVerdicts(CorruptJpegRun.Result r) {
        assertThat(r.verdicts().keySet()).containsExactlyElementsOf(corpus.keySet());
        for (CorruptJpegRun.Verdict v : r.verdicts().values()) {
            if (REFUSED.contains(v.variant())) {
                assertThat(v.deadLetter()).as("%s", v).isTrue();
                assertThat(v.reason()).as("%s", v).isEqualTo(DeadLetterReason.DECODE_FAILED.code());
                assertThat(v.message()).as("%s", v).isNotBlank();
            } else {
                // libjpeg conceals damaged scan data (a warning, not an error): the frame is decoded and inferred
                assertThat(v.deadLetter()).as("%s", v).isFalse();
                assertThat(v.reason()).isEqualTo("ok");
            }
        }
    }

    private static CorruptJpegRun.Result run(InferenceEngine engine, LetterboxDevice letterbox, JpegDecodeDevice jpeg)
            throws Exception {
        CorruptJpegRun.Counts counts = new CorruptJpegRun.Counts();
        // a 2 s queue delay: every batch closes by size, so each holds one damaged file and 7 clean frames
        try (DetectionPipeline p = DetectionPipeline.builder(engine).batchPolicy(new BatchPolicy(BATCH, 2000, 2))
                .preprocessThreads(2).letterbox(letterbox).hybridBacklog(1).jpegDecode(jpeg).listener(counts)
                .build()) {
            assertThat(p.jpegDecodeMode()).isEqualTo(jpeg);
            return CorruptJpegRun.run(p, counts, BATCH, clean, corpus, 0.999, 1e-4);
        }
    }
}

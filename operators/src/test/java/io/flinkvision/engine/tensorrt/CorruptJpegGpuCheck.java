package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.device.NvJpeg;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.pipeline.CorruptJpegRun;
import io.flinkvision.pipeline.DetectionPipeline;
import io.flinkvision.pipeline.JpegDecodeDevice;
import io.flinkvision.pipeline.LetterboxDevice;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.Precision;
import io.flinkvision.imaging.CorruptJpegCorpus;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * GPU machine only: the damaged-JPEG corpus ({@link CorruptJpegCorpus}: headers intact, contents damaged, so every
 * file passes the host checks and goes to the device) through the TensorRT FP16 engine with the GPU letterbox, once
 * with nvJPEG's hardware decoder and once with OpenCV's decode, each file in a batch of 8 with 7 clean frames
 * ({@link CorruptJpegRun}). PASS when, on both paths, no frame hangs, counts balance (frames in = detection records +
 * dead letters), the clean frames batched with a damaged file keep the clean frame's detections (IoU >= 0.9, score
 * within 0.05: a batch the decoder refused comes back through the CPU's decode and letterbox, whose pixels differ a
 * little), and a clean batch after the corpus still gives them (nothing of a damaged file stays behind in the
 * decoder or the CUDA context). Prints, per file, what each decoder made of it; the two may differ (a file one
 * decoder conceals the other may refuse) and that is reported, not failed.
 *
 * <p>{@code CorruptJpegGpuCheck --cache DIR --out DIR}; exit code 0 on PASS, 1 on FAIL, 2 without a GPU.
 */
public final class CorruptJpegGpuCheck {
    private static final int BATCH = 8;

    private CorruptJpegGpuCheck() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        if (TrtGpuChecks.unavailable().isPresent()) {
            System.out.println("corrupt JPEG check skipped: " + TrtGpuChecks.unavailable().get());
            System.exit(2);
        }
        if (NvJpeg.unavailableReason(0).isPresent()) {
            System.out.println("corrupt JPEG check skipped: " + NvJpeg.unavailableReason(0).get());
            System.exit(2);
        }
        byte[] clean;
        try (InputStream in = CorruptJpegGpuCheck.class.getResourceAsStream("/flinkvision/golden/vtest_000.jpg")) {
            clean = in.readAllBytes();
        }
        Map<String, byte[]> corpus = CorruptJpegCorpus.of(clean);
        EngineSpec spec = TrtGpuChecks.spec(Precision.FP16, a.getOrDefault("cache", "/tmp/flinkvision-engines"), null,
                Integer.parseInt(a.getOrDefault("batch", "32")), 3);
        CorruptJpegRun.Result nvjpeg;
        CorruptJpegRun.Result opencv;
        try (InferenceEngine engine = InferenceEngines.open(spec)) {
            nvjpeg = run(engine, JpegDecodeDevice.GPU, clean, corpus);
            opencv = run(engine, JpegDecodeDevice.CPU, clean, corpus);
        }
        boolean ok = pass(nvjpeg) && pass(opencv);
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "\n| damaged JPEG (in a batch of %d) |"
                + " nvJPEG hardware decoder | OpenCV decode | same verdict |\n| --- | --- | --- | --- |\n", BATCH));
        for (String name : corpus.keySet()) {
            CorruptJpegRun.Verdict g = nvjpeg.verdicts().get(name);
            CorruptJpegRun.Verdict c = opencv.verdicts().get(name);
            t.append(String.format(Locale.ROOT, "| %s (%d bytes) | %s | %s | %s |\n", name, corpus.get(name).length,
                    describe(g), describe(c), g.reason().equals(c.reason()) ? "yes" : "no"));
        }
        t.append(String.format(Locale.ROOT, "| frames in / records / dead letters / hung; clean neighbours off |"
                        + " %d / %d / %d / %d; %d | %d / %d / %d / %d; %d | %s |\n", nvjpeg.frames(), nvjpeg.records(),
                nvjpeg.deadLetters(), nvjpeg.hung(), nvjpeg.neighbourMismatches().size(), opencv.frames(),
                opencv.records(), opencv.deadLetters(), opencv.hung(), opencv.neighbourMismatches().size(),
                ok ? "PASS" : "FAIL"));
        System.out.println(t);
        nvjpeg.neighbourMismatches().forEach(m -> System.out.println("nvJPEG path: " + m));
        opencv.neighbourMismatches().forEach(m -> System.out.println("OpenCV path: " + m));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("device", Cuda.device(0).describe());
        report.put("nvjpeg", nvjpeg);
        report.put("opencv", opencv);
        report.put("pass", ok);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(
                Path.of(a.getOrDefault("out", ".")).resolve("corrupt-jpeg.json").toFile(), report);
        System.exit(ok ? 0 : 1);
    }

    private static boolean pass(CorruptJpegRun.Result r) {
        return r.balanced() && r.neighbourMismatches().isEmpty() && r.referenceDetections() > 0;
    }

    private static String describe(CorruptJpegRun.Verdict v) {
        String s = v.deadLetter() ? "dead letter " + v.reason() + " (" + v.message() + ")"
                : v.reason().equals("ok") ? v.detections() + " detections" : v.reason();
        return v.retriedOnCpu() > 0 ? s + "; batch refused, " + v.retriedOnCpu() + " frames decoded again on the CPU ("
                + v.retryCause() + ")" : s;
    }

    private static CorruptJpegRun.Result run(InferenceEngine engine, JpegDecodeDevice jpeg, byte[] clean,
            Map<String, byte[]> corpus) throws InterruptedException {
        CorruptJpegRun.Counts counts = new CorruptJpegRun.Counts();
        try (DetectionPipeline p = DetectionPipeline.builder(engine).batchPolicy(new BatchPolicy(BATCH, 2000, 2))
                .preprocessThreads(2).letterbox(LetterboxDevice.GPU).hybridBacklog(1).jpegDecode(jpeg).listener(counts)
                .build()) {
            if (p.jpegDecodeMode() != jpeg) {
                throw new IllegalStateException("JPEG decode " + jpeg + " asked, pipeline runs " + p.jpegDecodeMode());
            }
            return CorruptJpegRun.run(p, counts, BATCH, clean, corpus, 0.9, 0.05);
        }
    }
}

package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import io.flinkvision.batching.BatchPolicy;
import io.flinkvision.pipeline.DetectionPipeline;
import io.flinkvision.pipeline.JpegDecodeDevice;
import io.flinkvision.pipeline.LetterboxDevice;
import io.flinkvision.detection.InferenceOutcome;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.InferenceEngine;
import io.flinkvision.engine.InferenceEngines;
import io.flinkvision.engine.Precision;
import io.flinkvision.flink.GpuAssignment;
import io.flinkvision.frame.Frame;
import io.flinkvision.frame.FrameEncoding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * GPU machine with two or more GPUs only: one TaskManager JVM whose {@code gpu} external resource holds every visible
 * GPU, with {@code --subtasks-per-gpu} subtasks each (default 2), as Flink hands them to the operator.
 * <ol>
 *   <li>{@link GpuAssignment} spreads the subtasks: each GPU must get the same number.</li>
 *   <li>Each subtask opens its own TensorRT FP16 engine (one engine per device and cache key in the JVM) and
 *       {@link DetectionPipeline} (GPU letterbox); its engine must report the device it was given.</li>
 *   <li>Golden FP16 on every GPU: >= 95% of the golden detections at IoU >= 0.9.</li>
 *   <li>Throughput: every subtask is fed real decoded 768x576 frames ({@code raw-bgr}) from {@code --frames DIR} at
 *       once for {@code --seconds} (after a 2 s warm-up), then only the subtasks of the first GPU: frames/s per GPU, in
 *       all, and the scaling (all GPUs / the first alone).</li>
 * </ol>
 * PASS when the subtasks are spread evenly, every engine is on its device, golden passes on every GPU and every GPU
 * carried at least 0.8 / N of the frames of the all-GPU run, with no dead letter.
 *
 * <p>{@code MultiGpuCheck --cache DIR --frames DIR [--seconds 6] [--subtasks-per-gpu 2] [--in-flight 4]}; exit code
 * 0 on PASS, 1 on FAIL, 2 with fewer than two GPUs.
 */
public final class MultiGpuCheck {
    private MultiGpuCheck() {}

    /** A {@code gpu} external resource as Flink's GPU driver describes one. */
    private record Gpu(int index) implements ExternalResourceInfo {
        @Override
        public Optional<String> getProperty(String key) {
            return key.equals("index") ? Optional.of(Integer.toString(index)) : Optional.empty();
        }

        @Override
        public Collection<String> getKeys() {
            return List.of("index");
        }
    }

    /** One subtask: its GPU place, engine and pipeline, and what it completed. */
    private static final class Subtask {
        final int number;
        final GpuAssignment.Lease gpu;
        final DetectionPipeline pipeline;
        final String engineDevice;
        final AtomicLong completed = new AtomicLong();
        final AtomicLong deadLetters = new AtomicLong();

        Subtask(int number, GpuAssignment.Lease gpu, EngineSpec spec, int inFlight) {
            this.number = number;
            this.gpu = gpu;
            InferenceEngine engine = InferenceEngines.open(spec.withDeviceIndex(gpu.device()));
            this.engineDevice = engine.info().device();
            this.pipeline = DetectionPipeline.builder(engine).ownsEngine(true)
                    .batchPolicy(new BatchPolicy(spec.maxBatchSize(), 5, inFlight)).preprocessThreads(4)
                    .letterbox(LetterboxDevice.GPU).jpegDecode(JpegDecodeDevice.CPU).build();
        }
    }

    public static void main(String[] args) throws Exception {
        String cache = "/tmp/flinkvision-engines";
        String framesDir = "/tmp/gpurun/frames";
        int seconds = 6;
        int perGpu = 2;
        int inFlight = 4;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--cache" -> cache = args[i + 1];
                case "--frames" -> framesDir = args[i + 1];
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--subtasks-per-gpu" -> perGpu = Integer.parseInt(args[i + 1]);
                case "--in-flight" -> inFlight = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (TrtGpuChecks.unavailable().isPresent() || Cuda.deviceCount() < 2) {
            System.out.println("multi-GPU check skipped: " + TrtGpuChecks.unavailable().orElse(Cuda.deviceCount()
                    + " GPU(s) visible, 2 needed"));
            System.exit(2);
        }
        int gpus = Cuda.deviceCount();
        Set<Gpu> resource = new LinkedHashSet<>();
        for (int d = gpus - 1; d >= 0; d--) {
            resource.add(new Gpu(d)); // reverse order: the assignment must not depend on the set's order
        }
        EngineSpec spec = TrtGpuChecks.spec(Precision.FP16, cache, null, 32, inFlight);
        List<Frame> frames = rawFrames(Path.of(framesDir));
        boolean pass = true;

        List<Subtask> subtasks = new ArrayList<>();
        try {
            for (int s = 0; s < gpus * perGpu; s++) {
                subtasks.add(new Subtask(s, GpuAssignment.acquire(resource, 0), spec, inFlight));
            }
            for (int d = 0; d < gpus; d++) {
                int on = GpuAssignment.openOn(d);
                boolean ok = on == perGpu;
                pass &= ok;
                System.out.println(row("assignment, GPU " + d, on + " of " + subtasks.size() + " subtasks -> "
                        + (ok ? "PASS" : "FAIL")));
            }
            for (Subtask s : subtasks) {
                boolean ok = s.engineDevice.startsWith("cuda:" + s.gpu.device() + " ");
                pass &= ok;
                System.out.println(row("subtask " + s.number, s.gpu.describe() + "; engine on " + s.engineDevice
                        + " -> " + (ok ? "PASS" : "FAIL")));
            }
            for (int d = 0; d < gpus; d++) {
                TrtGpuChecks.GoldenResult g = TrtGpuChecks.golden(spec.withDeviceIndex(d), LetterboxDevice.GPU,
                        JpegDecodeDevice.CPU);
                boolean ok = g.matchedFraction() >= 0.95;
                pass &= ok;
                System.out.println(row("golden FP16, GPU " + d, String.format(Locale.ROOT,
                        "matched@IoU>=0.9 %d/%d, mean IoU %.4f -> %s", g.matched90(), g.golden(), g.meanIou(),
                        ok ? "PASS" : "FAIL")));
            }
            double[] all = run(subtasks, frames, seconds, gpus);
            List<Subtask> first = subtasks.stream().filter(s -> s.gpu.device() == 0).toList();
            double[] alone = run(first, frames, seconds, gpus);
            double total = sum(all);
            for (int d = 0; d < gpus; d++) {
                boolean ok = all[d] >= 0.8 / gpus * total;
                pass &= ok;
                System.out.println(row("throughput, GPU " + d, String.format(Locale.ROOT,
                        "%.0f frames/s with all GPUs busy -> %s", all[d], ok ? "PASS" : "FAIL")));
            }
            long dead = subtasks.stream().mapToLong(s -> s.deadLetters.get()).sum();
            pass &= dead == 0;
            System.out.println(row("throughput, all", String.format(Locale.ROOT,
                    "%.0f frames/s on %d GPUs, %.0f on GPU 0 alone: %.2fx; dead letters %d", total, gpus,
                    sum(alone), total / sum(alone), dead)));
        } finally {
            for (Subtask s : subtasks) {
                s.pipeline.close();
                s.gpu.close();
            }
        }
        System.out.println("| multi-GPU check | " + (pass ? "PASS" : "FAIL") + " |");
        System.exit(pass ? 0 : 1);
    }

    private static String row(String what, String result) {
        return "| " + what + " | fp16 | " + result + " |";
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    /**
     * Feeds every given subtask from its own thread (at most 4 batches of frames outstanding each) for 2 s of warm-up
     * and {@code seconds} of measurement; returns frames/s per GPU over the measurement.
     */
    private static double[] run(List<Subtask> subtasks, List<Frame> frames, int seconds, int gpus)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> feeders = new ArrayList<>();
        for (Subtask s : subtasks) {
            Thread t = new Thread(() -> feed(s, frames, stop), "feeder-" + s.number);
            t.start();
            feeders.add(t);
        }
        Thread.sleep(2000);
        long[] before = subtasks.stream().mapToLong(s -> s.completed.get()).toArray();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long[] after = subtasks.stream().mapToLong(s -> s.completed.get()).toArray();
        double elapsed = (System.nanoTime() - t0) / 1e9;
        stop.set(true);
        for (Thread t : feeders) {
            t.join();
        }
        double[] perGpu = new double[gpus];
        for (int i = 0; i < subtasks.size(); i++) {
            perGpu[subtasks.get(i).gpu.device()] += (after[i] - before[i]) / elapsed;
        }
        return perGpu;
    }

    private static void feed(Subtask s, List<Frame> frames, AtomicBoolean stop) {
        Semaphore outstanding = new Semaphore(4 * 32);
        long i = 0;
        try {
            while (!stop.get()) {
                outstanding.acquire();
                Frame t = frames.get((int) (i % frames.size()));
                Frame f = new Frame("multi-gpu-" + s.number, i++, 0L, FrameEncoding.RAW_BGR, t.getPayload());
                f.setWidth(t.getWidth());
                f.setHeight(t.getHeight());
                s.pipeline.submit(f).whenComplete((InferenceOutcome o, Throwable err) -> {
                    if (err != null || o.isDeadLetter()) {
                        s.deadLetters.incrementAndGet();
                    }
                    s.completed.incrementAndGet();
                    outstanding.release();
                });
            }
            outstanding.acquire(4 * 32); // drain before the next phase
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The JPEG files of {@code dir}, decoded once with OpenCV into {@code raw-bgr} frames. */
    private static List<Frame> rawFrames(Path dir) throws Exception {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        }
        List<Frame> frames = new ArrayList<>();
        for (Path p : files) {
            byte[] jpeg = Files.readAllBytes(p);
            try (BytePointer bp = new BytePointer(jpeg); Mat buf = new Mat(1, jpeg.length, 0, bp);
                    Mat m = imdecode(buf, IMREAD_COLOR)) {
                byte[] px = new byte[m.cols() * m.rows() * 3];
                m.data().get(px);
                Frame f = new Frame("multi-gpu", frames.size(), 0L, FrameEncoding.RAW_BGR, px);
                f.setWidth(m.cols());
                f.setHeight(m.rows());
                frames.add(f);
            }
        }
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("no .jpg frames in " + dir);
        }
        return frames;
    }
}

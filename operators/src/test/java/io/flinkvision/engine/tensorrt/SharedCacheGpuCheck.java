package io.flinkvision.engine.tensorrt;

import io.flinkvision.pipeline.JpegDecodeDevice;
import io.flinkvision.pipeline.LetterboxDevice;
import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * GPU machine only, in a JVM of its own (the runtime registry keeps one engine per key and JVM, so an engine opened
 * earlier would hide the cache): opens the FP16 engine with an <b>empty</b> local engine cache and the plans of
 * {@code --cache} as the cluster's shared directory ({@code inference.tensorrt.engine-cache-shared-dir}, a
 * {@code file:} URI through Flink's {@code FileSystem}), as a TaskManager that joins a cluster whose plans are built.
 * PASS when the plan is downloaded instead of built (the engine opens in seconds, a build takes minutes; the plan file
 * appears in the local directory) and the engine meets the FP16 golden target (>= 95% at IoU >= 0.9).
 *
 * <p>{@code SharedCacheGpuCheck --cache DIR [--batch 32]}; exit code 0 on PASS, 1 on FAIL, 2 without a GPU.
 */
public final class SharedCacheGpuCheck {
    private SharedCacheGpuCheck() {}

    public static void main(String[] args) throws Exception {
        String cache = "/tmp/flinkvision-engines";
        int batch = 32;
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--cache")) {
                cache = args[i + 1];
            } else if (args[i].equals("--batch")) {
                batch = Integer.parseInt(args[i + 1]);
            }
        }
        if (TrtGpuChecks.unavailable().isPresent()) {
            System.out.println("shared cache check skipped: " + TrtGpuChecks.unavailable().get());
            System.exit(2);
        }
        Path local = Files.createTempDirectory("flinkvision-local-cache");
        String sharedUri = Path.of(cache).toUri().toString();
        EngineSpec spec = TrtGpuChecks.spec(Precision.FP16, local.toString(), null, batch, 3).toBuilder()
                .sharedEngineCacheDir(sharedUri).build();
        TrtGpuChecks.GoldenResult g = TrtGpuChecks.golden(spec, LetterboxDevice.GPU, JpegDecodeDevice.CPU);
        long localPlans;
        try (var files = Files.list(local)) {
            localPlans = files.filter(f -> f.getFileName().toString().endsWith(".plan")).count();
        }
        boolean pass = g.cacheHit() && g.engineOpenSeconds() < 30 && localPlans == 1 && g.matchedFraction() >= 0.95;
        System.out.println(String.format(Locale.ROOT, "\n| shared engine cache: empty local cache, plans from %s |"
                        + " fp16 | engine open %.1f s (%s), plan files now in the local cache: %d; golden"
                        + " matched@IoU>=0.9 %d/%d -> %s |", sharedUri, g.engineOpenSeconds(), g.cacheHit() ? "cache hit" : "BUILT",
                localPlans, g.matched90(), g.golden(), pass ? "PASS" : "FAIL"));
        System.exit(pass ? 0 : 1);
    }
}

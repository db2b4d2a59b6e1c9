package io.flinkvision.engine.tensorrt;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.plan.Int8Calibrator;
import io.flinkvision.engine.tensorrt.plan.PlanCache;
import io.flinkvision.engine.tensorrt.plan.PlanCacheKey;
import io.flinkvision.engine.tensorrt.plan.SharedPlanStore;
import io.flinkvision.engine.tensorrt.plan.TrtEngineBuilder;
import io.flinkvision.engine.tensorrt.plan.TrtLog;
import io.flinkvision.engine.tensorrt.plan.TrtVersions;

import static org.bytedeco.tensorrt.global.nvinfer.createInferRuntime;

import io.flinkvision.engine.EngineSpec;
import io.flinkvision.engine.EngineStatus;
import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.ModelSource;
import io.flinkvision.engine.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process-wide TensorRT state: one {@link IRuntime} per device and one {@link SharedEngine} per (device, cache key),
 * created on first use and kept for the life of the JVM, so that the subtasks of a TaskManager share one engine and a
 * task restart reuses it (JavaCPP does not free TensorRT objects: javacpp-presets#1699, and a TaskManager's JVM
 * outlives its tasks). The first caller for a key loads or builds the plan; concurrent callers wait for it.
 * Every build setting comes from the {@link EngineSpec} (builder optimization level, input type, INT8 calibrator...).
 */
final class TrtRuntimeRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(TrtRuntimeRegistry.class);

    private static final Map<Integer, IRuntime> RUNTIMES = new ConcurrentHashMap<>();
    private static final Map<String, CompletableFuture<SharedEngine>> ENGINES = new ConcurrentHashMap<>();

    private TrtRuntimeRegistry() {}

    /**
     * The cache key a spec resolves to on a device (reads the model to hash it).
     *
     * @throws InferenceException if the model cannot be read or the device is unavailable
     */
    public static PlanCacheKey keyFor(EngineSpec spec, ModelSource model, int device) {
        Cuda.DeviceInfo d = Cuda.device(device);
        String calibrationId = spec.precision() == Precision.INT8
                ? Int8Calibrator.calibrationId(Int8Calibrator.listImages(spec.calibrationDir()),
                        spec.calibrationAlgorithm(), spec.calibrationInput(), spec.int8QuantizeHead()) : "-";
        return new PlanCacheKey(model.name(), model.sha256(), TrtVersions.tensorrt(), d.name(), d.smName(),
                spec.precision(), spec.precision() == Precision.FP32 && spec.tf32(), 1, spec.optBatchSize(),
                spec.maxBatchSize(), spec.inputType(), spec.builderOptimizationLevel(), calibrationId,
                spec.outputTopClasses());
    }

    /**
     * The shared engine for a spec on its device: from this JVM's registry, else the engine cache, else built (once).
     *
     * @throws InferenceException if the model, the build or the deserialization fails
     */
    public static SharedEngine engine(EngineSpec spec) {
        int device = spec.deviceIndex();
        ModelSource model = ModelSource.load(spec.modelPath());
        PlanCacheKey key = keyFor(spec, model, device);
        String id = device + "/" + key.fileName();
        CompletableFuture<SharedEngine> f = new CompletableFuture<>();
        CompletableFuture<SharedEngine> existing = ENGINES.putIfAbsent(id, f);
        if (existing != null) {
            try {
                EngineStatus.current().stage("waiting for the TensorRT engine " + key.fileName()
                        + " that another subtask of this JVM is loading or building");
                SharedEngine e = existing.join();
                LOG.info("TensorRT engine reused from this JVM: cuda:{} {}", device, key.fileName());
                return e;
            } catch (CompletionException e) {
                ENGINES.remove(id, existing);
                throw e.getCause() instanceof InferenceException ? (InferenceException) e.getCause()
                        : new InferenceException("TensorRT engine load failed: " + e.getCause(), e.getCause());
            }
        }
        try {
            SharedEngine e = load(spec, model, key, device);
            f.complete(e);
            return e;
        } catch (RuntimeException e) {
            ENGINES.remove(id, f);
            f.completeExceptionally(e);
            throw e;
        }
    }

    private static SharedEngine load(EngineSpec spec, ModelSource model, PlanCacheKey key, int device) {
        PlanCache cache = new PlanCache(spec.engineCacheDir(), spec.sharedEngineCacheDir() == null ? null
                : SharedPlanStore.open(spec.sharedEngineCacheDir()));
        Cuda.DeviceInfo d = Cuda.device(device);
        Path timingCache = cache.directory().resolve(("timing-trt" + key.tensorrtVersion() + "-" + d.name() + "-"
                + d.smName() + ".cache").replaceAll("[^A-Za-z0-9._-]", "_"));
        List<Path> calibration = key.precision() == Precision.INT8
                ? Int8Calibrator.listImages(spec.calibrationDir()) : List.of();
        Path calibrationCache = cache.directory().resolve(("calibration-" + model.sha256().substring(0, 8) + "-"
                + key.calibrationId() + "-" + key.inputType().name().toLowerCase(Locale.ROOT) + ".cache")
                .replaceAll("[^A-Za-z0-9._-]", "_"));
        TrtEngineBuilder.Request req = new TrtEngineBuilder.Request(model, key, device, spec.workspaceBytes(),
                timingCache, calibration, calibrationCache, spec.int8QuantizeHead(), spec.calibrationAlgorithm(),
                spec.calibrationInput());
        IRuntime runtime = runtime(device);
        for (int attempt = 0; ; attempt++) {
            EngineStatus.current().stage("looking up " + key.fileName() + " in the engine cache " + cache.directory()
                    + " (building it when missing)");
            PlanCache.Lookup lookup = cache.getOrBuild(key, () -> TrtEngineBuilder.build(req));
            EngineStatus.current().stage("deserializing the TensorRT plan " + key.fileName());
            long t0 = System.nanoTime();
            Cuda.setDevice(device);
            BytePointer plan = new BytePointer(lookup.plan());
            ICudaEngine engine = runtime.deserializeCudaEngine(plan, lookup.plan().length);
            plan.close();
            if (engine != null && !engine.isNull()) {
                LOG.info("TensorRT engine ready on {}: {} ({}, {} s; deserialized in {} ms)", d.describe(),
                        key.fileName(), lookup.hit() ? "cache hit, " + lookup.source() : "built",
                        String.format(Locale.ROOT, "%.1f", lookup.seconds()), (System.nanoTime() - t0) / 1_000_000);
                return new SharedEngine(engine, key, ModelSource.sha256(lookup.plan()), device, lookup.hit(),
                        lookup.seconds());
            }
            String err = TrtLog.INSTANCE.lastError();
            if (attempt > 0 || !lookup.hit()) {
                throw new InferenceException("TensorRT deserializeCudaEngine failed on " + d.describe() + " for "
                        + lookup.path() + ": " + err);
            }
            LOG.warn("TensorRT refused the cached plan {} ({}, from the {} cache): rebuilding", lookup.path(), err,
                    lookup.source());
            cache.discard(key, "TensorRT deserializeCudaEngine refused it: " + err);
        }
    }

    /** The device's runtime, created once (with {@link TrtLog#INSTANCE} as its logger). */
    static IRuntime runtime(int device) {
        return RUNTIMES.computeIfAbsent(device, dev -> {
            Cuda.setDevice(dev);
            IRuntime r = createInferRuntime(TrtLog.INSTANCE);
            if (r == null || r.isNull()) {
                throw new InferenceException("createInferRuntime failed on " + Cuda.deviceLabel(dev) + ": "
                        + TrtLog.INSTANCE.lastError());
            }
            return r;
        });
    }
}

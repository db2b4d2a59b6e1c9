package io.flinkvision.engine.tensorrt.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.Precision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plan files: atomic write, verification on load (corrupt, truncated, foreign), single build under concurrency. */
class PlanCacheTest {
    @TempDir
    Path dir;

    /** {@code n} bytes standing in for a serialized plan, different per {@code seed}. */
    static byte[] plan(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + seed);
        }
        return b;
    }

    @Test
    void storeThenLoadReturnsThePlan() {
        PlanCache cache = new PlanCache(dir.toString());
        PlanCacheKey key = PlanCacheKeyTest.base();
        byte[] p = plan(100_000, 1);
        Path file = cache.store(key, p, 12.5);
        assertThat(file.getFileName().toString()).isEqualTo(key.fileName());
        PlanCache.CachedPlan cp = cache.load(key).orElseThrow();
        assertThat(cp.plan()).isEqualTo(p);
        assertThat(cp.buildSeconds()).isEqualTo(12.5);
    }

    @Test
    void fileUriIsAcceptedOtherSchemesAreRefused() {
        PlanCache c = new PlanCache(dir.toUri().toString());
        assertThat(c.directory()).isEqualTo(dir);
        assertThatThrownBy(() -> new PlanCache("hdfs://namenode/plans")).isInstanceOf(InferenceException.class)
                .hasMessageContaining("scheme 'hdfs'");
    }

    @Test
    void atomicWriteLeavesNoTemporaryFileAndReplacesWhole() throws IOException {
        Path target = dir.resolve("x.plan");
        PlanCache.writeAtomically(target, "old".getBytes(StandardCharsets.UTF_8));
        PlanCache.writeAtomically(target, "new content".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(target)).isEqualTo("new content");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("x.plan");
        }
    }

    @Test
    void failedWriteKeepsTheOldFileAndCleansUp() throws IOException {
        Path target = dir.resolve("y.plan");
        PlanCache.writeAtomically(target, "old".getBytes(StandardCharsets.UTF_8));
        // a directory where the file should go: the rename fails after the temporary file was written
        Path blocked = dir.resolve("blocked.plan");
        Files.createDirectories(blocked.resolve("child"));
        assertThatThrownBy(() -> PlanCache.writeAtomically(blocked, "new".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InferenceException.class).hasMessageContaining("cannot write");
        assertThat(Files.readString(target)).isEqualTo("old");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void corruptPlanIsRejectedAndMovedAside() throws IOException {
        PlanCache cache = new PlanCache(dir.toString());
        PlanCacheKey key = PlanCacheKeyTest.base();
        Path file = cache.store(key, plan(50_000, 2), 1);
        byte[] all = Files.readAllBytes(file);
        all[all.length - 100] ^= 0x55; // flip bits inside the plan
        Files.write(file, all);
        assertThat(cache.load(key)).isEmpty();
        assertThat(file).doesNotExist();
        assertThat(file.resolveSibling(file.getFileName() + ".rejected")).exists();
    }

    @Test
    void verifyNamesTheReason() throws IOException {
        PlanCacheKey key = PlanCacheKeyTest.base();
        byte[] good = PlanCache.encode(key, plan(1000, 3), 1);
        byte[] flipped = good.clone();
        flipped[flipped.length - 1] ^= 1;
        assertThatThrownBy(() -> PlanCache.verify(flipped, key, dir)).hasMessageContaining("checksum mismatch");
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 10);
        assertThatThrownBy(() -> PlanCache.verify(truncated, key, dir)).hasMessageContaining("length mismatch");
        byte[] junk = "this is not a plan".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PlanCache.verify(junk, key, dir)).hasMessageContaining("bad magic");
        byte[] headerCut = java.util.Arrays.copyOf(good, 20);
        assertThatThrownBy(() -> PlanCache.verify(headerCut, key, dir)).hasMessageContaining("header");
        PlanCacheKey other = PlanCacheKeyTest.key(Precision.FP32, false, 32, 32);
        assertThatThrownBy(() -> PlanCache.verify(good, other, dir)).hasMessageContaining("foreign plan")
                .hasMessageContaining("precision=fp16");
    }

    @Test
    void truncatedAndForeignFilesAreRebuilt() throws IOException {
        PlanCache cache = new PlanCache(dir.toString());
        PlanCacheKey fp16 = PlanCacheKeyTest.base();
        PlanCacheKey fp32 = PlanCacheKeyTest.key(Precision.FP32, false, 32, 32);
        // a plan of another key copied under this key's name (e.g. renamed by hand)
        Path fp16File = cache.store(fp16, plan(2000, 4), 1);
        Files.copy(fp16File, cache.pathOf(fp32));
        AtomicInteger builds = new AtomicInteger();
        PlanCache.Lookup l = cache.getOrBuild(fp32, () -> {
            builds.incrementAndGet();
            return plan(3000, 5);
        });
        assertThat(l.hit()).isFalse();
        assertThat(builds).hasValue(1);
        assertThat(cache.load(fp32).orElseThrow().plan()).isEqualTo(plan(3000, 5));
        // truncated by a crash of a writer that did not use the atomic path
        byte[] all = Files.readAllBytes(cache.pathOf(fp16));
        Files.write(cache.pathOf(fp16), java.util.Arrays.copyOf(all, all.length / 2));
        assertThat(cache.getOrBuild(fp16, () -> plan(2000, 4)).hit()).isFalse();
        assertThat(cache.getOrBuild(fp16, () -> {
            throw new AssertionError("must be a hit");
        }).hit()).isTrue();
    }

    @Test
    void concurrentRequestsBuildOnce() throws Exception {
        PlanCache cache = new PlanCache(dir.toString());
        PlanCacheKey key = PlanCacheKeyTest.base();
        AtomicInteger builds = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<PlanCache.Lookup>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fs.add(pool.submit(() -> {
                    start.await();
                    return new PlanCache(dir.toString()).getOrBuild(key, () -> {
                        builds.incrementAndGet();
                        try {
                            Thread.sleep(300); // a slow build: the others must wait, not build too
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return plan(10_000, 6);
                    });
                }));
            }
            start.countDown();
            int hits = 0;
            for (Future<PlanCache.Lookup> f : fs) {
                PlanCache.Lookup l = f.get(120, TimeUnit.SECONDS);
                assertThat(l.plan()).isEqualTo(plan(10_000, 6));
                hits += l.hit() ? 1 : 0;
            }
            assertThat(builds).hasValue(1);
            assertThat(hits).isEqualTo(7);
        } finally {
            pool.shutdownNow();
        }
    }
}

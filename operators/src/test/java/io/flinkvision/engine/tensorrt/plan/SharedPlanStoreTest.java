package io.flinkvision.engine.tensorrt.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two TaskManagers' engine caches (separate local directories) sharing one plan directory through Flink's
 * {@code FileSystem} API ({@code file:} URIs here; {@code hdfs://} or {@code s3://} go through the same calls with
 * their plugin): one builds and uploads, the other downloads instead of building; bad shared plans are moved aside and
 * rebuilt; a failing shared store never fails a lookup.
 */
class SharedPlanStoreTest {
    @TempDir
    Path tmp;

    private SharedPlanStore shared() {
        return SharedPlanStore.open(tmp.resolve("shared").toUri().toString());
    }

    private PlanCache taskManager(String name, SharedPlanStore shared) {
        return new PlanCache(tmp.resolve(name).toString(), shared);
    }

    @Test
    void aPlanBuiltByOneTaskManagerIsFetchedByAnotherInsteadOfBuilt() {
        SharedPlanStore shared = shared();
        PlanCacheKey key = PlanCacheKeyTest.base();
        byte[] p = PlanCacheTest.plan(200_000, 1);
        AtomicInteger builds = new AtomicInteger();

        PlanCache.Lookup first = taskManager("tm1", shared).getOrBuild(key, () -> {
            builds.incrementAndGet();
            return p;
        });
        assertThat(first.source()).isEqualTo(PlanCache.Source.BUILT);
        assertThat(Files.exists(tmp.resolve("shared").resolve(key.fileName()))).isTrue();

        PlanCache tm2 = taskManager("tm2", shared);
        PlanCache.Lookup second = tm2.getOrBuild(key, () -> {
            builds.incrementAndGet();
            return PlanCacheTest.plan(10, 9);
        });
        assertThat(second.source()).isEqualTo(PlanCache.Source.SHARED);
        assertThat(second.hit()).isTrue();
        assertThat(second.plan()).isEqualTo(p);
        assertThat(second.path()).isEqualTo(tmp.resolve("tm2").resolve(key.fileName()));
        assertThat(tm2.load(key).orElseThrow().plan()).as("kept in tm2's local cache").isEqualTo(p);

        PlanCache.Lookup third = tm2.getOrBuild(key, () -> {
            throw new AssertionError("no build expected");
        });
        assertThat(third.source()).isEqualTo(PlanCache.Source.LOCAL);
        assertThat(builds.get()).isEqualTo(1);
        try (var files = Files.list(tmp.resolve("shared"))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly(key.fileName()); // no temp files
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCorruptSharedPlanIsMovedAsideRebuiltAndUploadedAgain() throws Exception {
        SharedPlanStore shared = shared();
        PlanCacheKey key = PlanCacheKeyTest.base();
        byte[] good = PlanCache.encode(key, PlanCacheTest.plan(50_000, 2), 3.0);
        byte[] damaged = good.clone();
        damaged[damaged.length - 100] ^= 0x55; // a flipped byte in the plan: the sha256 no longer matches
        shared.write(key.fileName(), damaged);

        byte[] rebuilt = PlanCacheTest.plan(50_000, 3);
        PlanCache.Lookup l = taskManager("tm1", shared).getOrBuild(key, () -> rebuilt);
        assertThat(l.source()).isEqualTo(PlanCache.Source.BUILT);
        Path dir = tmp.resolve("shared");
        assertThat(Files.readAllBytes(dir.resolve(key.fileName() + ".rejected"))).isEqualTo(damaged);
        assertThat(PlanCache.verify(Files.readAllBytes(dir.resolve(key.fileName())), key, dir).plan())
                .isEqualTo(rebuilt);
    }

    @Test
    void aForeignPlanUnderTheKeysNameIsNotUsed() throws Exception {
        SharedPlanStore shared = shared();
        PlanCacheKey key = PlanCacheKeyTest.base();
        PlanCacheKey other = PlanCacheKeyTest.key(Precision.FP32, false, 32, 32);
        shared.write(key.fileName(), PlanCache.encode(other, PlanCacheTest.plan(1000, 4), 1.0));
        byte[] own = PlanCacheTest.plan(1000, 5);
        assertThat(taskManager("tm1", shared).getOrBuild(key, () -> own).plan()).isEqualTo(own);
        assertThat(Files.exists(tmp.resolve("shared").resolve(key.fileName() + ".rejected"))).isTrue();
    }

    @Test
    void aSharedStoreThatCannotBeWrittenDoesNotFailTheBuild() throws Exception {
        SharedPlanStore shared = shared();
        Path dir = tmp.resolve("shared");
        Files.delete(dir);
        Files.writeString(dir, "a file where the directory was"); // every upload now fails
        PlanCacheKey key = PlanCacheKeyTest.base();
        byte[] p = PlanCacheTest.plan(1000, 6);
        PlanCache tm1 = taskManager("tm1", shared);
        PlanCache.Lookup l = tm1.getOrBuild(key, () -> p);
        assertThat(l.source()).isEqualTo(PlanCache.Source.BUILT);
        assertThat(tm1.load(key).orElseThrow().plan()).isEqualTo(p);
        assertThatThrownBy(() -> shared.write("x", new byte[1])).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void discardRemovesTheLocalPlanAndMovesTheSharedOneAside() {
        SharedPlanStore shared = shared();
        PlanCacheKey key = PlanCacheKeyTest.base();
        PlanCache tm1 = taskManager("tm1", shared);
        tm1.getOrBuild(key, () -> PlanCacheTest.plan(1000, 7));
        tm1.discard(key, "TensorRT refused it (test)");
        assertThat(tm1.load(key)).isEmpty();
        assertThat(shared.read(key.fileName())).isEmpty();
        assertThat(Files.exists(tmp.resolve("shared").resolve(key.fileName() + ".rejected"))).isTrue();
        AtomicInteger builds = new AtomicInteger();
        assertThat(taskManager("tm2", shared).getOrBuild(key, () -> {
            builds.incrementAndGet();
            return PlanCacheTest.plan(1000, 8);
        }).source()).isEqualTo(PlanCache.Source.BUILT);
        assertThat(builds.get()).isEqualTo(1);
    }

    @Test
    void aDiscardKeepsASharedPlanThatAnotherTaskManagerUploadedSinceTheRefusedOne() {
        SharedPlanStore shared = shared();
        PlanCacheKey key = PlanCacheKeyTest.base();
        PlanCache tm1 = taskManager("tm1", shared);
        tm1.getOrBuild(key, () -> PlanCacheTest.plan(1000, 9)); // built and uploaded: the plan TensorRT will refuse
        byte[] theirs = PlanCache.encode(key, PlanCacheTest.plan(1000, 10), 2.0);
        try {
            shared.write(key.fileName(), theirs); // tm2's upload lands before tm1 discards
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }

        tm1.discard(key, "TensorRT refused it (test)");

        assertThat(tm1.load(key)).isEmpty();
        assertThat(shared.read(key.fileName())).hasValueSatisfying(b -> assertThat(b).isEqualTo(theirs));
        assertThat(Files.exists(tmp.resolve("shared").resolve(key.fileName() + ".rejected"))).isFalse();
    }

    @Test
    void aRejectOfBytesThatAreStillThereMovesThemAside() throws Exception {
        SharedPlanStore shared = shared();
        byte[] bad = {1, 2, 3};
        shared.write("p.plan", bad);
        shared.reject("p.plan", new byte[] {9, 9, 9}, "not what is there (test)");
        assertThat(shared.read("p.plan")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bad));
        shared.reject("p.plan", bad, "the bytes found bad (test)");
        assertThat(shared.read("p.plan")).isEmpty();
        assertThat(Files.readAllBytes(tmp.resolve("shared").resolve("p.plan.rejected"))).isEqualTo(bad);
    }

    @Test
    void aSchemeFlinkHasNoFileSystemForIsAClearError() {
        assertThatThrownBy(() -> SharedPlanStore.open("nosuchfs://bucket/plans"))
                .isInstanceOf(InferenceException.class).hasMessageContaining("nosuchfs://bucket/plans")
                .hasMessageContaining("inference.tensorrt.engine-cache-shared-dir");
        assertThatThrownBy(() -> SharedPlanStore.open(" ")).isInstanceOf(InferenceException.class);
    }
}

package io.flinkvision.engine.tensorrt.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flinkvision.engine.Precision;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.DefaultPluginManager;
import org.apache.flink.core.plugin.DirectoryBasedPluginFinder;
import org.apache.flink.core.plugin.PluginDescriptor;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.TransientApiMetadata;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.domain.StorageType;
import org.jclouds.blobstore.options.CopyOptions;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;
import org.jclouds.rest.AuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link SharedPlanStore} and {@link PlanCache}'s shared-cache paths on a real S3 protocol, where a rename is a
 * server-side copy and a delete and a directory is only a key prefix: an in-process s3proxy server (in-memory jclouds
 * blob store, AWS v2/v4 signatures checked) reached through Flink's own S3 file system ({@code flink-s3-fs-hadoop},
 * Hadoop S3A), loaded as a Flink plugin the way a cluster loads it. Two TaskManagers (two local cache directories)
 * share {@code s3://bucket/...}: one builds and uploads, the other downloads instead of building; damaged and foreign
 * objects are moved aside to {@code .rejected} and replaced by a rebuilt plan; {@code discard} rejects the shared
 * copy, and deletes it when the server refuses to copy it aside; no temporary object outlives an upload, even one
 * overtaken by another TaskManager's; a missing bucket fails the upload, not the build. What the bucket holds is read
 * from the blob store behind the server, not through the client under test.
 */
class SharedPlanStoreS3Test {
    private static final String IDENTITY = "flinkvision-test-key";
    private static final String CREDENTIAL = "flinkvision-test-secret";
    private static final String BUCKET = "engines";
    private static final String PLUGINS_DIR_PROPERTY = "flinkvision.test.flink-plugins-dir";
    private static final AtomicInteger TESTS = new AtomicInteger();

    @TempDir
    static Path serverTmp;

    private static BlobStoreContext blobContext;
    private static BlobStore blobs;
    private static FaultyBlobStore served;
    private static S3Proxy server;

    @TempDir
    Path tmp;

    /** The shared directory's key prefix in the bucket, one per test, two levels deep: {@code <test>/plans}. */
    private String prefix;

    private final PlanCacheKey key = PlanCacheKeyTest.base();

    @BeforeAll
    static void startS3ServerAndFlinkS3FileSystem() throws Exception {
        blobContext = ContextBuilder.newBuilder(new TransientApiMetadata()).credentials(IDENTITY, CREDENTIAL)
                .build(BlobStoreContext.class);
        blobs = blobContext.getBlobStore();
        blobs.createContainerInLocation(null, BUCKET);
        served = new FaultyBlobStore(blobs);
        server = S3Proxy.builder().blobStore(served).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, IDENTITY, CREDENTIAL).build();
        server.start();
        awaitStarted(server);
        initializeFlinkS3(server.getPort());
    }

    private static void awaitStarted(S3Proxy s3) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120); // generous: the machine may be loaded
        while (!s3.getState().equals("STARTED")) {
            assertThat(deadline - System.nanoTime()).as("s3proxy started within 120 s (state %s)", s3.getState())
                    .isPositive();
            Thread.sleep(10);
        }
    }

    /** Flink's file systems with the s3-fs-hadoop plugin, pointed at the local server, as a TaskManager has them. */
    private static void initializeFlinkS3(int port) throws IOException {
        Configuration config = new Configuration();
        config.setString("s3.endpoint", "http://127.0.0.1:" + port);
        config.setString("s3.endpoint.region", "us-east-1");
        config.setString("s3.path.style.access", "true");
        config.setString("s3.connection.ssl.enabled", "false");
        config.setString("s3.access-key", IDENTITY);
        config.setString("s3.secret-key", CREDENTIAL);
        config.setString("s3.buffer.dir", serverTmp.resolve("s3a-buffer").toString());
        config.setString("s3.attempts.maximum", "2"); // a refused request fails in seconds, not minutes
        config.setString("s3.retry.limit", "1");
        FileSystem.initialize(config, new DefaultPluginManager(s3Plugin(),
                CoreOptions.getPluginParentFirstLoaderPatterns(config)));
    }

    private static Collection<PluginDescriptor> s3Plugin() throws IOException {
        String dir = System.getProperty(PLUGINS_DIR_PROPERTY);
        assertThat(dir).as("system property %s (set by the operators pom, which copies flink-s3-fs-hadoop there)",
                PLUGINS_DIR_PROPERTY).isNotBlank();
        Collection<PluginDescriptor> plugins = new DirectoryBasedPluginFinder(Path.of(dir)).findPlugins();
        assertThat(plugins).extracting(PluginDescriptor::getPluginId).containsExactly("s3-fs-hadoop");
        return plugins;
    }

    @AfterAll
    static void stopAndResetFlinkFileSystems() throws Exception {
        FileSystem.initialize(new Configuration(), null);
        if (server != null) {
            server.stop();
        }
        if (blobContext != null) {
            blobContext.close();
        }
    }

    @AfterEach
    void noFaults() {
        served.reset();
    }

    @BeforeEach
    void prefixForThisTest(TestInfo test) {
        prefix = test.getTestMethod().orElseThrow().getName() + "-" + TESTS.incrementAndGet() + "/plans";
    }

    private SharedPlanStore shared() {
        return SharedPlanStore.open("s3://" + BUCKET + "/" + prefix);
    }

    private PlanCache taskManager(String name, SharedPlanStore shared) {
        return new PlanCache(tmp.resolve(name).toString(), shared);
    }

    private static PlanCache.PlanBuilder counting(AtomicInteger builds, byte[] plan) {
        return () -> {
            builds.incrementAndGet();
            return plan;
        };
    }

    private static PlanCache.PlanBuilder noBuild() {
        return () -> {
            throw new AssertionError("no build expected: the plan should come from a cache");
        };
    }

    // ---- the bucket, as the server holds it ----

    private String objectKey(String name) {
        return prefix + "/" + name;
    }

    private static byte[] object(String objectKey) {
        Blob blob = blobs.getBlob(BUCKET, objectKey);
        assertThat(blob).as("object %s in the bucket", objectKey).isNotNull();
        try (InputStream in = blob.getPayload().openStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void putObject(String objectKey, byte[] bytes) {
        blobs.putBlob(BUCKET, blobs.blobBuilder(objectKey).payload(bytes).contentLength(bytes.length).build());
    }

    /** The names of the objects (not directory markers) under this test's prefix, below it. */
    private List<String> objectNames() {
        Iterable<? extends StorageMetadata> listing = blobs.list(BUCKET,
                ListContainerOptions.Builder.prefix(prefix + "/").recursive());
        return StreamSupport.stream(listing.spliterator(), false)
                .filter(m -> m.getType() == StorageType.BLOB && !m.getName().endsWith("/"))
                .map(m -> m.getName().substring(prefix.length() + 1)).sorted().toList();
    }

    /**
     * The blob store behind the server, with faults a test switches on: a refused server-side copy (what S3 does on a
     * denied or throttled CopyObject) and a hook after an object is deleted (to land another TaskManager's upload
     * exactly there).
     */
    static final class FaultyBlobStore extends ForwardingBlobStore {
        private volatile Predicate<String> refuseCopyTo;
        private volatile Consumer<String> afterRemove;

        FaultyBlobStore(BlobStore store) {
            super(store);
            reset();
        }

        void reset() {
            refuseCopyTo = name -> false;
            afterRemove = name -> { };
        }

        @Override
        public String copyBlob(String fromContainer, String fromName, String toContainer, String toName,
                CopyOptions options) {
            if (refuseCopyTo.test(toName)) {
                throw new AuthorizationException("copy to " + toName + " refused (test fault)"); // 403 AccessDenied
            }
            return super.copyBlob(fromContainer, fromName, toContainer, toName, options);
        }

        @Override
        public void removeBlob(String container, String name) {
            super.removeBlob(container, name);
            afterRemove.accept(name);
        }

        @Override
        public void removeBlobs(String container, Iterable<String> names) {
            super.removeBlobs(container, names);
            names.forEach(afterRemove);
        }
    }

    /** The file names Flink's S3 file system lists in the shared directory. */
    private List<String> flinkListing() throws IOException {
        org.apache.flink.core.fs.Path dir = new org.apache.flink.core.fs.Path("s3://" + BUCKET + "/" + prefix);
        FileStatus[] status = dir.getFileSystem().listStatus(dir);
        return Arrays.stream(status).map(s -> s.getPath().getName()).sorted().toList();
    }

    // ---- scenarios ----

    @Test
    void aPlanBuiltByOneTaskManagerIsDownloadedByAnotherWithIdenticalBytes() throws IOException {
        SharedPlanStore shared = shared();
        byte[] p = PlanCacheTest.plan(300_000, 1);
        AtomicInteger builds = new AtomicInteger();

        PlanCache tmA = taskManager("tmA", shared);
        PlanCache.Lookup built = tmA.getOrBuild(key, counting(builds, p));
        assertThat(built.source()).isEqualTo(PlanCache.Source.BUILT);
        byte[] uploaded = object(objectKey(key.fileName()));
        assertThat(uploaded).as("the object is tmA's plan file, byte for byte")
                .isEqualTo(Files.readAllBytes(tmA.pathOf(key)));

        PlanCache tmB = taskManager("tmB", shared);
        PlanCache.Lookup fetched = tmB.getOrBuild(key, noBuild());
        assertThat(fetched.source()).isEqualTo(PlanCache.Source.SHARED);
        assertThat(fetched.plan()).isEqualTo(p);
        assertThat(fetched.path()).isEqualTo(tmB.pathOf(key));
        assertThat(Files.readAllBytes(tmB.pathOf(key))).as("kept in tmB's local cache").isEqualTo(uploaded);
        assertThat(tmB.getOrBuild(key, noBuild()).source()).isEqualTo(PlanCache.Source.LOCAL);
        assertThat(builds.get()).isEqualTo(1);
    }

    @Test
    void anUploadLeavesOnlyThePlanObjectNoTemporaryOne() throws IOException {
        taskManager("tmA", shared()).getOrBuild(key, () -> PlanCacheTest.plan(100_000, 2));
        assertThat(objectNames()).containsExactly(key.fileName());
        assertThat(flinkListing()).containsExactly(key.fileName());
    }

    @Test
    void anUploadReplacesAnExistingObject() throws IOException {
        SharedPlanStore shared = shared();
        byte[] first = PlanCache.encode(key, PlanCacheTest.plan(20_000, 3), 1.0);
        byte[] second = PlanCache.encode(key, PlanCacheTest.plan(30_000, 4), 2.0);
        shared.write(key.fileName(), first);
        shared.write(key.fileName(), second); // two TaskManagers that missed at once: the last upload wins
        assertThat(object(objectKey(key.fileName()))).isEqualTo(second);
        assertThat(shared.read(key.fileName())).hasValueSatisfying(b -> assertThat(b).isEqualTo(second));
        assertThat(objectNames()).containsExactly(key.fileName());
    }

    /** How a shared object is damaged. */
    enum Damage {
        FLIPPED_BYTE {
            @Override
            byte[] apply(byte[] good) {
                byte[] b = good.clone();
                b[b.length - 100] ^= 0x55; // in the plan: the sha256 no longer matches
                return b;
            }
        },
        TRUNCATED {
            @Override
            byte[] apply(byte[] good) {
                return Arrays.copyOf(good, good.length / 2); // an interrupted upload
            }
        };

        abstract byte[] apply(byte[] good);
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void aDamagedSharedObjectIsRejectedRebuiltAndReplacedByTheReupload(Damage damage) {
        byte[] damaged = damage.apply(PlanCache.encode(key, PlanCacheTest.plan(50_000, 5), 3.0));
        putObject(objectKey(key.fileName()), damaged);
        byte[] rebuilt = PlanCacheTest.plan(50_000, 6);
        AtomicInteger builds = new AtomicInteger();

        PlanCache.Lookup l = taskManager("tmA", shared()).getOrBuild(key, counting(builds, rebuilt));
        assertThat(l.source()).isEqualTo(PlanCache.Source.BUILT);
        assertThat(builds.get()).isEqualTo(1);
        assertThat(object(objectKey(key.fileName() + ".rejected"))).isEqualTo(damaged);
        assertThat(objectNames()).containsExactlyInAnyOrder(key.fileName(), key.fileName() + ".rejected");
        assertThat(taskManager("tmB", shared()).getOrBuild(key, noBuild()))
                .satisfies(b -> assertThat(b.source()).isEqualTo(PlanCache.Source.SHARED))
                .satisfies(b -> assertThat(b.plan()).isEqualTo(rebuilt));
    }

    @Test
    void aForeignPlanUnderTheKeysNameIsRejectedAndReplaced() throws Exception {
        PlanCacheKey other = PlanCacheKeyTest.key(Precision.FP32, false, 32, 32);
        byte[] foreign = PlanCache.encode(other, PlanCacheTest.plan(4_000, 7), 1.0);
        putObject(objectKey(key.fileName()), foreign);
        byte[] own = PlanCacheTest.plan(4_000, 8);

        PlanCache.Lookup l = taskManager("tmA", shared()).getOrBuild(key, () -> own);
        assertThat(l.source()).isEqualTo(PlanCache.Source.BUILT);
        assertThat(l.plan()).isEqualTo(own);
        assertThat(object(objectKey(key.fileName() + ".rejected"))).isEqualTo(foreign);
        assertThat(PlanCache.verify(object(objectKey(key.fileName())), key, tmp).plan()).isEqualTo(own);
    }

    @Test
    void discardRemovesTheLocalPlanAndMovesTheSharedObjectAsideOverAnOlderRejectedOne() throws Exception {
        SharedPlanStore shared = shared();
        PlanCache tmA = taskManager("tmA", shared);
        tmA.getOrBuild(key, () -> PlanCacheTest.plan(8_000, 9));
        byte[] uploaded = object(objectKey(key.fileName()));
        putObject(objectKey(key.fileName() + ".rejected"), new byte[] {1, 2, 3}); // from an earlier rejection

        tmA.discard(key, "TensorRT refused it (test)");
        assertThat(tmA.load(key)).isEmpty();
        assertThat(shared.read(key.fileName())).isEmpty();
        assertThat(objectNames()).containsExactly(key.fileName() + ".rejected");
        assertThat(object(objectKey(key.fileName() + ".rejected"))).isEqualTo(uploaded);

        AtomicInteger builds = new AtomicInteger();
        byte[] again = PlanCacheTest.plan(8_000, 10);
        assertThat(taskManager("tmB", shared).getOrBuild(key, counting(builds, again)).source())
                .isEqualTo(PlanCache.Source.BUILT);
        assertThat(builds.get()).isEqualTo(1);
        assertThat(PlanCache.verify(object(objectKey(key.fileName())), key, tmp).plan()).isEqualTo(again);
    }

    @Test
    void aBucketThatIsGoneFailsTheUploadNotTheBuild() {
        String gone = "engines-deleted";
        blobs.createContainerInLocation(null, gone);
        SharedPlanStore shared = SharedPlanStore.open("s3://" + gone + "/" + prefix);
        blobs.deleteContainer(gone);

        byte[] p = PlanCacheTest.plan(2_000, 11);
        PlanCache tmA = taskManager("tmA", shared);
        PlanCache.Lookup l = tmA.getOrBuild(key, () -> p);
        assertThat(l.source()).isEqualTo(PlanCache.Source.BUILT);
        assertThat(tmA.load(key).orElseThrow().plan()).isEqualTo(p);
        assertThatThrownBy(() -> shared.write("x", new byte[1])).isInstanceOf(IOException.class);
        assertThat(blobs.containerExists(gone)).as("nothing recreated the bucket").isFalse();
    }

    @Test
    void aDiscardedPlanThatCannotBeMovedAsideIsDeletedSoThatItIsNotFetchedAgain() {
        SharedPlanStore shared = shared();
        PlanCache tmA = taskManager("tmA", shared);
        tmA.getOrBuild(key, () -> PlanCacheTest.plan(8_000, 12));
        served.refuseCopyTo = name -> name.endsWith(".rejected"); // S3A's rename throws instead of returning false

        tmA.discard(key, "TensorRT refused it (test)");
        assertThat(objectNames()).as("the refused plan is gone from the bucket").isEmpty();
        AtomicInteger builds = new AtomicInteger();
        byte[] again = PlanCacheTest.plan(8_000, 13);
        PlanCache.Lookup l = taskManager("tmB", shared).getOrBuild(key, counting(builds, again));
        assertThat(l.source()).as("rebuilt, not the refused plan downloaded again").isEqualTo(PlanCache.Source.BUILT);
        assertThat(builds.get()).isEqualTo(1);
    }

    @Test
    void anUploadOvertakenByAnotherTaskManagersKeepsTheirWholePlanAndLeavesNoTemporaryObject() throws IOException {
        SharedPlanStore shared = shared();
        String target = objectKey(key.fileName());
        byte[] old = PlanCache.encode(key, PlanCacheTest.plan(10_000, 14), 1.0);
        byte[] ours = PlanCache.encode(key, PlanCacheTest.plan(10_000, 15), 2.0);
        byte[] theirs = PlanCache.encode(key, PlanCacheTest.plan(10_000, 16), 3.0);
        shared.write(key.fileName(), old);
        served.afterRemove = name -> {
            if (name.equals(target)) {
                served.afterRemove = n -> { };
                putObject(target, theirs); // another TaskManager's upload lands between our delete and our rename
            }
        };

        shared.write(key.fileName(), ours); // not an error: an equivalent plan is there

        assertThat(object(target)).isEqualTo(theirs);
        assertThat(objectNames()).containsExactly(key.fileName());
    }
}

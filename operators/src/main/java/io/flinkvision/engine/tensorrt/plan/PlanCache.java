package io.flinkvision.engine.tensorrt.plan;

import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.ModelSource;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.flink.annotation.Internal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On-disk cache of serialized TensorRT plans, one file per {@link PlanCacheKey}.
 *
 * <p>File layout (all integers big-endian):
 * <pre>
 *   magic    "FVTRTPLAN" (9 bytes ASCII)
 *   u32      header length H
 *   H bytes  header, UTF-8 lines "name=value": the key's {@link PlanCacheKey#fields()}, then planBytes,
 *            planSha256, buildSeconds, createdBy
 *   plan     planBytes bytes: the TensorRT serialized engine
 * </pre>
 * On load, the magic, the header's key (must equal the expected key field by field), the plan length and its sha256
 * are checked, so that a truncated, corrupt or foreign plan is never handed to {@code deserializeCudaEngine}: it is
 * moved aside ({@code .rejected}) and rebuilt. Writes go to a temporary file in the same directory, are forced to
 * disk, then atomically renamed over the target.
 *
 * <p>{@link #getOrBuild} builds a missing plan <b>once</b>: concurrent callers in this JVM wait on a per-file lock,
 * other processes on the same host on a {@code .lock} file ({@link FileChannel#lock()}), and every waiter re-reads the
 * cache afterwards. The directory is a local path or a {@code file:} URI.
 *
 * <p>With a {@link SharedPlanStore} (a directory on any Flink file system: HDFS, S3, GCS, a shared mount), a local
 * miss first looks there: a plan another TaskManager built is downloaded, verified as above and kept locally, instead
 * of built again; a plan built here is uploaded after it is stored locally. The shared copy is checked like the local
 * one, and a bad one is moved aside there too. Shared-store failures are logged and never fail the lookup.
 */
@Internal
public final class PlanCache {
    private static final Logger LOG = LoggerFactory.getLogger(PlanCache.class);
    private static final byte[] MAGIC = "FVTRTPLAN".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HEADER = 64 * 1024;
    private static final Map<String, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path dir;
    private final SharedPlanStore shared;

    /**
     * A cache without a shared store.
     *
     * @param location a directory path or {@code file:} URI; created if missing
     * @throws InferenceException if the location is another scheme or the directory cannot be created
     */
    public PlanCache(String location) {
        this(location, null);
    }

    /**
     * @param location the local directory: a path or {@code file:} URI; created if missing
     * @param shared the cluster's shared plan directory, or null for none
     * @throws InferenceException if the location is another scheme or the directory cannot be created
     */
    public PlanCache(String location, SharedPlanStore shared) {
        this.shared = shared;
        this.dir = toPath(location);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new InferenceException("engine cache directory '" + dir + "' cannot be created: " + e
                    + " (set inference.tensorrt.engine-cache-dir)", e);
        }
    }

    static Path toPath(String location) {
        if (location == null || location.isBlank()) {
            throw new InferenceException("no engine cache directory configured (set inference.tensorrt.engine-cache-dir)");
        }
        if (location.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*") && !location.matches("^[A-Za-z]:[\\\\/].*")) {
            URI uri = URI.create(location);
            if (!"file".equalsIgnoreCase(uri.getScheme())) {
                throw new InferenceException("engine cache location '" + location + "' uses scheme '"
                        + uri.getScheme() + "': only local paths and file: URIs are supported here (share plans"
                        + " across TaskManagers with inference.tensorrt.engine-cache-shared-dir)");
            }
            return Path.of(uri);
        }
        return Path.of(location);
    }

    /** The cache directory. */
    public Path directory() {
        return dir;
    }

    /** Where the plan of {@code key} lives (whether or not it exists). */
    public Path pathOf(PlanCacheKey key) {
        return dir.resolve(key.fileName());
    }

    /**
     * A plan read back from the cache, with what its header says about it.
     *
     * @param plan the serialized engine bytes
     * @param buildSeconds how long the build took when it was made
     * @param path the file it came from
     */
    public record CachedPlan(byte[] plan, double buildSeconds, Path path) {}

    /**
     * Reads and verifies the plan of {@code key}.
     *
     * @return the plan, or empty when there is none or the file was rejected (corrupt, truncated, foreign key); a
     *     rejected file is renamed to {@code <name>.rejected} and the reason logged at WARN
     */
    public Optional<CachedPlan> load(PlanCacheKey key) {
        Path p = pathOf(key);
        byte[] all;
        try {
            all = Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("engine cache: cannot read {}: {}; rebuilding", p, e.toString());
            return Optional.empty();
        }
        try {
            return Optional.of(verify(all, key, p));
        } catch (CorruptPlanException e) {
            reject(p, e.getMessage());
            return Optional.empty();
        }
    }

    /** Thrown by {@link #verify} with the reason a plan file is refused. */
    static final class CorruptPlanException extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptPlanException(String message) {
            super(message);
        }
    }

    /** Parses and checks a plan file's bytes against the expected key. */
    static CachedPlan verify(byte[] all, PlanCacheKey expected, Path p) throws CorruptPlanException {
        if (all.length < MAGIC.length + 4 || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
            throw new CorruptPlanException("not a plan file of this cache (bad magic)");
        }
        int h = ((all[MAGIC.length] & 0xFF) << 24) | ((all[MAGIC.length + 1] & 0xFF) << 16)
                | ((all[MAGIC.length + 2] & 0xFF) << 8) | (all[MAGIC.length + 3] & 0xFF);
        int headerStart = MAGIC.length + 4;
        if (h <= 0 || h > MAX_HEADER || headerStart + (long) h > all.length) {
            throw new CorruptPlanException("truncated or corrupt header (length " + h + ", file " + all.length
                    + " bytes)");
        }
        Map<String, String> header = parseHeader(new String(all, headerStart, h, StandardCharsets.UTF_8));
        PlanCacheKey found;
        try {
            found = PlanCacheKey.fromFields(header);
        } catch (RuntimeException e) {
            throw new CorruptPlanException("unreadable key in header: " + e.getMessage());
        }
        if (!found.equals(expected)) {
            throw new CorruptPlanException("foreign plan: header key {" + found.describe() + "} differs from {"
                    + expected.describe() + "}");
        }
        long planBytes;
        try {
            planBytes = Long.parseLong(header.getOrDefault("planBytes", "-1"));
        } catch (NumberFormatException e) {
            planBytes = -1;
        }
        int planStart = headerStart + h;
        if (planBytes <= 0 || planStart + planBytes != all.length) {
            throw new CorruptPlanException("plan length mismatch: header says " + planBytes + " bytes, file holds "
                    + (all.length - planStart));
        }
        byte[] plan = Arrays.copyOfRange(all, planStart, all.length);
        String sha = ModelSource.sha256(plan);
        if (!sha.equals(header.get("planSha256"))) {
            throw new CorruptPlanException("plan checksum mismatch: sha256 " + sha + ", header says "
                    + header.get("planSha256"));
        }
        double seconds;
        try {
            seconds = Double.parseDouble(header.getOrDefault("buildSeconds", "0"));
        } catch (NumberFormatException e) {
            seconds = 0;
        }
        return new CachedPlan(plan, seconds, p);
    }

    private static Map<String, String> parseHeader(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return m;
    }

    /** Serializes a plan file: magic, header (key, length, checksum, build time), plan. */
    static byte[] encode(PlanCacheKey key, byte[] plan, double buildSeconds) {
        StringBuilder header = new StringBuilder();
        key.fields().forEach((k, v) -> header.append(k).append('=').append(v.replace('\n', ' ')).append('\n'));
        header.append("planBytes=").append(plan.length).append('\n');
        header.append("planSha256=").append(ModelSource.sha256(plan)).append('\n');
        header.append("buildSeconds=").append(buildSeconds).append('\n');
        header.append("createdBy=flinkvision ").append(PlanCache.class.getPackage().getImplementationVersion())
                .append('\n');
        byte[] hb = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bos = new ByteArrayOutputStream(MAGIC.length + 4 + hb.length + plan.length);
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.write(MAGIC);
            out.writeInt(hb.length);
            out.write(hb);
            out.write(plan);
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory
        }
        return bos.toByteArray();
    }

    /**
     * Stores a plan atomically: written to a temporary file in the cache directory, forced to disk, then renamed over
     * {@link #pathOf}. Readers see the old file or the new one, never a partial write.
     *
     * @throws InferenceException if the write fails (the temporary file is removed)
     */
    public Path store(PlanCacheKey key, byte[] plan, double buildSeconds) {
        storeFile(key, plan, buildSeconds);
        return pathOf(key);
    }

    /** As {@link #store}; returns the file's bytes (header and plan), as they are uploaded to a shared store. */
    private byte[] storeFile(PlanCacheKey key, byte[] plan, double buildSeconds) {
        Path target = pathOf(key);
        byte[] file = encode(key, plan, buildSeconds);
        writeAtomically(target, file);
        LOG.info("engine cache: stored {} ({} bytes, built in {} s)", target, plan.length,
                String.format(java.util.Locale.ROOT, "%.1f", buildSeconds));
        return file;
    }

    /**
     * Writes {@code bytes} to {@code target} through a temporary sibling and an atomic rename.
     *
     * @throws InferenceException naming the file and the I/O error
     */
    public static void writeAtomically(Path target, byte[] bytes) {
        Path tmp = null;
        try {
            Path parent = target.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            tmp = Files.createTempFile(parent, "." + target.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                    OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                out.write(bytes);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new InferenceException("cannot write " + target + ": " + e
                    + " (check inference.tensorrt.engine-cache-dir is writable)", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private void reject(Path p, String reason) {
        Path aside = p.resolveSibling(p.getFileName() + ".rejected");
        LOG.warn("engine cache: REJECTED {}: {}; moved to {} and rebuilding", p, reason, aside.getFileName());
        try {
            Files.move(p, aside, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e2) {
                LOG.warn("engine cache: cannot remove rejected plan {}: {}", p, e2.toString());
            }
        }
    }

    /** Builds a plan when the cache has none; may take minutes. */
    @FunctionalInterface
    public interface PlanBuilder {
        /** @return the serialized plan */
        byte[] build();
    }

    /**
     * Result of {@link #getOrBuild}.
     *
     * @param plan the serialized engine
     * @param seconds load time on a hit, build time on a miss
     * @param path the plan file (local)
     * @param source where the plan came from
     */
    public record Lookup(byte[] plan, double seconds, Path path, Source source) {
        /** Whether it came from a cache (this host's or the shared one) rather than a build. */
        public boolean hit() {
            return source != Source.BUILT;
        }
    }

    /** Where a {@link Lookup}'s plan came from. */
    public enum Source {
        /** This host's cache directory. */
        LOCAL,
        /** Downloaded from the {@link SharedPlanStore} (and kept locally). */
        SHARED,
        /** Built here (and stored locally, uploaded to the shared store if any). */
        BUILT;

        /** {@code local}, {@code shared} or {@code built}, as logged. */
        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Returns the cached plan of {@code key}, or builds, stores and returns it; a build happens once even when several
     * threads (slots of a TaskManager) or processes on this host ask at the same time. Logs the key, hit or miss, and
     * the load or build time.
     *
     * @throws InferenceException if the build fails
     */
    public Lookup getOrBuild(PlanCacheKey key, PlanBuilder builder) {
        Path target = pathOf(key);
        long t0 = System.nanoTime();
        Optional<CachedPlan> hit = load(key);
        if (hit.isPresent()) {
            return logHit(key, hit.get(), t0);
        }
        ReentrantLock lock = JVM_LOCKS.computeIfAbsent(target.toAbsolutePath().toString(), k -> new ReentrantLock());
        lock.lock();
        try {
            hit = load(key); // built by another thread while we waited
            if (hit.isPresent()) {
                return logHit(key, hit.get(), t0);
            }
            Path lockFile = target.resolveSibling(target.getFileName() + ".lock");
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock fl = ch.lock()) {
                hit = load(key); // built by another process while we waited
                if (hit.isPresent()) {
                    return logHit(key, hit.get(), t0);
                }
                Optional<Lookup> fetched = fetchShared(key, target, t0);
                if (fetched.isPresent()) {
                    return fetched.get();
                }
                LOG.info("engine cache: MISS {} key {{}}: building", target.getFileName(), key.describe());
                long b0 = System.nanoTime();
                byte[] plan = builder.build();
                double seconds = (System.nanoTime() - b0) / 1e9;
                byte[] file = storeFile(key, plan, seconds);
                LOG.info("engine cache: built {} in {} s", target.getFileName(),
                        String.format(java.util.Locale.ROOT, "%.1f", seconds));
                upload(key, file);
                return new Lookup(plan, seconds, target, Source.BUILT);
            } catch (IOException e) {
                throw new InferenceException("engine cache lock " + lockFile + " failed: " + e, e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The plan of {@code key} from the shared store, verified and kept locally; empty if none or it is bad. */
    private Optional<Lookup> fetchShared(PlanCacheKey key, Path target, long t0) {
        if (shared == null) {
            return Optional.empty();
        }
        Optional<byte[]> file = shared.read(key.fileName());
        if (file.isEmpty()) {
            LOG.info("engine cache: shared store {} has no {} either", shared, key.fileName());
            return Optional.empty();
        }
        CachedPlan cp;
        try {
            cp = verify(file.get(), key, target);
        } catch (CorruptPlanException e) {
            shared.reject(key.fileName(), file.get(), e.getMessage());
            return Optional.empty();
        }
        writeAtomically(target, file.get());
        double s = (System.nanoTime() - t0) / 1e9;
        LOG.info("engine cache: SHARED HIT {} ({} bytes from {}, in {} s; originally built in {} s), stored in {}",
                key.fileName(), cp.plan().length, shared, String.format(java.util.Locale.ROOT, "%.3f", s),
                String.format(java.util.Locale.ROOT, "%.1f", cp.buildSeconds()), dir);
        return Optional.of(new Lookup(cp.plan(), s, target, Source.SHARED));
    }

    /** Uploads a plan file built here to the shared store; a failure is logged, not thrown. */
    private void upload(PlanCacheKey key, byte[] file) {
        if (shared == null) {
            return;
        }
        try {
            shared.write(key.fileName(), file);
            LOG.info("engine cache: uploaded {} to {}", key.fileName(), shared.uriOf(key.fileName()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("engine cache: upload of {} to {} failed: {} (the plan stays in {})", key.fileName(), shared,
                    e.toString(), dir);
        }
    }

    /**
     * Removes the plan of {@code key} from this cache and moves the shared copy aside, e.g. after TensorRT refused to
     * deserialize it, so that the next {@link #getOrBuild} builds it again. The shared copy is kept when it is no longer
     * the refused plan (another TaskManager uploaded a new one meanwhile).
     *
     * @param reason why, logged
     * @throws InferenceException if the local file exists and cannot be deleted
     */
    public void discard(PlanCacheKey key, String reason) {
        Path p = pathOf(key);
        LOG.warn("engine cache: discarding {}: {}", p, reason);
        byte[] refused;
        try {
            refused = Files.exists(p) ? Files.readAllBytes(p) : null;
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new InferenceException("cannot delete refused plan " + p + ": " + e, e);
        }
        if (shared != null) {
            shared.reject(key.fileName(), refused, reason); // the shared copy only if it is the refused plan
        }
    }

    private Lookup logHit(PlanCacheKey key, CachedPlan cp, long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        LOG.info("engine cache: HIT {} ({} bytes, loaded in {} s; originally built in {} s) key {{}}",
                cp.path().getFileName(), cp.plan().length, String.format(java.util.Locale.ROOT, "%.3f", s),
                String.format(java.util.Locale.ROOT, "%.1f", cp.buildSeconds()), key.describe());
        return new Lookup(cp.plan(), s, cp.path(), Source.LOCAL);
    }

    /** Reads a whole small file, or empty if absent (timing and calibration caches). */
    static Optional<byte[]> readIfPresent(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            return Optional.of(in.readAllBytes());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("cannot read {}: {}", p, e.toString());
            return Optional.empty();
        }
    }
}

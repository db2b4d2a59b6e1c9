package io.flinkvision.jobs.soak;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;

/**
 * One reading of the process's memory during a soak run, in bytes.
 *
 * @param seconds seconds since the measured run started (the first output read)
 * @param rssBytes resident set size ({@code VmRSS} of {@code /proc/self/status}): everything, native included
 * @param heapUsedBytes Java heap in use now (garbage included)
 * @param heapAfterGcBytes Java heap in use right after a {@code System.gc()} (live data), or, when the sample was
 *     taken without one, after the last collection of each heap pool (-1 if unknown)
 * @param directBytes NIO direct buffers ({@code BufferPoolMXBean "direct"})
 * @param mappedBytes NIO memory-mapped buffers ({@code BufferPoolMXBean "mapped"}: the Kafka broker's index files)
 * @param javacppPhysicalBytes JavaCPP {@code Pointer.physicalBytes()} (its view of the process's physical memory)
 * @param javacppTotalBytes JavaCPP {@code Pointer.totalBytes()}: native memory held by live JavaCPP pointers
 *     (OpenCV Mats and buffers allocated through JavaCPP)
 * @param threads live Java threads
 * @param framesSent frames the producer has sent
 * @param outputs committed detection records + dead letters read back
 */
public record MemorySample(double seconds, long rssBytes, long heapUsedBytes, long heapAfterGcBytes,
        long directBytes, long mappedBytes, long javacppPhysicalBytes, long javacppTotalBytes, int threads,
        long framesSent, long outputs) {

    /** Names of the memory series, in the order of {@link #values()}. */
    public static final String[] SERIES = {"rss", "heapUsed", "heapAfterGc", "direct", "mapped", "javacppPhysical",
        "javacppTotal"};

    /**
     * Reads the process's memory now.
     *
     * @param seconds seconds since the measured run started (the first output read)
     * @param framesSent frames sent so far
     * @param outputs outputs read so far
     * @param collect whether to run {@code System.gc()} (after reading {@code heapUsed}) so that
     *     {@code heapAfterGc} is the live heap, and RSS is read after it
     */
    public static MemorySample take(double seconds, long framesSent, long outputs, boolean collect) {
        long heapUsed = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        if (collect) {
            System.gc();
            long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            return new MemorySample(seconds, readRss(), heapUsed, live, bufferPool("direct"), bufferPool("mapped"),
                    Pointer.physicalBytes(), Pointer.totalBytes(), ManagementFactory.getThreadMXBean().getThreadCount(),
                    framesSent, outputs);
        }
        long heapAfterGc = 0;
        boolean known = false;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isCollectionUsageThresholdSupported()) {
                MemoryUsage u = pool.getCollectionUsage();
                if (u != null) {
                    heapAfterGc += u.getUsed();
                    known = true;
                }
            }
        }
        return new MemorySample(seconds, readRss(), heapUsed, known ? heapAfterGc : -1, bufferPool("direct"), bufferPool("mapped"), Pointer.physicalBytes(),
                Pointer.totalBytes(), ManagementFactory.getThreadMXBean().getThreadCount(), framesSent, outputs);
    }

    /** The memory series of this sample, keyed as {@link #SERIES}. */
    public Map<String, Long> values() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("rss", rssBytes);
        m.put("heapUsed", heapUsedBytes);
        m.put("heapAfterGc", heapAfterGcBytes);
        m.put("direct", directBytes);
        m.put("mapped", mappedBytes);
        m.put("javacppPhysical", javacppPhysicalBytes);
        m.put("javacppTotal", javacppTotalBytes);
        return m;
    }

    /** {@code VmRSS} of {@code /proc/self/status} in bytes, -1 where there is no procfs. */
    static long readRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024; // kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static long bufferPool(String name) {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals(name)) {
                return b.getMemoryUsed();
            }
        }
        return -1;
    }
}

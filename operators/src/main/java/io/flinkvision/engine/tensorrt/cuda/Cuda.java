package io.flinkvision.engine.tensorrt.cuda;

import static org.bytedeco.cuda.global.cudart.cudaDriverGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorName;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMemGetInfo;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

import io.flinkvision.engine.InferenceException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.annotation.Internal;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * CUDA runtime helpers over JavaCPP's {@code org.bytedeco.cuda.global.cudart}: device discovery, error checking that
 * names the call, the CUDA error and the device, and device memory readings.
 *
 * <p>Every CUDA call of the TensorRT backend goes through {@link #check(int, String, int)}, so a failure surfaces as an
 * {@link InferenceException} such as {@code cudaMalloc(38 MB device output) failed on cuda:0 (NVIDIA H200, sm_90):
 * cudaErrorMemoryAllocation: out of memory}.
 */
@Internal
public final class Cuda {
    private static final Map<Integer, DeviceInfo> DEVICES = new ConcurrentHashMap<>();
    private static volatile String loadFailure;
    private static volatile boolean loaded;

    private Cuda() {}

    /**
     * A CUDA device as the engine cache key and the logs name it.
     *
     * @param index CUDA device ordinal
     * @param name marketing name, e.g. {@code NVIDIA H200}
     * @param major compute capability major (9 for Hopper)
     * @param minor compute capability minor
     * @param totalMemoryBytes device memory in bytes
     */
    public record DeviceInfo(int index, String name, int major, int minor, long totalMemoryBytes) {
        /** Compute capability as {@code sm_90}. */
        public String smName() {
            return "sm_" + major + minor;
        }

        /** {@code cuda:0 NVIDIA H200 (sm_90)}. */
        public String describe() {
            return "cuda:" + index + " " + name + " (" + smName() + ")";
        }
    }

    /**
     * Device memory of one device at one instant.
     *
     * @param freeBytes free bytes as the driver reports them ({@code cudaMemGetInfo})
     * @param totalBytes total bytes of the device
     */
    public record MemoryInfo(long freeBytes, long totalBytes) {
        /** Bytes in use by every process on the device: {@code total - free}. */
        public long usedBytes() {
            return totalBytes - freeBytes;
        }
    }

    /**
     * Loads the CUDA runtime through JavaCPP once; returns why it cannot, or empty when it loaded. Never throws.
     * Failure causes: the JNI jar {@code org.bytedeco:cuda:...:linux-x86_64} is missing, or {@code libcudart.so.12}
     * is not on the library path.
     */
    public static synchronized Optional<String> load() {
        if (loaded) {
            return Optional.empty();
        }
        if (loadFailure != null) {
            return Optional.of(loadFailure);
        }
        try {
            Loader.load(org.bytedeco.cuda.global.cudart.class);
            loaded = true;
            return Optional.empty();
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
            loadFailure = "the CUDA runtime (libcudart.so.12 via JavaCPP org.bytedeco:cuda) does not load: " + t;
            return Optional.of(loadFailure);
        }
    }

    /**
     * Number of CUDA devices visible to this process; 0 when the runtime does not load or no driver/device is present.
     */
    public static int deviceCount() {
        if (load().isPresent()) {
            return 0;
        }
        int[] n = new int[1];
        int err = cudaGetDeviceCount(n);
        return err == cudaSuccess ? n[0] : 0;
    }

    /**
     * Why device {@code index} cannot be used (runtime missing, no device, index out of range), or empty.
     * Never throws.
     */
    public static Optional<String> unavailableReason(int index) {
        Optional<String> load = load();
        if (load.isPresent()) {
            return load;
        }
        int[] n = new int[1];
        int err = cudaGetDeviceCount(n);
        if (err != cudaSuccess) {
            return Optional.of("cudaGetDeviceCount failed: " + errorText(err) + " (no NVIDIA driver or GPU visible)");
        }
        if (n[0] == 0) {
            return Optional.of("no CUDA device is visible to this process");
        }
        if (index < 0 || index >= n[0]) {
            return Optional.of("CUDA device index " + index + " is out of range: " + n[0]
                    + " device(s) visible (set inference.device-index or the Flink external resource 'gpu')");
        }
        return Optional.empty();
    }

    /**
     * Properties of device {@code index} (cached).
     *
     * @throws InferenceException if the runtime does not load or the device does not exist
     */
    public static DeviceInfo device(int index) {
        DeviceInfo cached = DEVICES.get(index);
        if (cached != null) {
            return cached;
        }
        Optional<String> why = unavailableReason(index);
        if (why.isPresent()) {
            throw new InferenceException("CUDA device " + index + " unavailable: " + why.get());
        }
        try (cudaDeviceProp p = new cudaDeviceProp()) {
            int err = cudaGetDeviceProperties(p, index);
            if (err != cudaSuccess) {
                throw new InferenceException("cudaGetDeviceProperties failed on cuda:" + index + ": " + errorText(err));
            }
            BytePointer nameBytes = p.name();
            String name = nameBytes.getString().trim();
            DeviceInfo info = new DeviceInfo(index, name, p.major(), p.minor(), p.totalGlobalMem());
            DEVICES.put(index, info);
            return info;
        }
    }

    /** Makes {@code index} the calling thread's current device. */
    public static void setDevice(int index) {
        check(cudaSetDevice(index), "cudaSetDevice(" + index + ")", index);
    }

    /** Free and total device memory of {@code index} ({@code cudaMemGetInfo}, after making it current). */
    public static MemoryInfo memory(int index) {
        setDevice(index);
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            check(cudaMemGetInfo(free, total), "cudaMemGetInfo", index);
            return new MemoryInfo(free.get(), total.get());
        }
    }

    /** {@code runtime 12.6, driver 13.0}. */
    public static String versions() {
        int[] rt = new int[1];
        int[] drv = new int[1];
        cudaRuntimeGetVersion(rt);
        cudaDriverGetVersion(drv);
        return "runtime " + rt[0] / 1000 + "." + (rt[0] % 1000) / 10 + ", driver " + drv[0] / 1000 + "."
                + (drv[0] % 1000) / 10;
    }

    /**
     * Throws unless {@code err} is {@code cudaSuccess}.
     *
     * @param err a CUDA runtime return code
     * @param call what was called, with its arguments in words, e.g. {@code cudaMemcpyAsync(H2D 16 MB)}
     * @param device the device the call ran on (named in the message)
     * @throws InferenceException naming the call, the CUDA error name and string, and the device
     */
    public static void check(int err, String call, int device) {
        if (err != cudaSuccess) {
            throw new InferenceException(call + " failed on " + deviceLabel(device) + ": " + errorText(err));
        }
    }

    /** {@code cudaErrorMemoryAllocation: out of memory}. */
    public static String errorText(int err) {
        try {
            BytePointer n = cudaGetErrorName(err);
            BytePointer s = cudaGetErrorString(err);
            return (n == null ? "cudaError " + err : n.getString()) + ": " + (s == null ? "?" : s.getString());
        } catch (Throwable t) {
            return "cudaError " + err;
        }
    }

    /** {@code cuda:0 (NVIDIA H200, sm_90)}, or {@code cuda:0} when the properties are not known yet. */
    public static String deviceLabel(int device) {
        DeviceInfo d = DEVICES.get(device);
        return d == null ? "cuda:" + device : "cuda:" + device + " (" + d.name() + ", " + d.smName() + ")";
    }
}

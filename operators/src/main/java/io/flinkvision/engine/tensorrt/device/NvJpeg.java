package io.flinkvision.engine.tensorrt.device;

import io.flinkvision.engine.tensorrt.cuda.Cuda;

import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_BACKEND_HARDWARE;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_FLAGS_DEFAULT;
import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegCreateEx;

import io.flinkvision.engine.InferenceException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.annotation.Internal;
import org.bytedeco.cuda.nvjpeg.nvjpegDevAllocator_t;
import org.bytedeco.cuda.nvjpeg.nvjpegHandle;
import org.bytedeco.cuda.nvjpeg.nvjpegPinnedAllocator_t;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nvJPEG library handles with the hardware backend ({@code NVJPEG_BACKEND_HARDWARE}: the GPU's fixed-function JPEG
 * decoder, NVJPG, present on A100, A30, H100 and H200; batched decode of baseline files only), one per device and JVM,
 * created on first use and kept for the JVM's life (a handle is thread-safe; nvJPEG guide, "Thread Safety"). Where
 * the hardware backend is not available ({@code nvjpegCreateEx} returns {@code NVJPEG_STATUS_ARCH_MISMATCH} or
 * {@code NVJPEG_STATUS_JPEG_NOT_SUPPORTED} on GPUs without it), or {@code libnvjpeg.so.12} does not load, the reason
 * is kept and JPEG stays on the CPU: nvJPEG's other backends decode the Huffman stream on the calling thread, which in
 * the operator is the one dispatch thread, slower than the pre-processing pool's cores.
 */
@Internal
public final class NvJpeg {
    private static final Logger LOG = LoggerFactory.getLogger(NvJpeg.class);
    private static final Map<Integer, Object> HANDLES = new ConcurrentHashMap<>(); // nvjpegHandle or String (why not)

    private NvJpeg() {}

    /** Why the hardware JPEG decoder cannot be used on {@code device}, or empty when it can. Never throws. */
    public static Optional<String> unavailableReason(int device) {
        Object h = HANDLES.computeIfAbsent(device, NvJpeg::create);
        return h instanceof String why ? Optional.of(why) : Optional.empty();
    }

    /**
     * The device's hardware-backend handle.
     *
     * @throws InferenceException naming why there is none
     */
    static nvjpegHandle handle(int device) {
        Object h = HANDLES.computeIfAbsent(device, NvJpeg::create);
        if (h instanceof String why) {
            throw new InferenceException("nvJPEG hardware decoder unavailable on " + Cuda.deviceLabel(device) + ": "
                    + why);
        }
        return (nvjpegHandle) h;
    }

    private static Object create(int device) {
        try {
            Loader.load(org.bytedeco.cuda.global.nvjpeg.class);
            Cuda.setDevice(device);
            nvjpegHandle handle = new nvjpegHandle();
            int status = nvjpegCreateEx(NVJPEG_BACKEND_HARDWARE, (nvjpegDevAllocator_t) null,
                    (nvjpegPinnedAllocator_t) null, NVJPEG_FLAGS_DEFAULT, handle);
            if (status != NVJPEG_STATUS_SUCCESS) {
                String why = "nvjpegCreateEx(NVJPEG_BACKEND_HARDWARE) returned " + statusName(status)
                        + " (this GPU has no hardware JPEG decoder)";
                LOG.info("JPEG decode on the GPU off on {}: {}", Cuda.deviceLabel(device), why);
                return why;
            }
            LOG.info("nvJPEG hardware decoder on {}", Cuda.deviceLabel(device));
            return handle;
        } catch (Throwable t) { // UnsatisfiedLinkError (no libnvjpeg), NoClassDefFoundError, InferenceException
            String why = "nvJPEG does not load: " + t;
            LOG.info("JPEG decode on the GPU off on {}: {}", Cuda.deviceLabel(device), why);
            return why;
        }
    }

    /**
     * Throws unless {@code status} is {@code NVJPEG_STATUS_SUCCESS}.
     *
     * @param status an nvJPEG return code
     * @param call what was called, in words
     * @param device the device, named in the message
     * @throws InferenceException naming the call, the status and the device
     */
    static void check(int status, String call, int device) {
        if (status != NVJPEG_STATUS_SUCCESS) {
            throw new InferenceException(call + " failed on " + Cuda.deviceLabel(device) + ": " + statusName(status));
        }
    }

    /** The {@code nvjpegStatus_t} name of a return code (nvjpeg.h). */
    static String statusName(int status) {
        return switch (status) {
            case 0 -> "NVJPEG_STATUS_SUCCESS";
            case 1 -> "NVJPEG_STATUS_NOT_INITIALIZED";
            case 2 -> "NVJPEG_STATUS_INVALID_PARAMETER";
            case 3 -> "NVJPEG_STATUS_BAD_JPEG";
            case 4 -> "NVJPEG_STATUS_JPEG_NOT_SUPPORTED";
            case 5 -> "NVJPEG_STATUS_ALLOCATOR_FAILURE";
            case 6 -> "NVJPEG_STATUS_EXECUTION_FAILED";
            case 7 -> "NVJPEG_STATUS_ARCH_MISMATCH";
            case 8 -> "NVJPEG_STATUS_INTERNAL_ERROR";
            case 9 -> "NVJPEG_STATUS_IMPLEMENTATION_NOT_SUPPORTED";
            case 10 -> "NVJPEG_STATUS_INCOMPLETE_BITSTREAM";
            default -> "nvjpegStatus " + status;
        };
    }
}

package io.flinkvision.engine.tensorrt.device;

import io.flinkvision.engine.tensorrt.cuda.Cuda;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTX;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTXSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

import io.flinkvision.engine.InferenceException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The letterbox CUDA kernel: one launch letterboxes a whole batch. Compiled at run time with NVRTC for the device's
 * compute capability (PTX, loaded with {@code cuModuleLoadData}) once per device and JVM, then launched on a slot's
 * stream with {@code cuLaunchKernel}.
 *
 * <p>Kernel {@code letterbox_bgr_to_nchw_u8(src, meta, dst, W, H, pad)}: grid {@code (ceil(W*H/256), N)}, 256
 * threads; thread {@code (p, n)} writes pixel {@code p = y*W + x} of image {@code n} in the three planes of
 * {@code dst} (uint8 NCHW {@code [N, 3, H, W]}, BGR). {@code meta} holds 8 int64 per image: byte offset of the image in
 * {@code src} (BGR HWC uint8, rows packed), source width, source height, resized width, resized height. Pixels right of
 * or below the resized image get {@code pad} (114). Inside, the value is OpenCV's {@code INTER_LINEAR} for 8-bit images
 * (modules/imgproc/src/resize.cpp, {@code resize()} with {@code HResizeLinear} and {@code VResizeLinear}): source
 * coordinate {@code f = (float)((d + 0.5) * scale - 0.5)} with {@code scale = 1 / (dstSize / srcSize)} in double,
 * {@code i = floor(f)}, clamped to the border with weight 0 outside; weights {@code saturate_cast<short>(w * 2048)}
 * (INTER_RESIZE_COEF_BITS = 11); horizontal sums in int; vertical step as OpenCV's SIMD
 * {@code VResizeLinearVec_32s8u}: {@code ((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16) + 2 >> 2}. So the model sees
 * the pixels the host {@link io.flinkvision.imaging.Letterbox} makes, to within a level where OpenCV takes another
 * code path.
 */
final class LetterboxKernel {
    private static final Logger LOG = LoggerFactory.getLogger(LetterboxKernel.class);

    /** Threads per block. */
    static final int BLOCK = 256;
    /** int64 values per image in the meta table. */
    static final int META_LONGS = 8;

    static final String NAME = "letterbox_bgr_to_nchw_u8";
    static final String SOURCE = """
            extern "C" __global__ void letterbox_bgr_to_nchw_u8(const unsigned char* __restrict__ src,
                    const long long* __restrict__ meta, unsigned char* __restrict__ dst, int width, int height,
                    int pad) {
                const int n = blockIdx.y;
                const int plane = width * height;
                const int p = blockIdx.x * blockDim.x + threadIdx.x;
                if (p >= plane) return;
                const int x = p % width;
                const int y = p / width;
                const long long* m = meta + 8 * n;
                const int sw = (int) m[1], sh = (int) m[2], nw = (int) m[3], nh = (int) m[4];
                unsigned char* d = dst + (long long) n * 3 * plane + p;
                if (x >= nw || y >= nh) {
                    d[0] = (unsigned char) pad; d[plane] = (unsigned char) pad; d[2 * plane] = (unsigned char) pad;
                    return;
                }
                const double scaleX = 1.0 / ((double) nw / sw);
                const double scaleY = 1.0 / ((double) nh / sh);
                float fx = (float) ((x + 0.5) * scaleX - 0.5);
                int sx = (int) floorf(fx);
                fx -= sx;
                if (sx < 0) { fx = 0.f; sx = 0; }
                if (sx >= sw - 1) { fx = 0.f; sx = sw - 1; }
                float fy = (float) ((y + 0.5) * scaleY - 0.5);
                int sy = (int) floorf(fy);
                fy -= sy;
                if (sy < 0) { fy = 0.f; sy = 0; }
                if (sy >= sh - 1) { fy = 0.f; sy = sh - 1; }
                const int a0 = __float2int_rn((1.f - fx) * 2048.f), a1 = __float2int_rn(fx * 2048.f);
                const int b0 = __float2int_rn((1.f - fy) * 2048.f), b1 = __float2int_rn(fy * 2048.f);
                const int sx1 = min(sx + 1, sw - 1), sy1 = min(sy + 1, sh - 1);
                const unsigned char* r0 = src + m[0] + (long long) sy * sw * 3;
                const unsigned char* r1 = src + m[0] + (long long) sy1 * sw * 3;
                for (int c = 0; c < 3; c++) {
                    int s0 = r0[sx * 3 + c] * a0 + r0[sx1 * 3 + c] * a1;
                    int s1 = r1[sx * 3 + c] * a0 + r1[sx1 * 3 + c] * a1;
                    int v = ((((s0 >> 4) * b0) >> 16) + (((s1 >> 4) * b1) >> 16) + 2) >> 2;
                    d[c * plane] = (unsigned char) min(max(v, 0), 255);
                }
            }
            """;

    private static final Map<Integer, CUfunc_st> FUNCTIONS = new ConcurrentHashMap<>();

    private LetterboxKernel() {}

    /**
     * The kernel on {@code device}, compiled and loaded on first use (the device must be current).
     *
     * @throws InferenceException if NVRTC, the module load or the function lookup fails (with the compiler log)
     */
    static CUfunc_st function(int device) {
        return FUNCTIONS.computeIfAbsent(device, LetterboxKernel::compileAndLoad);
    }

    private static CUfunc_st compileAndLoad(int device) {
        long t0 = System.nanoTime();
        Cuda.setDevice(device);
        Cuda.DeviceInfo info = Cuda.device(device);
        String arch = "--gpu-architecture=compute_" + info.major() + info.minor();
        _nvrtcProgram prog = new _nvrtcProgram();
        nvrtcCheck(nvrtcCreateProgram(prog, new BytePointer(SOURCE), new BytePointer(NAME + ".cu"), 0,
                (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram", device);
        try {
            PointerPointer<BytePointer> options = new PointerPointer<>(arch, "--std=c++11");
            int rc = nvrtcCompileProgram(prog, 2, options);
            if (rc != NVRTC_SUCCESS) {
                throw new InferenceException("nvrtcCompileProgram(" + NAME + ", " + arch + ") failed on "
                        + Cuda.deviceLabel(device) + ": " + nvrtcGetErrorString(rc).getString() + "\n" + log(prog));
            }
            SizeTPointer size = new SizeTPointer(1);
            nvrtcCheck(nvrtcGetPTXSize(prog, size), "nvrtcGetPTXSize", device);
            BytePointer ptx = new BytePointer(size.get());
            nvrtcCheck(nvrtcGetPTX(prog, ptx), "nvrtcGetPTX", device);
            CUmod_st module = new CUmod_st();
            driverCheck(cuModuleLoadData(module, ptx), "cuModuleLoadData(" + NAME + " PTX)", device);
            CUfunc_st fn = new CUfunc_st();
            driverCheck(cuModuleGetFunction(fn, module, NAME), "cuModuleGetFunction(" + NAME + ")", device);
            LOG.info("letterbox kernel compiled (NVRTC, {}) and loaded on {} in {} ms", arch,
                    Cuda.deviceLabel(device), (System.nanoTime() - t0) / 1_000_000);
            return fn;
        } finally {
            nvrtcDestroyProgram(prog);
        }
    }

    /**
     * Arguments of one launch, kept per slot so that a launch allocates nothing: {@code cuLaunchKernel} takes an array
     * of pointers to the argument values.
     */
    static final class Args implements AutoCloseable {
        private final LongPointer src = new LongPointer(1);
        private final LongPointer meta = new LongPointer(1);
        private final LongPointer dst = new LongPointer(1);
        private final IntPointer width = new IntPointer(1);
        private final IntPointer height = new IntPointer(1);
        private final IntPointer pad = new IntPointer(1);
        private final PointerPointer<Pointer> array = new PointerPointer<>(src, meta, dst, width, height, pad);

        @Override
        public void close() {
            array.close();
            for (Pointer p : new Pointer[] {src, meta, dst, width, height, pad}) {
                p.close();
            }
        }
    }

    /**
     * Queues one launch on {@code stream}.
     *
     * @param src device address of the source bytes
     * @param meta device address of the meta table ({@link #META_LONGS} int64 per image)
     * @param dst device address of the NCHW uint8 input
     * @param images batch size N (grid y)
     * @throws InferenceException naming {@code cuLaunchKernel} and the error
     */
    static void launch(int device, CUstream_st stream, Args a, long src, long meta, long dst, int width, int height,
            int pad, int images) {
        a.src.put(0, src);
        a.meta.put(0, meta);
        a.dst.put(0, dst);
        a.width.put(0, width);
        a.height.put(0, height);
        a.pad.put(0, pad);
        int blocks = (width * height + BLOCK - 1) / BLOCK;
        driverCheck(cuLaunchKernel(function(device), blocks, images, 1, BLOCK, 1, 1, 0, stream, a.array, null),
                "cuLaunchKernel(" + NAME + ", " + images + " images)", device);
    }

    private static String log(_nvrtcProgram prog) {
        SizeTPointer size = new SizeTPointer(1);
        if (nvrtcGetProgramLogSize(prog, size) != NVRTC_SUCCESS || size.get() <= 1) {
            return "(no compiler log)";
        }
        BytePointer log = new BytePointer(size.get());
        nvrtcGetProgramLog(prog, log);
        return log.getString();
    }

    private static void nvrtcCheck(int rc, String call, int device) {
        if (rc != NVRTC_SUCCESS) {
            throw new InferenceException(call + " failed on " + Cuda.deviceLabel(device) + ": "
                    + nvrtcGetErrorString(rc).getString());
        }
    }

    private static void driverCheck(int rc, String call, int device) {
        if (rc != CUDA_SUCCESS) {
            String text = "CUresult " + rc;
            try (PointerPointer<BytePointer> s = new PointerPointer<>(1)) {
                if (cuGetErrorString(rc, s) == CUDA_SUCCESS && s.get(0) != null) {
                    text = new BytePointer(s.get(0)).getString() + " (CUresult " + rc + ")";
                }
            }
            throw new InferenceException(call + " failed on " + Cuda.deviceLabel(device) + ": " + text);
        }
    }
}

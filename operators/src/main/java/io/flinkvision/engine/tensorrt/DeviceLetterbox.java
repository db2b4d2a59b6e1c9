package io.flinkvision.engine.tensorrt;

import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaStreamGetFlags;
import static org.bytedeco.cuda.global.nppc.NPPI_INTER_LINEAR;
import static org.bytedeco.cuda.global.nppc.nppGetLibVersion;
import static org.bytedeco.cuda.global.nppc.nppGetStreamContext;
import static org.bytedeco.cuda.global.nppidei.nppiCopy_8u_C3P3R_Ctx;
import static org.bytedeco.cuda.global.nppig.nppiResize_8u_C3R_Ctx;

import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.SourceBatch;
import io.flinkvision.imaging.Letterbox;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.bytedeco.cuda.nppc.NppLibraryVersion;
import org.bytedeco.cuda.nppc.NppStreamContext;
import org.bytedeco.cuda.nppc.NppiRect;
import org.bytedeco.cuda.nppc.NppiSize;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * YOLOX letterbox on the GPU with NPP, per execution slot: the source frames of a batch (BGR HWC uint8, any sizes,
 * packed in pinned staging, see {@link SourceBatch}) go to the device in one {@code cudaMemcpyAsync}, then on the slot's
 * stream each image is resized bilinearly ({@code nppiResize_8u_C3R_Ctx}, {@code NPPI_INTER_LINEAR}, whole image to
 * {@code resizedWidth x resizedHeight}) into an HWC scratch image and split into the B, G and R planes of its NCHW
 * uint8 input slot ({@code nppiCopy_8u_C3P3R_Ctx}, row pitch = model input width), at the top-left; the input was set
 * to 114 first ({@code cudaMemsetAsync}), which is the padding. The same geometry as the host {@link Letterbox}; the
 * pixels may differ by a few levels where NPP's and OpenCV's bilinear kernels round differently (the GPU checks
 * report the difference and the detections' agreement).
 *
 * <p>Memory per slot: pinned staging and a device copy of it, grown to the largest batch seen (1.33 MB per 768x576
 * frame), and one {@code 3*H*W} device scratch image. NPP needs {@code libnppc}, {@code libnppig} and
 * {@code libnppidei} (CUDA 12). Not thread-safe: one batch uses a slot at a time.
 */
final class DeviceLetterbox implements SourceBatch.Staging, AutoCloseable {
    private static volatile String unavailable;
    private static volatile boolean probed;

    private final int device;
    private final int slot;
    private final int width;
    private final int height;
    private final NppStreamContext npp = new NppStreamContext();
    private final DeviceBuffer resized;
    /** The three destination plane addresses of {@code nppiCopy_8u_C3P3R_Ctx} ({@code Npp8u* aDst[3]}). */
    private final LongPointer planeAddresses = new LongPointer(3);
    private final PointerPointer<BytePointer> planes = new PointerPointer<>((org.bytedeco.javacpp.Pointer) planeAddresses);
    private final NppiSize srcSize = new NppiSize();
    private final NppiRect srcRoi = new NppiRect();
    private final NppiSize dstSize = new NppiSize();
    private final NppiRect dstRoi = new NppiRect();
    private final NppiSize copySize = new NppiSize();
    private final BytePointer resizedPtr;
    private PinnedBuffer staging;
    private DeviceBuffer deviceStaging;

    /**
     * Whether NPP's resize and copy libraries load, and their version: empty when usable, else the reason.
     */
    static Optional<String> unavailableReason() {
        if (!probed) {
            synchronized (DeviceLetterbox.class) {
                if (!probed) {
                    try {
                        Loader.load(org.bytedeco.cuda.global.nppc.class);
                        Loader.load(org.bytedeco.cuda.global.nppig.class);
                        Loader.load(org.bytedeco.cuda.global.nppidei.class);
                        NppLibraryVersion v = nppGetLibVersion();
                        if (v == null || v.isNull()) {
                            unavailable = "nppGetLibVersion returned nothing";
                        }
                    } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError
                        unavailable = "NPP libraries (nppc, nppig, nppidei) did not load: " + t;
                    }
                    probed = true;
                }
            }
        }
        return Optional.ofNullable(unavailable);
    }

    /**
     * @param device CUDA device
     * @param slot slot index, named in errors
     * @param stream the slot's stream (all work is queued on it)
     * @param width model input width in pixels
     * @param height model input height in pixels
     * @throws InferenceException if NPP cannot be used or the scratch image cannot be allocated
     */
    DeviceLetterbox(int device, int slot, CudaStream stream, int width, int height) {
        this.device = device;
        this.slot = slot;
        this.width = width;
        this.height = height;
        unavailableReason().ifPresent(why -> {
            throw new InferenceException("device letterbox unavailable on " + Cuda.deviceLabel(device) + ": " + why);
        });
        Cuda.setDevice(device);
        nppCheck(nppGetStreamContext(npp), "nppGetStreamContext");
        int[] flags = new int[1];
        Cuda.check(cudaStreamGetFlags(stream.handle(), flags), "cudaStreamGetFlags", device);
        npp.hStream(stream.handle()).nStreamFlags(flags[0]).nCudaDeviceId(device);
        this.resized = new DeviceBuffer(device, 3L * width * height, "slot " + slot + " letterbox scratch");
        this.resizedPtr = new BytePointer(resized.pointer());
    }

    /** Grows the pinned staging (and its device twin at the next {@link #enqueue}) to hold {@code bytes}. */
    @Override
    public ByteBuffer ensureCapacity(long bytes) {
        if (staging == null || staging.bytes() < bytes) {
            long size = Math.min(Integer.MAX_VALUE, Math.max(bytes, staging == null ? 0 : staging.bytes() * 5 / 4));
            if (staging != null) {
                staging.close();
                staging = null;
            }
            staging = new PinnedBuffer(device, size, "slot " + slot + " source staging");
        }
        return staging.buffer();
    }

    /**
     * Queues, on the slot's stream: the H2D copy of the staged bytes, the fill of {@code size} input images with 114,
     * and the resize + plane split of each image into {@code input} (uint8 NCHW {@code [size, 3, H, W]}).
     *
     * @param sources the batch's source images (staged and recorded)
     * @param size images to letterbox
     * @param input device address of the engine's NCHW uint8 input
     * @throws InferenceException naming the CUDA or NPP call that failed
     */
    void enqueue(SourceBatch sources, int size, BytePointer input) {
        long used = sources.usedBytes();
        if (staging == null || used > staging.bytes()) {
            throw new IllegalStateException("source images were not staged with reserve()");
        }
        if (deviceStaging == null || deviceStaging.bytes() < staging.bytes()) {
            if (deviceStaging != null) {
                deviceStaging.close();
                deviceStaging = null;
            }
            deviceStaging = new DeviceBuffer(device, staging.bytes(), "slot " + slot + " device source staging");
        }
        Cuda.check(cudaMemcpyAsync(deviceStaging.pointer(), staging.pointer(), used, cudaMemcpyHostToDevice,
                npp.hStream()), "cudaMemcpyAsync(H2D " + DeviceBuffer.mb(used) + " source frames, slot " + slot + ")",
                device);
        long plane = (long) width * height;
        Cuda.check(cudaMemsetAsync(input, Letterbox.PAD_VALUE, 3 * plane * size, npp.hStream()),
                "cudaMemsetAsync(letterbox padding, slot " + slot + ")", device);
        for (int i = 0; i < size; i++) {
            int sw = sources.width(i);
            int sh = sources.height(i);
            int nw = Math.min(sources.resizedWidth(i), width);
            int nh = Math.min(sources.resizedHeight(i), height);
            BytePointer src = new BytePointer(deviceStaging.pointer()).position(sources.offset(i));
            srcSize.width(sw).height(sh);
            srcRoi.x(0).y(0).width(sw).height(sh);
            dstSize.width(nw).height(nh);
            dstRoi.x(0).y(0).width(nw).height(nh);
            nppCheck(nppiResize_8u_C3R_Ctx(src, 3 * sw, srcSize, srcRoi, resizedPtr, 3 * nw, dstSize, dstRoi,
                    NPPI_INTER_LINEAR, npp), "nppiResize_8u_C3R_Ctx(" + sw + "x" + sh + " -> " + nw + "x" + nh + ")");
            long base = input.address() + input.position() + i * 3 * plane;
            for (int c = 0; c < 3; c++) {
                planeAddresses.put(c, base + c * plane);
            }
            copySize.width(nw).height(nh);
            nppCheck(nppiCopy_8u_C3P3R_Ctx(resizedPtr, 3 * nw, planes, width, copySize, npp),
                    "nppiCopy_8u_C3P3R_Ctx(" + nw + "x" + nh + ")");
        }
    }

    /** Pinned bytes held (staging). */
    long pinnedBytes() {
        return staging == null ? 0 : staging.bytes();
    }

    /** Device bytes held (scratch image and staging twin). */
    long deviceBytes() {
        return resized.bytes() + (deviceStaging == null ? 0 : deviceStaging.bytes());
    }

    private void nppCheck(int status, String call) {
        if (status < 0) { // NPP: 0 success, > 0 warnings, < 0 errors (nppdefs.h NppStatus)
            throw new InferenceException(call + " failed on " + Cuda.deviceLabel(device) + ", slot " + slot
                    + ": NppStatus " + status);
        }
    }

    /** Frees the staging, its device twin and the scratch image (the stream must be idle). */
    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable c : new AutoCloseable[] {deviceStaging, staging, resized}) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException ? (RuntimeException) e : new InferenceException(e.toString(), e);
                }
            }
        }
        planeAddresses.close();
        npp.close();
        if (first != null) {
            throw first;
        }
    }
}

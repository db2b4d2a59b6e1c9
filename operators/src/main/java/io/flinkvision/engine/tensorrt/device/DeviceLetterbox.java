package io.flinkvision.engine.tensorrt.device;

import io.flinkvision.engine.tensorrt.cuda.Cuda;
import io.flinkvision.engine.tensorrt.cuda.CudaStream;
import io.flinkvision.engine.tensorrt.cuda.DeviceBuffer;
import io.flinkvision.engine.tensorrt.cuda.NativeResources;
import io.flinkvision.engine.tensorrt.cuda.PinnedBuffer;

import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import io.flinkvision.engine.InferenceException;
import io.flinkvision.tensor.SourceBatch;
import io.flinkvision.imaging.Letterbox;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.util.Optional;
import org.apache.flink.annotation.Internal;

/**
 * YOLOX letterbox on the GPU, per execution slot: the source frames of a batch (BGR HWC uint8, any sizes, packed in
 * pinned staging, see {@link SourceBatch}) and a small table of their geometry go to the device in two
 * {@code cudaMemcpyAsync}, then one {@link LetterboxKernel} launch on the slot's stream writes the whole NCHW uint8
 * input {@code [N, 3, H, W]}: OpenCV's bilinear resize to {@code resizedWidth x resizedHeight} at the top-left, 114
 * elsewhere. The same geometry and interpolation as the host {@link Letterbox}.
 *
 * <p>With a {@link DeviceJpegDecoder}, images staged as JPEG files ({@link SourceBatch#isJpeg}) are not copied as
 * they are: the hardware decoder reads them from the pinned staging and writes their BGR pixels into the device
 * staging after the copied pixel images, on the same stream, before the kernel. Device staging layout:
 * {@code [0, pixelBytes)} the host's pixel images byte for byte, then each JPEG image's {@code H*W*3} decoded bytes at
 * a {@link SourceBatch#ALIGNMENT}-aligned offset, in image order.
 *
 * <p>Memory per slot: pinned staging and device staging, grown to the largest batch seen (1.33 MB per 768x576
 * frame, pixels or decoded), and a 64-byte-per-image meta table (pinned and device). Not thread-safe: one batch uses
 * a slot at a time.
 */
@Internal
public final class DeviceLetterbox implements SourceBatch.Staging, AutoCloseable {
    private final int device;
    private final int slot;
    private final int width;
    private final int height;
    private final CudaStream stream;
    private final PinnedBuffer hostMeta;
    private final DeviceBuffer deviceMeta;
    private final LongBuffer meta;
    private final LetterboxKernel.Args args = new LetterboxKernel.Args();
    private final DeviceJpegDecoder jpeg;
    private final long[] jpegHost;
    private final int[] jpegLength;
    private final long[] jpegDevice;
    private final int[] jpegWidth;
    private final long[] deviceOffset;
    private PinnedBuffer staging;
    private DeviceBuffer deviceStaging;

    /**
     * Whether the letterbox kernel can run on {@code device}: empty when it compiled and loaded (NVRTC), else why not.
     */
    public static Optional<String> unavailableReason(int device) {
        try {
            LetterboxKernel.function(device);
            return Optional.empty();
        } catch (Throwable t) { // InferenceException, UnsatisfiedLinkError (no libnvrtc), NoClassDefFoundError
            return Optional.of(t.toString());
        }
    }

    /**
     * @param device CUDA device
     * @param slot slot index, named in errors
     * @param stream the slot's stream (all work is queued on it)
     * @param width model input width in pixels
     * @param height model input height in pixels
     * @param maxBatch largest batch
     * @param jpeg the slot's JPEG decoder (closed with this object), or null when JPEG files are not taken
     * @throws InferenceException if the kernel cannot be loaded or the meta table cannot be allocated
     */
    public DeviceLetterbox(int device, int slot, CudaStream stream, int width, int height, int maxBatch,
            DeviceJpegDecoder jpeg) {
        this.device = device;
        this.slot = slot;
        this.width = width;
        this.height = height;
        this.stream = stream;
        LetterboxKernel.function(device);
        long metaBytes = 8L * LetterboxKernel.META_LONGS * maxBatch;
        PinnedBuffer hm = new PinnedBuffer(device, metaBytes, "slot " + slot + " letterbox meta");
        try {
            this.deviceMeta = new DeviceBuffer(device, metaBytes, "slot " + slot + " device letterbox meta");
        } catch (RuntimeException e) {
            hm.close();
            throw e;
        }
        this.hostMeta = hm;
        this.meta = hm.buffer().asLongBuffer();
        this.jpeg = jpeg;
        this.jpegHost = new long[maxBatch];
        this.jpegLength = new int[maxBatch];
        this.jpegDevice = new long[maxBatch];
        this.jpegWidth = new int[maxBatch];
        this.deviceOffset = new long[maxBatch];
    }

    /** Whether this slot takes JPEG files and decodes them on the device. */
    public boolean decodesJpeg() {
        return jpeg != null;
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
     * Queues, on the slot's stream: the H2D copy of the staged pixel images and the hardware decode of the staged
     * JPEG files into the device staging, the H2D copy of the geometry table, then the letterbox kernel over
     * {@code size} images into {@code input}.
     *
     * @param sources the batch's source images (staged and recorded)
     * @param size images to letterbox
     * @param input device address where the first of them goes in the engine's uint8 NCHW input (image {@code i}
     *     at {@code input + i * 3*H*W}; after the host-letterboxed images of a mixed batch)
     * @throws InferenceException naming the CUDA or nvJPEG call that failed (or the JPEG file the decoder does not
     *     take)
     * @throws IllegalStateException if nothing was staged, or JPEG files were staged and this slot has no decoder
     */
    public void enqueue(SourceBatch sources, int size, long input) {
        long used = sources.usedBytes();
        if (staging == null || used > staging.bytes()) {
            throw new IllegalStateException("source images were not staged with reserve()");
        }
        long pixels = sources.pixelBytes();
        long deviceEnd = pixels;
        int files = 0;
        for (int i = 0; i < size; i++) {
            if (sources.isJpeg(i)) {
                if (jpeg == null) {
                    throw new IllegalStateException("image " + i + " is a JPEG file and slot " + slot
                            + " does not decode JPEG on the device");
                }
                deviceOffset[i] = deviceEnd;
                jpegHost[files] = staging.pointer().address() + sources.offset(i);
                jpegLength[files] = sources.jpegLength(i);
                jpegWidth[files] = sources.width(i);
                jpegDevice[files] = deviceEnd; // made absolute once the device staging is sized
                files++;
                deviceEnd += SourceBatch.align(SourceBatch.imageBytes(sources.width(i), sources.height(i)));
            } else {
                deviceOffset[i] = sources.offset(i);
            }
        }
        ensureDeviceStaging(deviceEnd);
        long base = deviceStaging.pointer().address();
        for (int k = 0; k < files; k++) {
            jpegDevice[k] += base;
        }
        for (int i = 0; i < size; i++) {
            int m = i * LetterboxKernel.META_LONGS;
            meta.put(m, deviceOffset[i]);
            meta.put(m + 1, sources.width(i));
            meta.put(m + 2, sources.height(i));
            meta.put(m + 3, Math.min(sources.resizedWidth(i), width));
            meta.put(m + 4, Math.min(sources.resizedHeight(i), height));
        }
        if (pixels > 0) {
            Cuda.check(cudaMemcpyAsync(deviceStaging.pointer(), staging.pointer(), pixels, cudaMemcpyHostToDevice,
                    stream.handle()), "cudaMemcpyAsync(H2D " + DeviceBuffer.mb(pixels) + " source frames, slot "
                    + slot + ")", device);
        }
        if (files > 0) {
            jpeg.decode(jpegHost, jpegLength, jpegDevice, jpegWidth, files, stream.handle());
        }
        long metaBytes = 8L * LetterboxKernel.META_LONGS * size;
        Cuda.check(cudaMemcpyAsync(deviceMeta.pointer(), hostMeta.pointer(), metaBytes, cudaMemcpyHostToDevice,
                stream.handle()), "cudaMemcpyAsync(H2D letterbox meta, slot " + slot + ")", device);
        LetterboxKernel.launch(device, stream.handle(), args, base, deviceMeta.pointer().address(), input, width,
                height, Letterbox.PAD_VALUE, size);
    }

    /** Grows the device staging to at least {@code bytes} (and to the pinned staging's size), a quarter ahead. */
    private void ensureDeviceStaging(long bytes) {
        long need = Math.max(bytes, staging.bytes());
        if (deviceStaging == null || deviceStaging.bytes() < need) {
            long size = deviceStaging == null ? need : Math.max(need, deviceStaging.bytes() * 5 / 4);
            if (deviceStaging != null) {
                deviceStaging.close();
                deviceStaging = null;
            }
            deviceStaging = new DeviceBuffer(device, size, "slot " + slot + " device source staging");
        }
    }

    /** Pinned bytes held (staging and meta table). */
    public long pinnedBytes() {
        return hostMeta.bytes() + (staging == null ? 0 : staging.bytes());
    }

    /** Device bytes held (staging twin and meta table). */
    public long deviceBytes() {
        return deviceMeta.bytes() + (deviceStaging == null ? 0 : deviceStaging.bytes());
    }

    /** Frees the staging, its device twin and the meta table (the stream must be idle). */
    @Override
    public void close() {
        RuntimeException first = NativeResources.closeAll(null, jpeg, deviceStaging, staging, deviceMeta, hostMeta);
        args.close();
        if (first != null) {
            throw first;
        }
    }
}

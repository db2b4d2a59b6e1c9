package io.flinkvision.engine.tensorrt.device;

import io.flinkvision.engine.tensorrt.cuda.Cuda;

import static org.bytedeco.cuda.global.nvjpeg.NVJPEG_OUTPUT_BGRI;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegDecodeBatched;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegDecodeBatchedInitialize;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegDecodeBatchedSupported;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegJpegStateCreate;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegJpegStateDestroy;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegJpegStreamCreate;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegJpegStreamDestroy;
import static org.bytedeco.cuda.global.nvjpeg.nvjpegJpegStreamParseHeader;

import io.flinkvision.engine.InferenceException;
import io.flinkvision.engine.JpegDecodeException;
import org.apache.flink.annotation.Internal;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nvjpeg.nvjpegHandle;
import org.bytedeco.cuda.nvjpeg.nvjpegImage_t;
import org.bytedeco.cuda.nvjpeg.nvjpegJpegState;
import org.bytedeco.cuda.nvjpeg.nvjpegJpegStream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Batched JPEG decode on the GPU's hardware decoder for one execution slot: {@code nvjpegDecodeBatched} with the
 * device's {@link NvJpeg} handle and the slot's own {@code nvjpegJpegState} (a state is not thread-safe; one batch
 * uses a slot at a time), queued on the slot's stream. Input: JPEG files in host memory (the slot's pinned staging);
 * output: each image as BGR interleaved uint8 ({@code NVJPEG_OUTPUT_BGRI}, {@code H x W x 3}, pitch {@code 3*W} bytes)
 * at a device address, which is what the {@link LetterboxKernel} reads.
 *
 * <p>The batched decoder is initialized for a batch size ({@code nvjpegDecodeBatchedInitialize}) and, as the nvJPEG
 * guide asks, again when the size changes or a decode failed. Each file is first checked with
 * {@code nvjpegJpegStreamParseHeader} + {@code nvjpegDecodeBatchedSupported}, so that one the hardware does not take
 * fails the batch with its index named, before anything is queued.
 */
@Internal
public final class DeviceJpegDecoder implements AutoCloseable {
    /** {@code nvjpegImage_t} is {@code unsigned char* channel[4]; size_t pitch[4]} (nvjpeg.h): 8 int64 per image. */
    private static final int IMAGE_LONGS = 8;

    private final int device;
    private final int slot;
    private final int maxBatch;
    private final nvjpegHandle handle;
    private final nvjpegJpegState state;
    private final nvjpegJpegStream header;
    private final LongPointer data;
    private final PointerPointer<BytePointer> dataArray;
    private final SizeTPointer lengths;
    private final LongPointer images;
    private final nvjpegImage_t imageArray;
    private final HostCursor cursor = new HostCursor();
    private final IntPointer supported = new IntPointer(1);
    private int initializedFor = -1;
    private boolean closed;

    /**
     * @param device CUDA device
     * @param slot slot index, named in errors
     * @param maxBatch largest number of files per call
     * @throws InferenceException if the device has no hardware decoder or the state cannot be created
     */
    public DeviceJpegDecoder(int device, int slot, int maxBatch) {
        this.device = device;
        this.slot = slot;
        this.maxBatch = maxBatch;
        this.handle = NvJpeg.handle(device);
        Cuda.setDevice(device);
        nvjpegJpegState s = new nvjpegJpegState();
        NvJpeg.check(nvjpegJpegStateCreate(handle, s), "nvjpegJpegStateCreate(slot " + slot + ")", device);
        nvjpegJpegStream h = new nvjpegJpegStream();
        int st = nvjpegJpegStreamCreate(handle, h);
        if (st != 0) {
            nvjpegJpegStateDestroy(s);
            NvJpeg.check(st, "nvjpegJpegStreamCreate(slot " + slot + ")", device);
        }
        this.state = s;
        this.header = h;
        this.data = new LongPointer(maxBatch);
        this.dataArray = new PointerPointer<>(data);
        this.lengths = new SizeTPointer(maxBatch);
        this.images = new LongPointer((long) IMAGE_LONGS * maxBatch);
        this.imageArray = new nvjpegImage_t(images);
    }

    /**
     * Queues the decode of {@code count} JPEG files on {@code stream}.
     *
     * @param hostAddresses host address of each file (pinned memory), {@code count} entries
     * @param fileLengths length of each file in bytes
     * @param deviceAddresses device address where each image's BGR pixels go ({@code H*W*3} bytes, pitch {@code 3*W})
     * @param widths width of each image, pixels (from its frame header)
     * @param count number of files, 1..maxBatch
     * @param stream the slot's stream
     * @throws JpegDecodeException naming the nvJPEG call, its status, the file's index and the device, when a file
     *     is not one the hardware decoder takes or the decode cannot be queued (nothing of the batch ran: its frames
     *     can be decoded on the host)
     */
    void decode(long[] hostAddresses, int[] fileLengths, long[] deviceAddresses, int[] widths, int count,
            CUstream_st stream) {
        if (count < 1 || count > maxBatch) {
            throw new IllegalArgumentException("JPEG batch of " + count + " outside 1.." + maxBatch);
        }
        try {
            queue(hostAddresses, fileLengths, deviceAddresses, widths, count, stream);
        } catch (JpegDecodeException e) {
            throw e;
        } catch (InferenceException e) {
            throw new JpegDecodeException(e.getMessage());
        }
    }

    private void queue(long[] hostAddresses, int[] fileLengths, long[] deviceAddresses, int[] widths, int count,
            CUstream_st stream) {
        for (int i = 0; i < count; i++) {
            cursor.at(hostAddresses[i], fileLengths[i]);
            String call = "nvjpegJpegStreamParseHeader(file " + i + " of " + count + ", " + fileLengths[i]
                    + " bytes, slot " + slot + ")";
            NvJpeg.check(nvjpegJpegStreamParseHeader(handle, cursor, fileLengths[i], header), call, device);
            NvJpeg.check(nvjpegDecodeBatchedSupported(handle, header, supported),
                    "nvjpegDecodeBatchedSupported(file " + i + ", slot " + slot + ")", device);
            if (supported.get() != 0) {
                throw new JpegDecodeException("JPEG file " + i + " of " + count + " (" + fileLengths[i] + " bytes,"
                        + " slot " + slot + ") is not one the hardware decoder of " + Cuda.deviceLabel(device)
                        + " takes (nvjpegDecodeBatchedSupported: " + supported.get() + ")");
            }
            data.put(i, hostAddresses[i]);
            lengths.put(i, fileLengths[i]);
            long m = (long) i * IMAGE_LONGS;
            images.put(m, deviceAddresses[i]);
            images.put(m + 1, 0).put(m + 2, 0).put(m + 3, 0);
            images.put(m + 4, 3L * widths[i]);
            images.put(m + 5, 0).put(m + 6, 0).put(m + 7, 0);
        }
        try {
            if (count != initializedFor) {
                initializedFor = -1;
                NvJpeg.check(nvjpegDecodeBatchedInitialize(handle, state, count, 1, NVJPEG_OUTPUT_BGRI),
                        "nvjpegDecodeBatchedInitialize(batch " + count + ", BGRI, slot " + slot + ")", device);
                initializedFor = count;
            }
            NvJpeg.check(nvjpegDecodeBatched(handle, state, dataArray, lengths, imageArray, stream),
                    "nvjpegDecodeBatched(" + count + " JPEG files, slot " + slot + ")", device);
        } catch (InferenceException e) {
            initializedFor = -1; // the guide: initialize again after a failed batch
            throw e;
        }
    }

    /** Destroys the state and the header parser (the slot's stream must be idle). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        int a = nvjpegJpegStreamDestroy(header);
        int b = nvjpegJpegStateDestroy(state);
        data.close();
        lengths.close();
        images.close();
        supported.close();
        NvJpeg.check(a, "nvjpegJpegStreamDestroy(slot " + slot + ")", device);
        NvJpeg.check(b, "nvjpegJpegStateDestroy(slot " + slot + ")", device);
    }

    /** A byte pointer moved over host memory the slot owns (JavaCPP has no public setter for a pointer's address). */
    private static final class HostCursor extends BytePointer {
        void at(long hostAddress, long bytes) {
            address = hostAddress;
            position = 0;
            limit = bytes;
            capacity = bytes;
        }
    }
}

package io.flinkvision.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds the float initializers (weights) of an ONNX model in its protobuf bytes and changes them in place, to make a
 * deliberately perturbed copy of a real model (no protobuf library is needed: the edit keeps every length, so the
 * file stays a valid model). Wire format per onnx.proto3 and the protobuf encoding guide: ModelProto.graph = field 7,
 * GraphProto.initializer = field 5 (TensorProto), TensorProto {dims = 1, data_type = 2, name = 8, raw_data = 9};
 * raw_data holds little-endian values; data type 1 = FLOAT.
 */
public final class OnnxWeights {
    /** TensorProto.DataType FLOAT. */
    public static final int FLOAT = 1;

    /**
     * One initializer.
     *
     * @param name its name, e.g. {@code head.obj_preds.0.bias}
     * @param dims its shape
     * @param dataType TensorProto.DataType
     * @param rawOffset offset of its raw_data bytes in the model file, -1 if it has none
     * @param rawLength bytes of raw_data
     */
    public record Initializer(String name, long[] dims, int dataType, int rawOffset, int rawLength) {
        public int floats() {
            return rawLength / 4;
        }

        @Override
        public String toString() {
            return name + Arrays.toString(dims) + " type " + dataType;
        }
    }

    private OnnxWeights() {}

    /** The initializers of the model's graph, in file order. */
    public static List<Initializer> initializers(byte[] model) {
        List<Initializer> result = new ArrayList<>();
        int[] graph = field(model, 0, model.length, 7);
        if (graph == null) {
            throw new IllegalArgumentException("no graph in the model");
        }
        int p = graph[0];
        while (p < graph[1]) {
            long key = varint(model, p);
            p = next;
            int fieldNo = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (wire == 2) {
                int len = (int) varint(model, p);
                p = next;
                if (fieldNo == 5) {
                    result.add(tensor(model, p, p + len));
                }
                p += len;
            } else {
                p = skip(model, p, wire);
            }
        }
        return result;
    }

    /** Multiplies float {@code index} of {@code init}'s raw_data by {@code factor} and adds {@code delta}, in place. */
    public static float change(byte[] model, Initializer init, int index, float factor, float delta) {
        if (init.dataType() != FLOAT || init.rawOffset() < 0 || index < 0 || index >= init.floats()) {
            throw new IllegalArgumentException("cannot change float " + index + " of " + init);
        }
        ByteBuffer b = ByteBuffer.wrap(model).order(ByteOrder.LITTLE_ENDIAN);
        int at = init.rawOffset() + 4 * index;
        float old = b.getFloat(at);
        b.putFloat(at, old * factor + delta);
        return old;
    }

    /**
     * Adds {@code delta} to the objectness bias of each of YOLOX's three heads ({@code head.obj_preds.{0,1,2}.bias}),
     * in place: a real model that finds fewer objects (a negative delta lowers every objectness logit).
     */
    public static void shiftObjectness(byte[] model, float delta) {
        for (int head = 0; head < 3; head++) {
            change(model, named(model, "head.obj_preds." + head + ".bias"), 0, 1f, delta);
        }
    }

    /** The initializer named {@code name}. */
    public static Initializer named(byte[] model, String name) {
        return initializers(model).stream().filter(i -> i.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no initializer " + name));
    }

    private static Initializer tensor(byte[] m, int start, int end) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        int raw = -1;
        int rawLen = 0;
        int p = start;
        while (p < end) {
            long key = varint(m, p);
            p = next;
            int f = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (wire == 0) {
                long v = varint(m, p);
                p = next;
                if (f == 1) {
                    dims.add(v);
                } else if (f == 2) {
                    type = (int) v;
                }
            } else if (wire == 2) {
                int len = (int) varint(m, p);
                p = next;
                if (f == 1) { // packed dims
                    for (int q = p; q < p + len; ) {
                        dims.add(varint(m, q));
                        q = next;
                    }
                } else if (f == 8) {
                    name = new String(m, p, len, StandardCharsets.UTF_8);
                } else if (f == 9) {
                    raw = p;
                    rawLen = len;
                }
                p += len;
            } else {
                p = skip(m, p, wire);
            }
        }
        return new Initializer(name, dims.stream().mapToLong(Long::longValue).toArray(), type, raw, rawLen);
    }

    /** {start, end} of the first length-delimited field {@code wanted} in {@code m[from, to)}. */
    private static int[] field(byte[] m, int from, int to, int wanted) {
        int p = from;
        while (p < to) {
            long key = varint(m, p);
            p = next;
            int f = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (wire == 2) {
                int len = (int) varint(m, p);
                p = next;
                if (f == wanted) {
                    return new int[] {p, p + len};
                }
                p += len;
            } else {
                p = skip(m, p, wire);
            }
        }
        return null;
    }

    private static int skip(byte[] m, int p, int wire) {
        switch (wire) {
            case 0:
                varint(m, p);
                return next;
            case 1:
                return p + 8;
            case 5:
                return p + 4;
            default:
                throw new IllegalArgumentException("unsupported protobuf wire type " + wire + " at " + p);
        }
    }

    /** Position after the last varint read (single-threaded test helper). */
    private static int next;

    private static long varint(byte[] m, int p) {
        long v = 0;
        int shift = 0;
        while (true) {
            byte b = m[p++];
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                next = p;
                return v;
            }
            shift += 7;
        }
    }
}

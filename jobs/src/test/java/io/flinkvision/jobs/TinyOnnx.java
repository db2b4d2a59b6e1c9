package io.flinkvision.jobs;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hand-encoded ONNX models for start-up check tests (the onnxruntime jar has no model builder and protobuf-java is
 * not needed for this): a graph of one {@code Identity} node, {@code x -> y}, whose input and output have the shape
 * given, each dimension a fixed size ({@code Long}/{@code Integer}) or a symbolic one ({@code String}, e.g.
 * {@code "batch"}). Encoding per onnx.proto3: ModelProto {ir_version=1, opset_import=8, producer_name=2, graph=7},
 * GraphProto {node=1, name=2, input=11, output=12}, NodeProto {input=1, output=2, name=3, op_type=4},
 * ValueInfoProto {name=1, type=2}, TypeProto {tensor_type=1}, TypeProto.Tensor {elem_type=1, shape=2},
 * TensorShapeProto {dim=1}, Dimension {dim_value=1, dim_param=2}.
 */
final class TinyOnnx {
    /** TensorProto.DataType FLOAT. */
    static final int FLOAT = 1;
    /** TensorProto.DataType UINT8. */
    static final int UINT8 = 2;

    private TinyOnnx() {}

    /** An identity model whose float32 input and output have {@code shape}. */
    static byte[] identity(Object... shape) {
        return identityOfType(FLOAT, shape);
    }

    /** An identity model whose input and output have {@code shape} and element type {@code elemType}. */
    static byte[] identityOfType(int elemType, Object... shape) {
        byte[] node = concat(string(1, "x"), string(2, "y"), string(3, "identity"), string(4, "Identity"));
        byte[] graph = concat(message(1, node), string(2, "tiny"), message(11, valueInfo("x", elemType, shape)),
                message(12, valueInfo("y", elemType, shape)));
        byte[] opset = concat(string(1, ""), varintField(2, 13));
        return concat(varintField(1, 8), message(8, opset), string(2, "flinkvision-test"), message(7, graph));
    }

    private static byte[] valueInfo(String name, int elemType, Object... shape) {
        ByteArrayOutputStream dims = new ByteArrayOutputStream();
        for (Object d : shape) {
            byte[] dim = d instanceof String ? string(2, (String) d) : varintField(1, ((Number) d).longValue());
            dims.writeBytes(message(1, dim));
        }
        byte[] tensor = concat(varintField(1, elemType), message(2, dims.toByteArray()));
        return concat(string(1, name), message(2, message(1, tensor)));
    }

    private static byte[] varintField(int field, long v) {
        return concat(varint((long) field << 3), varint(v));
    }

    private static byte[] string(int field, String s) {
        return message(field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] message(int field, byte[] body) {
        return concat(varint(((long) field << 3) | 2), varint(body.length), body);
    }

    private static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

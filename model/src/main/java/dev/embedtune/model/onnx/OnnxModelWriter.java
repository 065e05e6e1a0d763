package dev.embedtune.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * Serialises a {@link GraphBuilder} as an ONNX ModelProto. Field numbers are onnx.proto's
 * (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto):
 * <pre>
 * ModelProto      ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8
 * OperatorSetId   domain 1, version 2
 * GraphProto      node 1, name 2, initializer 5, input 11, output 12
 * NodeProto       input 1, output 2, name 3, op_type 4, attribute 5
 * AttributeProto  name 1, f 2, i 3, t 5, ints 8, type 20
 * TensorProto     dims 1, data_type 2, name 8, raw_data 9 (little-endian)
 * ValueInfoProto  name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 → dim_value 1 | dim_param 2
 * </pre>
 * Repeated scalars are written unpacked, as onnx.proto (proto2) declares them.
 */
final class OnnxModelWriter {
    /** The largest message protobuf readers accept (ONNX keeps bigger models' weights in external files, which this writer does not). */
    static final long MAX_MODEL_BYTES = Integer.MAX_VALUE;

    private OnnxModelWriter() {
    }

    /**
     * The IR version that goes with an opset (onnx/helper.py's VERSION_TABLE): 13–14 → 7,
     * 15–18 → 8, 19–20 → 9, 21 → 10.
     */
    static int irVersion(int opset) {
        if (opset <= 14) return 7;
        if (opset <= 18) return 8;
        if (opset <= 20) return 9;
        return 10;
    }

    static ProtoWriter model(GraphBuilder g, String producerVersion) {
        ProtoWriter graph = new ProtoWriter();
        for (GraphBuilder.Node n : g.nodes) {
            graph.message(1, node(n));
        }
        graph.string(2, "main_graph");
        for (Map.Entry<String, GraphBuilder.Tensor> e : g.initializers.entrySet()) {
            graph.message(5, tensor(e.getKey(), e.getValue()));
        }
        g.inputs.forEach(v -> graph.message(11, valueInfo(v)));
        g.outputs.forEach(v -> graph.message(12, valueInfo(v)));

        ProtoWriter opset = new ProtoWriter().string(1, "").varint(2, g.opset);
        return new ProtoWriter()
                .varint(1, irVersion(g.opset))
                .string(2, "embedtune")
                .string(3, producerVersion)
                .message(7, graph)
                .message(8, opset);
    }

    private static ProtoWriter node(GraphBuilder.Node n) {
        ProtoWriter w = new ProtoWriter();
        n.inputs().forEach(i -> w.string(1, i));
        n.outputs().forEach(o -> w.string(2, o));
        w.string(3, n.name()).string(4, n.opType());
        for (GraphBuilder.Attribute a : n.attributes()) {
            w.message(5, attribute(a));
        }
        return w;
    }

    private static ProtoWriter attribute(GraphBuilder.Attribute a) {
        ProtoWriter w = new ProtoWriter().string(1, a.name());
        switch (a.type()) {
            case GraphBuilder.Attribute.FLOAT -> w.fixed32(2, a.f());
            case GraphBuilder.Attribute.INT -> w.varint(3, a.i());
            case GraphBuilder.Attribute.TENSOR -> w.message(5, tensor("", a.t()));
            case GraphBuilder.Attribute.INTS -> {
                for (long v : a.ints()) {
                    w.varint(8, v);
                }
            }
            default -> throw new IllegalArgumentException("attribute type " + a.type());
        }
        return w.varint(20, a.type());
    }

    static ProtoWriter tensor(String name, GraphBuilder.Tensor t) {
        ProtoWriter w = new ProtoWriter();
        for (long d : t.dims()) {
            w.varint(1, d);
        }
        w.varint(2, t.dataType());
        if (!name.isEmpty()) {
            w.string(8, name);
        }
        return w.bytes(9, raw(t));
    }

    /** The tensor's values as raw_data: little-endian, row-major. */
    static byte[] raw(GraphBuilder.Tensor t) {
        if (t.floats() != null) {
            ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(t.floats().length, 4)).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(t.floats());
            return b.array();
        }
        if (t.longs() != null) {
            ByteBuffer b = ByteBuffer.allocate(t.longs().length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(t.longs());
            return b.array();
        }
        return t.bytes();
    }

    private static ProtoWriter valueInfo(GraphBuilder.ValueInfo v) {
        ProtoWriter shape = new ProtoWriter();
        for (Object d : v.dims()) {
            ProtoWriter dim = new ProtoWriter();
            if (d instanceof String param) {
                dim.string(2, param);
            } else {
                dim.varint(1, ((Number) d).longValue());
            }
            shape.message(1, dim);
        }
        ProtoWriter tensorType = new ProtoWriter().varint(1, v.elemType()).message(2, shape);
        ProtoWriter type = new ProtoWriter().message(1, tensorType);
        return new ProtoWriter().string(1, v.name()).message(2, type);
    }
}

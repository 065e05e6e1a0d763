package dev.embedtune.model.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX graph under construction (onnx.proto's GraphProto, https://onnx.ai/onnx/intro/concepts.html):
 * nodes in topological order, initializers (the model's weights, and nothing else, so that a reader
 * can tell weights from constants), graph inputs and outputs. Constants are Constant nodes, as the
 * PyTorch exporter writes them.
 *
 * <p>Node and tensor names follow the PyTorch exporter's pattern, {@code /scope/Op_N} and
 * {@code /scope/Op_N_output_0}, so that the graph reads like the model's modules. Where an operator
 * changed between opsets (axes as an attribute before opset 18, as an input after; LayerNormalization
 * from opset 17), the helper here writes the form of {@link #opset}.
 */
final class GraphBuilder {
    /** onnx.proto's TensorProto.DataType values used here. */
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT64 = 7, BOOL = 9;

    /** A tensor value: dims and exactly one of the arrays, by data type (FLOAT floats, INT64 longs, INT8/UINT8/BOOL bytes). */
    record Tensor(int dataType, long[] dims, float[] floats, long[] longs, byte[] bytes) {
        static Tensor ofFloats(float[] data, long... dims) {
            return new Tensor(FLOAT, dims, data, null, null);
        }

        static Tensor ofLongs(long[] data, long... dims) {
            return new Tensor(INT64, dims, null, data, null);
        }

        static Tensor ofBytes(int dataType, byte[] data, long... dims) {
            return new Tensor(dataType, dims, null, null, data);
        }
    }

    /** An AttributeProto of one of the kinds used: FLOAT (1), INT (2), TENSOR (4), INTS (7). */
    record Attribute(String name, int type, float f, long i, long[] ints, Tensor t) {
        static final int FLOAT = 1, INT = 2, TENSOR = 4, INTS = 7;

        static Attribute f(String name, float v) {
            return new Attribute(name, FLOAT, v, 0, null, null);
        }

        static Attribute i(String name, long v) {
            return new Attribute(name, INT, 0, v, null, null);
        }

        static Attribute ints(String name, long... v) {
            return new Attribute(name, INTS, 0, 0, v, null);
        }

        static Attribute t(String name, Tensor v) {
            return new Attribute(name, TENSOR, 0, 0, null, v);
        }
    }

    record Node(String opType, String name, List<String> inputs, List<String> outputs, List<Attribute> attributes) {
    }

    /** A graph input or output: element type and dims, each a Long (fixed) or a String (named, dynamic). */
    record ValueInfo(String name, int elemType, List<Object> dims) {
    }

    final int opset;
    final List<Node> nodes = new ArrayList<>();
    final Map<String, Tensor> initializers = new LinkedHashMap<>();
    final List<ValueInfo> inputs = new ArrayList<>();
    final List<ValueInfo> outputs = new ArrayList<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private String scope = "";

    GraphBuilder(int opset) {
        this.opset = opset;
    }

    /** Names the nodes that follow after a module, e.g. {@code encoder.layer.0.attention}. */
    void scope(String module) {
        this.scope = module;
    }

    String input(String name, int elemType, Object... dims) {
        inputs.add(new ValueInfo(name, elemType, List.of(dims)));
        return name;
    }

    /** Makes {@code tensor} a graph output called {@code name} (through an Identity node). */
    void output(String name, String tensor, int elemType, Object... dims) {
        nodes.add(new Node("Identity", "/" + name + "/Identity", List.of(tensor), List.of(name), List.of()));
        outputs.add(new ValueInfo(name, elemType, List.of(dims)));
    }

    /** A weight initializer; its name is kept exactly. */
    String weight(String name, float[] data, long... dims) {
        if (initializers.containsKey(name)) {
            throw new IllegalArgumentException("initializer " + name + " added twice");
        }
        initializers.put(name, Tensor.ofFloats(data, dims));
        return name;
    }

    String constant(float value) {
        return constant(Tensor.ofFloats(new float[] {value}));
    }

    String constantFloats(float[] values, long... dims) {
        return constant(Tensor.ofFloats(values, dims));
    }

    /** A 0-d int64 constant. */
    String constantLong(long value) {
        return constant(Tensor.ofLongs(new long[] {value}));
    }

    /** A 1-d int64 constant. */
    String constantLongs(long... values) {
        return constant(Tensor.ofLongs(values, values.length));
    }

    private String constant(Tensor t) {
        return op("Constant", List.of(), Attribute.t("value", t));
    }

    /** One node with one output; returns the output's name. */
    String op(String opType, List<String> inputs, Attribute... attributes) {
        return ops(opType, 1, inputs, attributes).get(0);
    }

    String op(String opType, String... inputs) {
        return op(opType, List.of(inputs));
    }

    /** One node with {@code outputs} outputs. */
    List<String> ops(String opType, int outputs, List<String> inputs, Attribute... attributes) {
        String key = scope + "/" + opType;
        int n = counters.merge(key, 1, Integer::sum) - 1;
        String name = "/" + (scope.isEmpty() ? "" : scope + "/") + opType + (n == 0 ? "" : "_" + n);
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outs.add(name + "_output_" + i);
        }
        nodes.add(new Node(opType, name, List.copyOf(inputs), outs, List.of(attributes)));
        return outs;
    }

    // ---- operators whose form depends on the opset ----

    /** ReduceMean / ReduceMax / ReduceL2 / ReduceSum over {@code axes}: axes an input from opset 18 (ReduceSum: 13). */
    String reduce(String op, String x, boolean keepDims, long... axes) {
        boolean axesAsInput = op.equals("ReduceSum") ? opset >= 13 : opset >= 18;
        Attribute keep = Attribute.i("keepdims", keepDims ? 1 : 0);
        if (axesAsInput) {
            return op(op, List.of(x, constantLongs(axes)), keep);
        }
        return op(op, List.of(x), Attribute.ints("axes", axes), keep);
    }

    /** Unsqueeze with axes as an input (opset 13 and later, the only ones written). */
    String unsqueeze(String x, long... axes) {
        return op("Unsqueeze", x, constantLongs(axes));
    }

    String squeeze(String x, long... axes) {
        return op("Squeeze", x, constantLongs(axes));
    }

    /** x[..., start:end, ...] along {@code axis}. */
    String slice(String x, long start, long end, long axis) {
        return op("Slice", x, constantLongs(start), constantLongs(end), constantLongs(axis));
    }

    String transpose(String x, long... perm) {
        return op("Transpose", List.of(x), Attribute.ints("perm", perm));
    }

    /** Reshape with a constant shape; 0 copies the input's dimension there (allowzero = 0), -1 is inferred. */
    String reshape(String x, long... shape) {
        return op("Reshape", x, constantLongs(shape));
    }

    String cast(String x, int to) {
        return op("Cast", List.of(x), Attribute.i("to", to));
    }
}

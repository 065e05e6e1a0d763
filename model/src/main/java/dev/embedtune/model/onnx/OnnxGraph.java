package dev.embedtune.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model (onnx.proto: ModelProto → GraphProto) the importer uses: nodes,
 * initializers and constant tensors. Field numbers are onnx.proto's.
 */
public record OnnxGraph(List<Node> nodes, Map<String, Tensor> initializers, List<String> inputs,
        List<String> outputs) {

    /** A NodeProto: operator, inputs, outputs and the tensor-valued attributes (Constant's "value"). */
    public record Node(String opType, String name, List<String> inputs, List<String> outputs,
            Map<String, Tensor> tensorAttributes) {
    }

    /**
     * A TensorProto with its data as floats (FLOAT, DOUBLE, INT32, INT64, INT8, UINT8 converted).
     *
     * @param dataType onnx.proto's TensorProto.DataType (1 FLOAT, 2 UINT8, 3 INT8, 6 INT32, 7 INT64, 11 DOUBLE)
     */
    public record Tensor(String name, long[] dims, int dataType, float[] data) {
        public long numel() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, DOUBLE = 11;

    /**
     * Parses ModelProto bytes.
     *
     * @throws OnnxFormatException saying "not an ONNX model file" when the bytes do not begin as a
     *     ModelProto does, "truncated or corrupted ONNX model file" when they begin as one but break
     *     the format later, or what the importer cannot read (external data, a data type)
     */
    public static OnnxGraph parse(ByteBuffer modelBytes) throws OnnxFormatException {
        ByteBuffer graph = graph(modelBytes);
        try {
            return parseGraph(graph);
        } catch (MalformedProtoException e) {
            throw new OnnxFormatException("truncated or corrupted ONNX model file: " + e.getMessage());
        }
    }

    /**
     * ModelProto's fields (onnx.proto) by number, with their wire types: ir_version 1, producer_name 2,
     * producer_version 3, domain 4, model_version 5, doc_string 6, graph 7, opset_import 8,
     * metadata_props 14, training_info 20, functions 25, configuration 26.
     */
    private static final Map<Integer, Integer> MODEL_FIELDS = Map.ofEntries(Map.entry(1, ProtoReader.VARINT),
            Map.entry(2, ProtoReader.LENGTH_DELIMITED), Map.entry(3, ProtoReader.LENGTH_DELIMITED),
            Map.entry(4, ProtoReader.LENGTH_DELIMITED), Map.entry(5, ProtoReader.VARINT),
            Map.entry(6, ProtoReader.LENGTH_DELIMITED), Map.entry(7, ProtoReader.LENGTH_DELIMITED),
            Map.entry(8, ProtoReader.LENGTH_DELIMITED), Map.entry(14, ProtoReader.LENGTH_DELIMITED),
            Map.entry(20, ProtoReader.LENGTH_DELIMITED), Map.entry(25, ProtoReader.LENGTH_DELIMITED),
            Map.entry(26, ProtoReader.LENGTH_DELIMITED));

    /**
     * The GraphProto of a ModelProto. Exporters write ir_version (field 1) first (protobuf writes fields
     * in number order), so bytes that break the format, or hold a field ModelProto does not have,
     * before a plausible ir_version was read are no ONNX file at all; later breaks mean a file cut
     * short or damaged.
     */
    private static ByteBuffer graph(ByteBuffer modelBytes) throws OnnxFormatException {
        if (!modelBytes.hasRemaining()) {
            throw new OnnxFormatException("not an ONNX model file: it is empty");
        }
        String start = firstBytes(modelBytes);
        ProtoReader model = new ProtoReader(modelBytes);
        boolean irVersion = false;
        ByteBuffer graph = null;
        try {
            while (model.next()) {
                Integer wireType = MODEL_FIELDS.get(model.field());
                if (wireType == null || wireType != model.wireType()) {
                    throw new MalformedProtoException("field " + model.field() + " with wire type " + model.wireType()
                            + " is not a field of ModelProto");
                }
                if (model.field() == 1) {
                    long version = model.varint();
                    if (version < 1 || version > 1000) {
                        throw new MalformedProtoException("ir_version " + version + " is not an ONNX IR version");
                    }
                    irVersion = true;
                } else if (model.field() == 7) {
                    graph = model.bytes();
                } else {
                    model.skip();
                }
            }
        } catch (MalformedProtoException e) {
            throw new OnnxFormatException(irVersion
                    ? "truncated or corrupted ONNX model file: " + e.getMessage()
                    : "not an ONNX model file (an ONNX model begins with its ir_version; this file begins with bytes "
                            + start + ", and " + e.getMessage() + ")");
        }
        if (!irVersion) {
            throw new OnnxFormatException("not an ONNX model file: it has no ir_version (field 1)");
        }
        if (graph == null) {
            throw new OnnxFormatException("truncated or corrupted ONNX model file: no graph (ModelProto field 7)");
        }
        return graph;
    }

    private static String firstBytes(ByteBuffer b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.remaining()); i++) {
            s.append(String.format("%02x ", b.get(b.position() + i) & 0xFF));
        }
        return s.toString().trim();
    }

    private static OnnxGraph parseGraph(ByteBuffer graph) throws OnnxFormatException {
        List<Node> nodes = new ArrayList<>();
        Map<String, Tensor> initializers = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        ProtoReader g = new ProtoReader(graph);
        while (g.next()) {
            switch (g.field()) {
                case 1 -> nodes.add(node(new ProtoReader(g.bytes())));                 // node
                case 5 -> { Tensor t = tensor(new ProtoReader(g.bytes())); initializers.put(t.name(), t); }
                case 11 -> inputs.add(valueInfoName(new ProtoReader(g.bytes())));     // input
                case 12 -> outputs.add(valueInfoName(new ProtoReader(g.bytes())));    // output
                default -> g.skip();
            }
        }
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    private static Node node(ProtoReader r) throws OnnxFormatException {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        String name = "", op = "";
        Map<String, Tensor> attributes = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 5 -> attribute(new ProtoReader(r.bytes()), attributes);
                default -> r.skip();
            }
        }
        return new Node(op, name, in, out, attributes);
    }

    /** AttributeProto: keeps tensor attributes (field 5, "t") and scalar floats/ints as 0-d tensors. */
    private static void attribute(ProtoReader r, Map<String, Tensor> out) throws OnnxFormatException {
        String name = null;
        Tensor t = null;
        Float f = null;
        Long i = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 2 -> f = r.fixed32Float();
                case 3 -> i = r.varint();
                case 5 -> t = tensor(new ProtoReader(r.bytes()));
                default -> r.skip();
            }
        }
        if (name == null) {
            return;
        }
        if (t != null) {
            out.put(name, t);
        } else if (f != null) {
            out.put(name, new Tensor(name, new long[0], FLOAT, new float[] {f}));
        } else if (i != null) {
            out.put(name, new Tensor(name, new long[0], INT64, new float[] {i}));
        }
    }

    private static String valueInfoName(ProtoReader r) throws OnnxFormatException {
        String name = "";
        while (r.next()) {
            if (r.field() == 1) {
                name = r.string();
            } else {
                r.skip();
            }
        }
        return name;
    }

    private static Tensor tensor(ProtoReader r) throws OnnxFormatException {
        List<Long> dims = new ArrayList<>();
        List<Float> floatData = new ArrayList<>();
        List<Long> intData = new ArrayList<>();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        boolean external = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> r.int64s(dims);
                case 2 -> dataType = (int) r.varint();
                case 4 -> r.floats(floatData);
                case 5, 7 -> r.int64s(intData);     // int32_data (varint-encoded), int64_data
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                case 14 -> external = r.varint() == 1;   // data_location EXTERNAL
                default -> r.skip();
            }
        }
        if (external) {
            throw new OnnxFormatException("tensor " + name + " keeps its data in an external file, which the importer does not read");
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long numel = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new OnnxFormatException("tensor " + name + " has a negative dimension");
            }
            if (d != 0 && numel > (Integer.MAX_VALUE - 8) / d) {
                throw new OnnxFormatException("tensor " + name + " has dims " + dims + ", too many elements for one array");
            }
            numel *= d;
        }
        // The data's size is checked against the dims before anything is allocated from them.
        List<? extends Number> values = !floatData.isEmpty() ? floatData : intData;
        if (raw == null && values.size() != numel) {
            throw new OnnxFormatException("tensor " + name + " has " + values.size() + " values, expected " + numel);
        }
        float[] data;
        if (raw != null) {
            int size = switch (dataType) {
                case UINT8, INT8 -> 1;
                case FLOAT, INT32 -> 4;
                case INT64, DOUBLE -> 8;
                default -> throw new OnnxFormatException("tensor " + name + " has data type " + dataType
                        + "; the importer reads FLOAT, DOUBLE, INT32, INT64, INT8 and UINT8");
            };
            if ((long) raw.remaining() != numel * size) {
                throw new OnnxFormatException("tensor " + name + " has " + raw.remaining() + " raw bytes, expected "
                        + numel * size + " for dims " + dims);
            }
            data = new float[(int) numel];
            raw.order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < data.length; k++) {
                data[k] = switch (dataType) {
                    case FLOAT -> raw.getFloat();
                    case INT32 -> raw.getInt();
                    case UINT8 -> raw.get() & 0xFF;
                    case INT8 -> raw.get();
                    case INT64 -> raw.getLong();
                    default -> (float) raw.getDouble();
                };
            }
        } else {
            data = new float[(int) numel];
            for (int k = 0; k < data.length; k++) {
                data[k] = values.get(k).floatValue();
            }
        }
        return new Tensor(name, shape, dataType, data);
    }
}

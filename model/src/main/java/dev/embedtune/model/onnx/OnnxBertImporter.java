package dev.embedtune.model.onnx;

import dev.embedtune.model.bert.BertWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns an ONNX export of a Hugging Face {@code BertModel} (PyTorch exporter, as in the
 * langchain4j model jars) back into BertModel's named weights and config.
 *
 * <p>Named initializers already carry Hugging Face names. The exporter stores each nn.Linear
 * weight anonymously ({@code onnx::MatMul_N}) as the right operand of a MatMul, in [in, out]
 * order; that MatMul's output feeds an Add with the layer's named bias {@code X.bias}, so the
 * weight is {@code X.weight}, transposed back to nn.Linear's [out, in]. The sizes come from the
 * weights; the number of heads from the attention's score scaling (scores / √head_dim), the
 * LayerNorm epsilon from the constant added to the variance.
 */
public final class OnnxBertImporter {

    /** A weight under its Hugging Face name, row-major. */
    public record Weight(long[] shape, float[] data) {
    }

    /** The imported model: config plus weights in BertModel's names, in a stable order. */
    public record ImportedBert(BertConfig config, Map<String, Weight> weights) {
        public long parameterCount() {
            return weights.values().stream().mapToLong(w -> w.data().length).sum();
        }

        /** All weights as one float32 safetensors file, with the "format": "pt" metadata transformers expects. */
        public SafetensorsWriter toSafetensors() {
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            weights.forEach((name, weight) -> w.addFloats(name, weight.data(), weight.shape()));
            return w;
        }
    }

    private static final String POSITION_IDS = "embeddings.position_ids";

    private OnnxBertImporter() {
    }

    public static ImportedBert importGraph(OnnxGraph graph) throws OnnxFormatException {
        Map<String, List<OnnxGraph.Node>> consumers = new HashMap<>();
        Map<String, OnnxGraph.Node> producer = new HashMap<>();
        for (OnnxGraph.Node n : graph.nodes()) {
            n.inputs().forEach(in -> consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n));
            n.outputs().forEach(out -> producer.put(out, n));
        }
        Map<String, Weight> weights = new HashMap<>();
        for (OnnxGraph.Tensor t : graph.initializers().values()) {
            if (t.name().equals(POSITION_IDS)) {
                continue;   // a buffer, not a parameter
            }
            if (t.name().startsWith("embeddings.") || t.name().startsWith("encoder.") || t.name().startsWith("pooler.")) {
                weights.put(t.name(), new Weight(t.dims(), t.data()));
            } else {
                String hfName = linearWeightName(t, consumers, graph);
                weights.put(hfName, transpose(t));
            }
        }
        weights.keySet().removeIf(k -> k.startsWith("pooler."));   // sentence-transformers never uses the pooler
        BertConfig config = inferConfig(weights, graph, producer, consumers);
        return new ImportedBert(config, ordered(weights, config));
    }

    private static String linearWeightName(OnnxGraph.Tensor t, Map<String, List<OnnxGraph.Node>> consumers,
            OnnxGraph graph) throws OnnxFormatException {
        List<OnnxGraph.Node> users = consumers.getOrDefault(t.name(), List.of());
        if (users.size() != 1 || !users.get(0).opType().equals("MatMul") || !users.get(0).inputs().get(1).equals(t.name())) {
            throw new OnnxFormatException("cannot place initializer " + t.name() + " " + java.util.Arrays.toString(t.dims())
                    + ": expected it to be the right operand of exactly one MatMul, found it used by "
                    + users.stream().map(OnnxGraph.Node::opType).toList());
        }
        if (t.dims().length != 2) {
            throw new OnnxFormatException("cannot place initializer " + t.name() + ": a linear weight must be 2-D, found "
                    + java.util.Arrays.toString(t.dims()));
        }
        String product = users.get(0).outputs().get(0);
        for (OnnxGraph.Node add : consumers.getOrDefault(product, List.of())) {
            if (!add.opType().equals("Add")) {
                continue;
            }
            for (String operand : add.inputs()) {
                if (operand.endsWith(".bias") && graph.initializers().containsKey(operand)) {
                    return operand.substring(0, operand.length() - ".bias".length()) + ".weight";
                }
            }
        }
        throw new OnnxFormatException("cannot place initializer " + t.name()
                + ": its MatMul's output does not feed an Add with a named bias (X.bias)");
    }

    private static Weight transpose(OnnxGraph.Tensor t) {
        int rows = (int) t.dims()[0], cols = (int) t.dims()[1];
        float[] out = new float[rows * cols];
        float[] in = t.data();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = in[r * cols + c];
            }
        }
        return new Weight(new long[] {cols, rows}, out);
    }

    private static BertConfig inferConfig(Map<String, Weight> w, OnnxGraph graph,
            Map<String, OnnxGraph.Node> producer, Map<String, List<OnnxGraph.Node>> consumers) throws OnnxFormatException {
        long[] words = require(w, "embeddings.word_embeddings.weight").shape();
        int hidden = (int) words[1];
        int layers = 0;
        while (w.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
            layers++;
        }
        if (layers == 0) {
            throw new OnnxFormatException("no encoder layer found (expected encoder.layer.0.attention.self.query.weight)");
        }
        int intermediate = (int) require(w, "encoder.layer.0.intermediate.dense.weight").shape()[0];
        int positions = (int) require(w, "embeddings.position_embeddings.weight").shape()[0];
        int types = (int) require(w, "embeddings.token_type_embeddings.weight").shape()[0];
        int heads = inferHeads(graph, producer, hidden);
        double eps = inferLayerNormEps(graph, producer);
        boolean erf = graph.nodes().stream().anyMatch(n -> n.opType().equals("Erf"));
        if (!erf) {
            throw new OnnxFormatException("no Erf node: the activation is not the exact GELU BertModel uses");
        }
        return new BertConfig((int) words[0], hidden, layers, heads, intermediate, "gelu", 0.1, 0.1, positions,
                types, 0.02, eps, 0);
    }

    /** Attention scores are divided by √head_dim: a Div of an activation×activation MatMul by a constant. */
    private static int inferHeads(OnnxGraph graph, Map<String, OnnxGraph.Node> producer, int hidden) throws OnnxFormatException {
        for (OnnxGraph.Node n : graph.nodes()) {
            if (!n.opType().equals("Div") || n.inputs().size() != 2) {
                continue;
            }
            OnnxGraph.Node numerator = producer.get(n.inputs().get(0));
            if (numerator == null || !numerator.opType().equals("MatMul")
                    || numerator.inputs().stream().anyMatch(graph.initializers()::containsKey)) {
                continue;
            }
            Float c = scalar(graph, producer, n.inputs().get(1));
            if (c != null) {
                long headDim = Math.round((double) c * c);
                if (headDim > 0 && Math.abs(c * c - headDim) < 1e-3 && hidden % headDim == 0) {
                    return (int) (hidden / headDim);
                }
            }
        }
        throw new OnnxFormatException("cannot find the attention score scaling (scores / √head_dim), so the number of heads is unknown");
    }

    /**
     * LayerNorm's eps: the epsilon of a LayerNormalization node, or where LayerNorm is decomposed,
     * the constant added to the variance (ReduceMean) before Sqrt. Takes the first found.
     */
    private static double inferLayerNormEps(OnnxGraph graph, Map<String, OnnxGraph.Node> producer) {
        for (OnnxGraph.Node n : graph.nodes()) {
            OnnxGraph.Tensor epsilon = n.tensorAttributes().get("epsilon");
            if (n.opType().equals("LayerNormalization") && epsilon != null) {   // opset 17+ keeps LayerNorm whole
                return Double.parseDouble(Float.toString(epsilon.data()[0]));
            }
            if (n.opType().equals("Add") && n.inputs().size() == 2) {
                OnnxGraph.Node left = producer.get(n.inputs().get(0));
                Float c = scalar(graph, producer, n.inputs().get(1));
                if (left != null && left.opType().equals("ReduceMean") && c != null && c > 0 && c < 1e-3) {
                    // The graph holds eps as float32; its shortest decimal form is what config.json had.
                    return Double.parseDouble(Float.toString(c));
                }
            }
        }
        return 1e-12;   // BertConfig's default, when the graph folds eps differently
    }

    private static Float scalar(OnnxGraph graph, Map<String, OnnxGraph.Node> producer, String name) {
        OnnxGraph.Tensor t = graph.initializers().get(name);
        OnnxGraph.Node p = producer.get(name);
        if (t == null && p != null && p.opType().equals("Constant")) {
            t = p.tensorAttributes().get("value");
        }
        return t != null && t.numel() == 1 ? t.data()[0] : null;
    }

    private static Weight require(Map<String, Weight> w, String name) throws OnnxFormatException {
        Weight x = w.get(name);
        if (x == null) {
            throw new OnnxFormatException("missing weight " + name);
        }
        return x;
    }

    private static Map<String, Weight> ordered(Map<String, Weight> weights, BertConfig config) throws OnnxFormatException {
        Map<String, Weight> out = new LinkedHashMap<>();
        for (String name : BertWeights.names(config)) {
            Weight w = weights.get(name);
            if (w == null) {
                throw new OnnxFormatException("missing weight " + name + " for a " + config.numHiddenLayers() + "-layer BERT");
            }
            for (float v : w.data()) {
                if (!Float.isFinite(v)) {
                    throw new OnnxFormatException("weight " + name + " holds a non-finite value (" + v + ")");
                }
            }
            long[] expected = BertWeights.shape(config, name);
            if (!java.util.Arrays.equals(expected, w.shape())) {
                throw new OnnxFormatException("weight " + name + " has shape " + java.util.Arrays.toString(w.shape())
                        + ", expected " + java.util.Arrays.toString(expected));
            }
            out.put(name, w);
        }
        TreeSet<String> extra = new TreeSet<>(weights.keySet());
        extra.removeAll(out.keySet());
        if (!extra.isEmpty()) {
            throw new OnnxFormatException("initializers that are no BertModel weight: " + extra);
        }
        return out;
    }
}

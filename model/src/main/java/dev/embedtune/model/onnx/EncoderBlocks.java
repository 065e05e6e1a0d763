package dev.embedtune.model.onnx;

import java.util.List;
import java.util.Map;

/**
 * The blocks BERT and ModernBERT share, written as ONNX nodes the way the PyTorch exporter writes
 * them, so that {@link OnnxBertImporter} reads an exported BERT back: parameters are initializers
 * under their Hugging Face names, except each nn.Linear weight, which is stored transposed
 * ([in, out], the right operand of a MatMul) under {@code onnx::MatMul_<module>} and followed by an
 * Add of the module's named bias. Shapes: B batch, T tokens, H hidden.
 */
final class EncoderBlocks {
    /** 1/√2 as the exporter writes GELU: x · 0.5 · (1 + erf(x / √2)). */
    private static final float SQRT2 = (float) Math.sqrt(2.0);

    private final GraphBuilder g;
    private final Map<String, float[]> weights;    // row-major, by Hugging Face name
    private final Map<String, long[]> shapes;

    EncoderBlocks(GraphBuilder g, Map<String, float[]> weights, Map<String, long[]> shapes) {
        this.g = g;
        this.weights = weights;
        this.shapes = shapes;
    }

    boolean has(String name) {
        return weights.containsKey(name);
    }

    /** The initializer of a parameter under its Hugging Face name (added on first use). */
    String param(String name) {
        if (!g.initializers.containsKey(name)) {
            float[] w = weights.get(name);
            if (w == null) {
                throw new IllegalStateException("no weight " + name);
            }
            g.weight(name, w, shapes.get(name));
        }
        return name;
    }

    /** x · Wᵀ (+ b) for the nn.Linear {@code module}: [B, T, in] → [B, T, out]. */
    String linear(String x, String module) {
        long[] shape = shapes.get(module + ".weight");    // [out, in]
        int out = (int) shape[0], in = (int) shape[1];
        float[] w = weights.get(module + ".weight");
        float[] t = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = w[o * in + i];
            }
        }
        String weightT = g.weight("onnx::MatMul_" + module, t, in, out);
        String y = g.op("MatMul", x, weightT);
        return has(module + ".bias") ? g.op("Add", y, param(module + ".bias")) : y;
    }

    /**
     * LayerNorm over the last axis with {@code module}'s weight (and bias, when the model has one):
     * the LayerNormalization operator from opset 17, before that the exporter's decomposition
     * (x − mean) / √(var + eps), whose "ReduceMean, then Add eps" the importer reads eps from.
     */
    String layerNorm(String x, String module, double eps) {
        String gamma = param(module + ".weight");
        String beta = has(module + ".bias") ? param(module + ".bias") : null;
        if (g.opset >= 17) {
            List<String> in = beta == null ? List.of(x, gamma) : List.of(x, gamma, beta);
            return g.op("LayerNormalization", in, GraphBuilder.Attribute.i("axis", -1),
                    GraphBuilder.Attribute.f("epsilon", (float) eps));
        }
        String centred = g.op("Sub", x, g.reduce("ReduceMean", x, true, -1));
        String variance = g.reduce("ReduceMean", g.op("Mul", centred, centred), true, -1);
        String std = g.op("Sqrt", g.op("Add", variance, g.constant((float) eps)));
        String y = g.op("Mul", g.op("Div", centred, std), gamma);
        return beta == null ? y : g.op("Add", y, beta);
    }

    /** Exact GELU: x · 0.5 · (1 + erf(x / √2)). */
    String gelu(String x) {
        String erf = g.op("Erf", g.op("Div", x, g.constant(SQRT2)));
        return g.op("Mul", g.op("Mul", x, g.op("Add", erf, g.constant(1f))), g.constant(0.5f));
    }

    /**
     * Scaled dot-product attention over heads: softmax(q·kᵀ / √D + mask)·v.
     *
     * @param q    [B, N, T, D]
     * @param kT   [B, N, D, T]
     * @param v    [B, N, T, D]
     * @param mask additive, broadcastable to [B, N, T, T]
     * @return [B, N, T, D]
     */
    String attention(String q, String kT, String v, String mask, int headDim) {
        // Divided by √D as BertSelfAttention does (the importer finds the number of heads from it).
        String scores = g.op("Div", g.op("MatMul", q, kT), g.constant((float) Math.sqrt(headDim)));
        String probs = g.op("Softmax", List.of(g.op("Add", scores, mask)), GraphBuilder.Attribute.i("axis", -1));
        return g.op("MatMul", probs, v);
    }

    /** [B, T, H] → [B, N, T, D]; with {@code keysTransposed} → [B, N, D, T]. */
    String heads(String x, int heads, int headDim, boolean keysTransposed) {
        String split = g.reshape(x, 0, 0, heads, headDim);
        return keysTransposed ? g.transpose(split, 0, 2, 3, 1) : g.transpose(split, 0, 2, 1, 3);
    }

    /** [B, N, T, D] → [B, T, H]. */
    String mergeHeads(String x, int hidden) {
        return g.reshape(g.transpose(x, 0, 2, 1, 3), 0, 0, hidden);
    }

    /** The additive key mask [B, 1, 1, T]: (1 − attention_mask) · float32 min, as transformers builds it. */
    String keyMask(String attentionMask) {
        String m = g.cast(g.unsqueeze(attentionMask, 1, 2), GraphBuilder.FLOAT);
        return g.op("Mul", g.op("Sub", g.constant(1f), m), g.constant(-Float.MAX_VALUE));
    }
}

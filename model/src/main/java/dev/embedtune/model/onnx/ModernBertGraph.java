package dev.embedtune.model.onnx;

import dev.embedtune.model.config.ModernBertConfig;
import java.util.List;

/**
 * Hugging Face {@code ModernBertModel} as ONNX nodes (https://arxiv.org/abs/2412.13663), the padded
 * (non-unpadded) forward transformers runs with sdpa or eager attention. Shapes: B batch, T tokens,
 * H hidden, N heads, D = H/N, F intermediate.
 * <pre>
 * h = norm(tok[input_ids])                                                         [B, T, H]
 * per layer i (pre-norm):
 *   q, k, v = Wqkv(attn_norm(h)) viewed [B, T, 3, N, D] (layer 0: no attn_norm)
 *   q, k = q·cos + rotate_half(q)·sin, …   θ global_rope_theta on global layers
 *                                           (i % global_attn_every_n_layers == 0), local_rope_theta else
 *   h = h + Wo(softmax(q·kᵀ/√D + mask)·v)   mask: (1 − attention_mask)·min, on local layers also
 *                                           min where |q − k| > local_attention / 2 (masked_fill, once)
 *   input, gate = halves of Wi(mlp_norm(h));  h = h + Wo(gelu(input) · gate)      (GeGLU)
 * last_hidden_state = final_norm(h)
 * </pre>
 * The rotary tables and the sliding window are computed in the graph from T, so any length up to
 * max_position_embeddings runs.
 */
final class ModernBertGraph {
    private ModernBertGraph() {
    }

    /** @return the name of last_hidden_state [B, T, H] */
    static String build(GraphBuilder g, EncoderBlocks b, ModernBertConfig c, String inputIds, String attentionMask) {
        int n = c.numAttentionHeads(), d = c.headDim(), h = c.hiddenSize(), f = c.intermediateSize();
        double eps = c.normEps();

        g.scope("rotary_emb");
        String seqLength = g.op("Gather", g.op("Shape", inputIds), g.constantLong(1));
        String positions = g.op("Range", g.constantLong(0), seqLength, g.constantLong(1));        // [T] int64
        String[] global = rope(g, positions, c.globalRopeTheta(), d);
        String[] local = rope(g, positions, c.localRopeTheta(), d);

        g.scope("attention_mask");
        String globalMask = b.keyMask(attentionMask);                                               // [B, 1, 1, T]
        // The window |q − k| ≤ local_attention / 2, then masked_fill(¬window, min) over the global mask:
        // each masked score gets the float32 minimum once, never a sum of two (which would be −∞).
        String distance = g.op("Abs", g.op("Sub", g.unsqueeze(positions, 1), g.unsqueeze(positions, 0)));   // [T, T]
        String window = g.op("LessOrEqual", distance, g.constantLong(c.localAttention() / 2));
        String localMask = g.op("Where", window, globalMask, g.constant(-Float.MAX_VALUE));         // [B, 1, T, T]

        g.scope("embeddings");
        String x = b.layerNorm(g.op("Gather", b.param("embeddings.tok_embeddings.weight"), inputIds), "embeddings.norm", eps);

        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "layers." + i + ".";
            boolean isGlobal = c.isGlobalLayer(i);
            String[] cosSin = isGlobal ? global : local;
            g.scope(p + "attn");
            String a = i == 0 ? x : b.layerNorm(x, p + "attn_norm", eps);
            // [B, T, 3H] → [B, T, 3, N, D] → [3, B, N, T, D]
            String qkv = g.transpose(g.reshape(b.linear(a, p + "attn.Wqkv"), 0, 0, 3, n, d), 2, 0, 3, 1, 4);
            String q = rotate(g, g.op("Gather", List.of(qkv, g.constantLong(0)), GraphBuilder.Attribute.i("axis", 0)), cosSin, d);
            String k = rotate(g, g.op("Gather", List.of(qkv, g.constantLong(1)), GraphBuilder.Attribute.i("axis", 0)), cosSin, d);
            String v = g.op("Gather", List.of(qkv, g.constantLong(2)), GraphBuilder.Attribute.i("axis", 0));
            String context = b.attention(q, g.transpose(k, 0, 1, 3, 2), v, isGlobal ? globalMask : localMask, d);
            x = g.op("Add", x, b.linear(b.mergeHeads(context, h), p + "attn.Wo"));

            g.scope(p + "mlp");
            String wi = b.linear(b.layerNorm(x, p + "mlp_norm", eps), p + "mlp.Wi");                  // [B, T, 2F]
            String input = g.slice(wi, 0, f, -1), gate = g.slice(wi, f, 2L * f, -1);
            x = g.op("Add", x, b.linear(g.op("Mul", b.gelu(input), gate), p + "mlp.Wo"));
        }
        g.scope("final_norm");
        String out = b.layerNorm(x, "final_norm", eps);
        g.scope("");
        return out;
    }

    /**
     * cos and sin [T, D] of the angles pos · θ^(−2i/D), the D/2 frequencies repeated twice
     * (transformers' cat(freqs, freqs)); the product pos · inv_freq is float32, as there.
     */
    private static String[] rope(GraphBuilder g, String positions, double theta, int d) {
        float[] invFreq = new float[d / 2];
        for (int i = 0; i < d / 2; i++) {
            invFreq[i] = (float) (1.0 / Math.pow(theta, (2.0 * i) / d));
        }
        String pos = g.unsqueeze(g.cast(positions, GraphBuilder.FLOAT), 1);                         // [T, 1]
        String freqs = g.op("Mul", pos, g.constantFloats(invFreq, 1, d / 2));                      // [T, D/2]
        String angles = g.op("Concat", List.of(freqs, freqs), GraphBuilder.Attribute.i("axis", -1));
        return new String[] {g.op("Cos", angles), g.op("Sin", angles)};
    }

    /** x·cos + rotate_half(x)·sin with rotate_half(x) = [−x₂, x₁] for the halves x₁, x₂ of each head. */
    private static String rotate(GraphBuilder g, String x, String[] cosSin, int d) {
        String x1 = g.slice(x, 0, d / 2, -1), x2 = g.slice(x, d / 2, d, -1);
        String rotated = g.op("Concat", List.of(g.op("Neg", x2), x1), GraphBuilder.Attribute.i("axis", -1));
        return g.op("Add", g.op("Mul", x, cosSin[0]), g.op("Mul", rotated, cosSin[1]));
    }
}

package dev.embedtune.model.onnx;

import dev.embedtune.model.config.BertConfig;

/**
 * Hugging Face {@code BertModel} (without pooler) as ONNX nodes, the forward transformers runs in
 * eval mode. Shapes: B batch, T tokens, H hidden, N heads, D = H/N, F intermediate.
 * <pre>
 * h = LayerNorm(word[input_ids] + position[0..T) + token_type[token_type_ids])      [B, T, H]
 * per layer: a = softmax(q·kᵀ/√D + (1 − mask)·min)·v, merged over heads
 *            h = LayerNorm(h + dense(a));  h = LayerNorm(h + dense(gelu(intermediate(h))))
 * </pre>
 */
final class BertGraph {
    private BertGraph() {
    }

    /**
     * @return the name of last_hidden_state [B, T, H]
     */
    static String build(GraphBuilder g, EncoderBlocks b, BertConfig c, String inputIds, String attentionMask,
            String tokenTypeIds) {
        int n = c.numAttentionHeads(), d = c.headDim(), h = c.hiddenSize();
        double eps = c.layerNormEps();

        g.scope("embeddings");
        String seqLength = g.op("Gather", g.op("Shape", inputIds), g.constantLong(1));
        String positions = g.op("Range", g.constantLong(0), seqLength, g.constantLong(1));       // [T]
        String words = g.op("Gather", b.param("embeddings.word_embeddings.weight"), inputIds);
        String pos = g.op("Gather", b.param("embeddings.position_embeddings.weight"), positions);   // [T, H]
        String types = g.op("Gather", b.param("embeddings.token_type_embeddings.weight"), tokenTypeIds);
        String x = b.layerNorm(g.op("Add", g.op("Add", words, types), pos), "embeddings.LayerNorm", eps);

        g.scope("extended_attention_mask");
        String mask = b.keyMask(attentionMask);                                                     // [B, 1, 1, T]

        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            g.scope(p + "attention");
            String q = b.heads(b.linear(x, p + "attention.self.query"), n, d, false);
            String kT = b.heads(b.linear(x, p + "attention.self.key"), n, d, true);
            String v = b.heads(b.linear(x, p + "attention.self.value"), n, d, false);
            String context = b.mergeHeads(b.attention(q, kT, v, mask, d), h);
            x = b.layerNorm(g.op("Add", b.linear(context, p + "attention.output.dense"), x),
                    p + "attention.output.LayerNorm", eps);
            g.scope(p + "mlp");
            String inner = b.gelu(b.linear(x, p + "intermediate.dense"));
            x = b.layerNorm(g.op("Add", b.linear(inner, p + "output.dense"), x), p + "output.LayerNorm", eps);
        }
        g.scope("");
        return x;
    }
}

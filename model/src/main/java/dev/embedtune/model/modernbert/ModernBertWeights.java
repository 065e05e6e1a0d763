package dev.embedtune.model.modernbert;

import dev.embedtune.model.config.ModernBertConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameter names and shapes of Hugging Face {@code ModernBertModel} for a config. nn.Linear weights
 * are [out, in]: Wqkv [3H, H], attention Wo [H, H], Wi [2F, H], mlp Wo [H, F]. Layer 0 has no
 * attn_norm (it is the identity there); biases exist only when the config's *_bias flags say so.
 */
public final class ModernBertWeights {
    private ModernBertWeights() {
    }

    public static Map<String, long[]> shapes(ModernBertConfig c) {
        long h = c.hiddenSize(), f = c.intermediateSize();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("embeddings.tok_embeddings.weight", new long[] {c.vocabSize(), h});
        norm(s, "embeddings.norm", h, c.normBias());
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "layers." + i + ".";
            if (i != 0) {
                norm(s, p + "attn_norm", h, c.normBias());
            }
            linear(s, p + "attn.Wqkv", 3 * h, h, c.attentionBias());
            linear(s, p + "attn.Wo", h, h, c.attentionBias());
            norm(s, p + "mlp_norm", h, c.normBias());
            linear(s, p + "mlp.Wi", 2 * f, h, c.mlpBias());
            linear(s, p + "mlp.Wo", h, f, c.mlpBias());
        }
        norm(s, "final_norm", h, c.normBias());
        return s;
    }

    private static void norm(Map<String, long[]> s, String module, long h, boolean bias) {
        s.put(module + ".weight", new long[] {h});
        if (bias) {
            s.put(module + ".bias", new long[] {h});
        }
    }

    private static void linear(Map<String, long[]> s, String module, long out, long in, boolean bias) {
        s.put(module + ".weight", new long[] {out, in});
        if (bias) {
            s.put(module + ".bias", new long[] {out});
        }
    }
}

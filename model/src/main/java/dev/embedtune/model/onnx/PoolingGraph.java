package dev.embedtune.model.onnx;

import dev.embedtune.model.st.PoolingConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * sentence-transformers' Pooling (and Normalize) modules as ONNX nodes: what optimum's
 * sentence-transformers export calls {@code sentence_embedding}. The same arithmetic as
 * {@link dev.embedtune.model.pooling.Pooling}: modes concatenated in PoolingConfig's order, token
 * counts clamped at 1e-9, padded tokens at −1e9 for max, norms clamped at 1e-12. Shapes: hidden
 * [B, T, H], attention_mask [B, T] int64; result [B, H·modes] (or the first truncate_dim).
 */
final class PoolingGraph {
    private PoolingGraph() {
    }

    /**
     * @param truncateDim keep the first dimensions after normalising (Matryoshka), or null
     */
    static String build(GraphBuilder g, PoolingConfig config, boolean normalize, Integer truncateDim, String hidden,
            String attentionMask) {
        g.scope("pooling");
        String m = g.cast(attentionMask, GraphBuilder.FLOAT);                                    // [B, T]
        String m3 = g.unsqueeze(m, 2);                                                         // [B, T, 1]
        List<String> parts = new ArrayList<>();
        for (PoolingConfig.Mode mode : config.modes()) {
            parts.add(switch (mode) {
                case CLS -> g.op("Gather", List.of(hidden, g.constantLong(0)), GraphBuilder.Attribute.i("axis", 1));
                case MEAN -> g.op("Div", maskedSum(g, hidden, m3), clampedCount(g, m3));
                case MEAN_SQRT_LEN_TOKENS -> g.op("Div", maskedSum(g, hidden, m3), g.op("Sqrt", clampedCount(g, m3)));
                case MAX -> {
                    String filled = g.op("Add", g.op("Mul", hidden, m3),
                            g.op("Mul", g.op("Sub", g.constant(1f), m3), g.constant(-1e9f)));
                    yield g.reduce("ReduceMax", filled, false, 1);
                }
                case WEIGHTEDMEAN -> {
                    // weights 1..T on real tokens
                    String t = g.op("Gather", g.op("Shape", attentionMask), g.constantLong(1));
                    String positions = g.cast(g.op("Range", g.constantLong(1), g.op("Add", t, g.constantLong(1)),
                            g.constantLong(1)), GraphBuilder.FLOAT);                           // [T]
                    String w3 = g.unsqueeze(g.op("Mul", m, positions), 2);
                    yield g.op("Div", maskedSum(g, hidden, w3), clampedCount(g, w3));
                }
                case LASTTOKEN -> {
                    // the last real token of each right-padded row: index Σ mask − 1, at least 0
                    String last = g.op("Max", g.op("Sub", g.reduce("ReduceSum", attentionMask, true, 1), g.constantLong(1)),
                            g.constantLong(0));                                                // [B, 1]
                    String index = g.op("Expand", g.unsqueeze(last, 2),
                            g.op("Concat", List.of(g.op("Shape", last), g.slice(g.op("Shape", hidden), 2, 3, 0)),
                                    GraphBuilder.Attribute.i("axis", 0)));                        // [B, 1, H]
                    yield g.squeeze(g.op("GatherElements", List.of(hidden, index), GraphBuilder.Attribute.i("axis", 1)), 1);
                }
            });
        }
        String pooled = parts.size() == 1 ? parts.get(0)
                : g.op("Concat", parts, GraphBuilder.Attribute.i("axis", 1));
        if (normalize) {
            String norm = g.op("Max", g.reduce("ReduceL2", pooled, true, 1), g.constant(1e-12f));
            pooled = g.op("Div", pooled, norm);
        }
        if (truncateDim != null) {
            pooled = g.slice(pooled, 0, truncateDim, 1);
        }
        g.scope("");
        return pooled;
    }

    /** Σ_t weight[b, t] · hidden[b, t, :] → [B, H] */
    private static String maskedSum(GraphBuilder g, String hidden, String weights3) {
        return g.reduce("ReduceSum", g.op("Mul", hidden, weights3), false, 1);
    }

    /** Σ_t weight[b, t], at least 1e-9 → [B, 1] */
    private static String clampedCount(GraphBuilder g, String weights3) {
        return g.op("Max", g.reduce("ReduceSum", weights3, false, 1), g.constant(1e-9f));
    }
}

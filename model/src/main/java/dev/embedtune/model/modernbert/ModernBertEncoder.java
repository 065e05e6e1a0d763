package dev.embedtune.model.modernbert;

import dev.embedtune.autodiff.GraphBlocks;
import dev.embedtune.model.Encoder;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Hugging Face {@code ModernBertModel} as a SameDiff graph (https://arxiv.org/abs/2412.13663).
 * Shapes: B batch, T tokens, H hidden, N heads, D = H/N, F intermediate.
 * <pre>
 * h = LayerNorm(tok[ids])                                                    [B, T, H]
 * per layer i (pre-norm):
 *   a = attn_norm(h) (identity for layer 0); q, k, v = rows of Wqkv applied to a, split into heads
 *   q, k = RoPE(q), RoPE(k) in rotate-half form, θ global_rope_theta on global layers
 *          (i % global_attn_every_n_layers == 0), local_rope_theta on the others
 *   scores = q·kᵀ/√D + padding mask (local layers also mask |i − j| > local_attention/2)
 *   h = h + Wo(softmax(scores)·v)
 *   m = mlp_norm(h); input, gate = halves of Wi·m; h = h + Wo(gelu(input) · gate)
 * out = final_norm(h)
 * </pre>
 * RoPE's cos/sin tables and the sliding-window mask depend only on T; they are computed in Java per
 * call and fed as placeholders. rotate_half is a multiplication by a constant ±1 permutation matrix.
 */
public final class ModernBertEncoder implements Encoder {
    public static final String OUTPUT = "last_hidden_state";
    private final ModernBertConfig config;
    private final SameDiff sd;

    private ModernBertEncoder(ModernBertConfig config, SameDiff sd) {
        this.config = config;
        this.sd = sd;
    }

    /** Reads every weight from {@code weights}, checking names and shapes. */
    public static ModernBertEncoder load(ModernBertConfig config, TensorSource weights, Path source) throws IOException {
        return fromWeights(config, dev.embedtune.model.EncoderWeights.read(config, weights, source));
    }

    public static ModernBertEncoder fromWeights(ModernBertConfig c, Map<String, INDArray> weights) {
        SameDiff sd = SameDiff.create();
        int h = c.hiddenSize(), n = c.numAttentionHeads(), d = c.headDim(), f = c.intermediateSize();
        SDVariable ids = sd.placeHolder("input_ids", DataType.INT, -1, -1);
        SDVariable padding = sd.placeHolder("padding_mask", DataType.FLOAT, -1, 1, 1, -1);   // additive
        SDVariable local = sd.placeHolder("local_mask", DataType.FLOAT, -1, 1, -1, -1);       // additive [B, 1, T, T]
        SDVariable[] cos = {sd.placeHolder("cos_global", DataType.FLOAT, -1, d), sd.placeHolder("cos_local", DataType.FLOAT, -1, d)};
        SDVariable[] sin = {sd.placeHolder("sin_global", DataType.FLOAT, -1, d), sd.placeHolder("sin_local", DataType.FLOAT, -1, d)};
        Blocks g = new Blocks(sd, weights, c);
        SDVariable rotate = sd.constant("rotate_half", rotateHalf(d));
        SDVariable bt = sd.slice(sd.shape(ids).castTo(DataType.LONG), new int[] {0}, 2);
        SDVariable headsShape = sd.concat(0, bt, sd.constant(Nd4j.createFromArray((long) n, (long) d)));
        SDVariable hiddenShape = sd.concat(0, bt, sd.constant(Nd4j.createFromArray((long) h)));
        SDVariable scale = sd.constant((float) (1.0 / Math.sqrt(d)));

        SDVariable x = g.norm(sd.gather(g.w("embeddings.tok_embeddings.weight"), ids, 0), "embeddings.norm");
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "layers." + i + ".";
            int kind = c.isGlobalLayer(i) ? 0 : 1;
            SDVariable a = i == 0 ? x : g.norm(x, p + "attn_norm");
            SDVariable q = heads(sd, g.linearRows(a, p + "attn.Wqkv", 0, h), headsShape);
            SDVariable k = heads(sd, g.linearRows(a, p + "attn.Wqkv", h, h), headsShape);
            SDVariable v = heads(sd, g.linearRows(a, p + "attn.Wqkv", 2 * h, h), headsShape);
            q = rope(sd, q, rotate, cos[kind], sin[kind]);
            k = rope(sd, k, rotate, cos[kind], sin[kind]);
            SDVariable scores = sd.mmul(q, k, false, true, false).mul(scale).add(kind == 0 ? padding : local);
            SDVariable context = sd.reshape(sd.permute(sd.mmul(sd.nn().softmax(scores, 3), v), 0, 2, 1, 3), hiddenShape);
            x = x.add(g.linearRows(context, p + "attn.Wo", 0, h));
            SDVariable m = g.norm(x, p + "mlp_norm");
            SDVariable input = g.linearRows(m, p + "mlp.Wi", 0, f);
            SDVariable gate = g.linearRows(m, p + "mlp.Wi", f, f);
            x = x.add(g.linearRows(g.gelu(input).mul(gate), p + "mlp.Wo", 0, h));
        }
        g.norm(x, "final_norm").rename(OUTPUT);
        return new ModernBertEncoder(c, sd);
    }

    private static SDVariable heads(SameDiff sd, SDVariable x, SDVariable headsShape) {
        return sd.permute(sd.reshape(x, headsShape), 0, 2, 1, 3);                                  // [B, N, T, D]
    }

    /** x·cos + rotate_half(x)·sin, with rotate_half(x) = [−x₂, x₁] for halves x₁, x₂ of the head. */
    private static SDVariable rope(SameDiff sd, SDVariable x, SDVariable rotate, SDVariable cos, SDVariable sin) {
        SDVariable rotated = sd.tensorMmul(x, rotate, new int[] {3}, new int[] {0});
        return x.mul(cos).add(rotated.mul(sin));
    }

    /** The [D, D] matrix R with x·R = rotate_half(x). */
    static INDArray rotateHalf(int d) {
        INDArray r = Nd4j.zeros(DataType.FLOAT, d, d);
        int half = d / 2;
        for (int c = 0; c < half; c++) {
            r.putScalar(c + half, c, -1f);   // out[c] = −x[c + D/2]
            r.putScalar(c, c + half, 1f);    // out[c + D/2] = x[c]
        }
        return r;
    }

    /**
     * @param inputIds      [B, T]
     * @param attentionMask [B, T] 1 token, 0 padding
     * @return last_hidden_state [B, T, H] after final_norm
     */
    @Override
    public INDArray forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds) {
        return forward(inputIds, attentionMask);
    }

    public INDArray forward(int[][] inputIds, int[][] attentionMask) {
        int b = inputIds.length, t = b == 0 ? 0 : inputIds[0].length;
        int d = config.headDim();
        dev.embedtune.model.GatherIndices.requireInRange(inputIds, config.vocabSize());
        Map<String, INDArray> in = new HashMap<>();
        in.put("input_ids", Nd4j.createFromArray(inputIds));
        float[][][][] pad = new float[b][1][1][t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                pad[i][0][0][j] = attentionMask[i][j] == 1 ? 0f : -Float.MAX_VALUE;
            }
        }
        in.put("padding_mask", Nd4j.createFromArray(pad));
        // Local layers: padding and the sliding window in one mask, each masked entry the most negative
        // float once (as HF's masked_fill does; a sum of two would be −∞). A padded query far from
        // every token would have no visible key at all; libnd4j's softmax then gives 0/0 = NaN, which
        // spreads to real tokens through the values. So a padded query sees itself; its output is
        // padding and never read.
        float[][][][] local = new float[b][1][t][t];
        int reach = config.localAttention() / 2;
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                for (int k = 0; k < t; k++) {
                    boolean visible = attentionMask[i][k] == 1 && Math.abs(q - k) <= reach
                            || q == k && attentionMask[i][q] == 0;
                    local[i][0][q][k] = visible ? 0f : -Float.MAX_VALUE;
                }
            }
        }
        in.put("local_mask", Nd4j.createFromArray(local));
        putRope(in, "global", config.globalRopeTheta(), t, d);
        putRope(in, "local", config.localRopeTheta(), t, d);
        synchronized (sd) {
            return sd.output(in, OUTPUT).get(OUTPUT);
        }
    }

    /** cos/sin [T, D] of angles pos · θ^(−2i/D), the D/2 frequencies repeated twice (HF's cat(freqs, freqs)). */
    private static void putRope(Map<String, INDArray> in, String kind, double theta, int t, int d) {
        float[][] cos = new float[t][d], sin = new float[t][d];
        for (int pos = 0; pos < t; pos++) {
            for (int i = 0; i < d / 2; i++) {
                double invFreq = 1.0 / Math.pow(theta, (2.0 * i) / d);
                float angle = (float) pos * (float) invFreq;   // float32 product, as HF computes freqs
                cos[pos][i] = cos[pos][i + d / 2] = (float) Math.cos(angle);
                sin[pos][i] = sin[pos][i + d / 2] = (float) Math.sin(angle);
            }
        }
        in.put("cos_" + kind, Nd4j.createFromArray(cos));
        in.put("sin_" + kind, Nd4j.createFromArray(sin));
    }

    /** Weights by name and the three building blocks. */
    private record Blocks(SameDiff sd, Map<String, INDArray> weights, ModernBertConfig c) {
        SDVariable w(String name) {
            return sd.constant(name, weights.get(name));
        }

        /** x · W[rows from, from+count)ᵀ (+ the same rows of the bias), over the last axis of [B, T, in]. */
        SDVariable linearRows(SDVariable x, String module, int from, int count) {
            INDArray weight = weights.get(module + ".weight");
            INDArray rows = weight.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all());
            SDVariable y = sd.tensorMmul(x, sd.constant(rows.transpose().dup()), new int[] {2}, new int[] {0});
            INDArray bias = weights.get(module + ".bias");
            return bias == null ? y : y.add(sd.constant(bias.get(NDArrayIndex.interval(from, from + count)).dup()));
        }

        /** LayerNorm over the hidden axis (2 of [B, T, H]) with norm_eps; a bias only when norm_bias. */
        SDVariable norm(SDVariable x, String module) {
            SDVariable beta = weights.containsKey(module + ".bias") ? w(module + ".bias") : null;
            return GraphBlocks.layerNorm(sd, x, w(module + ".weight"), beta, c.normEps(), 2);
        }

        /** Exact GELU (ModernBERT's hidden_activation "gelu"). */
        SDVariable gelu(SDVariable u) {
            return GraphBlocks.gelu(sd, u);
        }
    }
}

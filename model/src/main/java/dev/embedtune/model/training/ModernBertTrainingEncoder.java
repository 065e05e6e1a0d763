package dev.embedtune.model.training;

import dev.embedtune.autodiff.LayerNorm;
import dev.embedtune.autodiff.LoraLinear;
import dev.embedtune.autodiff.ModernBertLayer;
import dev.embedtune.autodiff.Rope;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ModernBERT with LoRA adapters for training: the same forward as
 * {@link dev.embedtune.model.modernbert.ModernBertEncoder} (pre-norm layers, fused Wqkv, RoPE with
 * the global or local θ, sliding-window attention on local layers, GeGLU, final_norm), written layer
 * by layer over ND4J ops with a hand-written backward that computes the adapters' gradients only.
 * Adapters go on {@code Wqkv}, {@code Wo} and {@code Wi} (PEFT's names); base linear weights may be
 * block-quantised. ModernBERT's dropouts are 0 in its released checkpoints and are not applied.
 */
public final class ModernBertTrainingEncoder implements TrainingEncoder {
    private final ModernBertConfig config;
    private final DataType type;
    private final INDArray tokenEmbeddings;
    private final LayerNorm embeddingNorm, finalNorm;
    private final List<ModernBertLayer> layers = new ArrayList<>();
    private final AdaptedLinears linears;

    /**
     * @param weights ModernBertModel's weights by Hugging Face name (float32)
     * @param lora the adapters to train (their arrays are used and updated in place when {@code type} is FLOAT)
     * @param base dense or quantised base linear weights
     * @param type FLOAT, or DOUBLE for gradient checks
     */
    public ModernBertTrainingEncoder(ModernBertConfig config, Map<String, INDArray> weights, LoraModel lora,
            BaseQuantization base, DataType type) {
        if (!"gelu".equals(config.hiddenActivation())) {
            throw new IllegalArgumentException("hidden_activation " + config.hiddenActivation()
                    + " is not supported for training (expected gelu, as every released ModernBERT uses)");
        }
        this.config = config;
        this.type = type;
        this.linears = new AdaptedLinears(lora, base, type);
        tokenEmbeddings = linears.cast(weights.get("embeddings.tok_embeddings.weight"));
        embeddingNorm = norm(weights, "embeddings.norm");
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "layers." + i + ".";
            LayerNorm attentionNorm = i == 0 ? null : norm(weights, p + "attn_norm");
            LoraLinear wqkv = linears.linear(weights, p + "attn.Wqkv");
            LoraLinear wo = linears.linear(weights, p + "attn.Wo");
            LayerNorm mlpNorm = norm(weights, p + "mlp_norm");
            LoraLinear wi = linears.linear(weights, p + "mlp.Wi");
            LoraLinear mlpWo = linears.linear(weights, p + "mlp.Wo");
            layers.add(new ModernBertLayer(attentionNorm, wqkv, wo, mlpNorm, wi, mlpWo, config.numAttentionHeads()));
        }
        finalNorm = norm(weights, "final_norm");
    }

    /** A LayerNorm with norm_eps; without bias unless norm_bias. */
    private LayerNorm norm(Map<String, INDArray> weights, String module) {
        return new LayerNorm(linears.cast(weights.get(module + ".weight")), linears.cast(weights.get(module + ".bias")),
                config.normEps());
    }

    @Override
    public ModernBertConfig modelConfig() {
        return config;
    }

    @Override
    public DataType dataType() {
        return type;
    }

    @Override
    public Map<String, INDArray> parameters() {
        return linears.parameters();
    }

    @Override
    public Map<String, INDArray> gradients() {
        return linears.gradients();
    }

    @Override
    public void zeroGradients() {
        linears.zeroGradients();
    }

    @Override
    public LoraModel currentAdapters() {
        return linears.currentAdapters();
    }

    @Override
    public long baseLinearBytes() {
        return linears.baseBytes();
    }

    @Override
    public long baseLinearParameters() {
        return linears.baseParameters();
    }

    @Override
    public long scratchBytes() {
        return linears.scratchBytes();
    }

    /** The activations of one forward pass, the masks and RoPE tables of its length. */
    public static final class Pass implements TrainingEncoder.Pass {
        final long batch, tokens;
        final boolean inference;
        final INDArray embeddings, xHatE, rstdE, keyMask, windowMask, xHatF, rstdF, hidden, dA, dB, work;
        final INDArray[] global, local;                   // RoPE {cos, sin} [T, D/2] per θ
        final List<ModernBertLayer.Activations> layers = new ArrayList<>();
        private final int lastLayer;

        /** @param inference forward only: two sets of layer activations used alternately, no backward buffers */
        Pass(ModernBertConfig c, DataType type, long batch, long tokens, long rank, boolean inference) {
            this.batch = batch;
            this.tokens = tokens;
            this.inference = inference;
            long m = batch * tokens, h = c.hiddenSize();
            embeddings = Nd4j.create(type, m, h);
            xHatE = Nd4j.create(type, m, h);
            rstdE = Nd4j.create(type, m, 1);
            keyMask = Nd4j.create(type, batch, tokens);
            windowMask = Nd4j.create(type, batch, tokens, tokens);
            xHatF = Nd4j.create(type, m, h);
            rstdF = Nd4j.create(type, m, 1);
            hidden = Nd4j.create(type, m, h);
            dA = inference ? null : Nd4j.create(type, m, h);
            dB = inference ? null : Nd4j.create(type, m, h);
            work = inference ? null : Nd4j.create(type, m, h);
            global = Rope.tables(type, (int) tokens, c.headDim(), c.globalRopeTheta());
            local = Rope.tables(type, (int) tokens, c.headDim(), c.localRopeTheta());
            int sets = inference ? Math.min(2, c.numHiddenLayers()) : c.numHiddenLayers();
            for (int i = 0; i < sets; i++) {
                layers.add(new ModernBertLayer.Activations(type, batch, tokens, h, c.intermediateSize(),
                        c.numAttentionHeads(), rank, !inference));
            }
            lastLayer = c.numHiddenLayers() - 1;
        }

        ModernBertLayer.Activations layer(int i) {
            return inference ? layers.get(i % 2) : layers.get(i);
        }

        @Override
        public INDArray hidden() {
            return hidden;
        }

        @Override
        public INDArray keyMask() {
            return keyMask;
        }

        @Override
        public long batch() {
            return batch;
        }

        @Override
        public long tokens() {
            return tokens;
        }

        @Override
        public void close() {
            for (INDArray a : new INDArray[] {embeddings, xHatE, rstdE, keyMask, windowMask, xHatF, rstdF, hidden, dA, dB,
                    work, global[0], global[1], local[0], local[1]}) {
                if (a != null && a.closeable()) {
                    a.close();
                }
            }
            layers.forEach(ModernBertLayer.Activations::close);
            layers.clear();
        }
    }

    @Override
    public Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse) {
        return forward(inputIds, attentionMask, reuse, false);
    }

    @Override
    public Pass forwardInference(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse) {
        return forward(inputIds, attentionMask, reuse, true);
    }

    private Pass forward(int[][] inputIds, int[][] attentionMask, TrainingEncoder.Pass reusable, boolean inference) {
        int b = inputIds.length, t = b == 0 ? 0 : inputIds[0].length;
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(t + " tokens exceed max_position_embeddings " + config.maxPositionEmbeddings());
        }
        boolean fits = reusable instanceof Pass own && own.batch == b && own.tokens == t && own.inference == inference
                && own.embeddings.dataType() == type;
        if (reusable != null && !fits) {
            reusable.close();         // replaced: free its native memory now
        }
        Pass pass = fits ? (Pass) reusable : new Pass(config, type, b, t, linears.rank(), inference);
        int[] ids = new int[b * t];
        double[] keys = new double[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                ids[i * t + j] = inputIds[i][j];
                keys[i * t + j] = attentionMask[i][j];
            }
        }
        pass.keyMask.assign(Nd4j.createFromArray(keys).reshape(b, t));
        pass.windowMask.assign(Nd4j.createFromArray(windowMask(attentionMask, t, config.localAttention() / 2)).reshape(b, t, t));
        RowGather.rows(tokenEmbeddings, ids, pass.embeddings);
        embeddingNorm.forward(pass.embeddings, pass.xHatE, pass.rstdE, pass.embeddings);
        INDArray x = pass.embeddings;
        for (int i = 0; i < layers.size(); i++) {
            INDArray[] rope = config.isGlobalLayer(i) ? pass.global : pass.local;
            INDArray mask = config.isGlobalLayer(i) ? pass.keyMask : pass.windowMask;
            layers.get(i).forward(x, mask, rope[0], rope[1], pass.layer(i));
            x = pass.layer(i).output();
        }
        finalNorm.forward(x, pass.xHatF, pass.rstdF, pass.hidden);
        return pass;
    }

    /**
     * Local layers' mask [B, T, T]: query q sees key k when k is a token and |q − k| ≤ reach. A padded
     * query also sees itself, so that no row is empty (its output is padding and never read), as in
     * {@link dev.embedtune.model.modernbert.ModernBertEncoder}.
     */
    static float[] windowMask(int[][] attentionMask, int t, int reach) {
        int b = attentionMask.length;
        float[] mask = new float[b * t * t];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                int base = (i * t + q) * t;
                for (int k = Math.max(0, q - reach); k <= Math.min(t - 1, q + reach); k++) {
                    mask[base + k] = attentionMask[i][k];
                }
                if (attentionMask[i][q] == 0) {
                    mask[base + q] = 1;
                }
            }
        }
        return mask;
    }

    @Override
    public void backward(TrainingEncoder.Pass trainingPass, INDArray dHidden) {
        Pass pass = (Pass) trainingPass;
        if (pass.inference) {
            throw new IllegalStateException("backward through an inference pass (use forward, not forwardInference)");
        }
        finalNorm.backward(pass.xHatF, pass.rstdF, dHidden, pass.dA, pass.work);
        INDArray d = pass.dA;
        for (int i = layers.size() - 1; i >= 0; i--) {
            INDArray dx = i == 0 ? null : (d == pass.dA ? pass.dB : pass.dA);
            INDArray[] rope = config.isGlobalLayer(i) ? pass.global : pass.local;
            layers.get(i).backward(d, dx, rope[0], rope[1], pass.layers.get(i));
            d = dx;
        }
    }
}

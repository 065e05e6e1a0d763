package dev.embedtune.model.training;

import dev.embedtune.autodiff.BertLayer;
import dev.embedtune.autodiff.Buffers;
import dev.embedtune.autodiff.LayerNorm;
import dev.embedtune.autodiff.ModernBertDropoutRates;
import dev.embedtune.autodiff.kernels.DropoutMask;
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
 * by layer over ND4J ops with a hand-written backward that computes the trainable tensors' gradients
 * only: adapters on {@code Wqkv}, {@code Wo} and {@code Wi} (PEFT's names), plus biases and norms when
 * the LoRA config trains them. Base linear weights may be block-quantised. A forward given row seeds
 * runs in train mode: the model's embedding, attention and MLP dropout (0 in the released checkpoints)
 * and LoRA dropout, masks drawn per batch row.
 */
public final class ModernBertTrainingEncoder extends ParameterizedEncoder {
    private final ModernBertConfig config;
    private final INDArray tokenEmbeddings;
    private final LayerNorm embeddingNorm, finalNorm;
    private final List<ModernBertLayer> layers = new ArrayList<>();
    private final ModernBertDropoutRates rates;

    /**
     * @param weights ModernBertModel's weights by Hugging Face name (float32)
     * @param lora the adapters to train (their arrays are used and updated in place when {@code type} is FLOAT)
     * @param base dense or quantised base linear weights
     * @param type FLOAT, or DOUBLE for gradient checks
     */
    public ModernBertTrainingEncoder(ModernBertConfig config, Map<String, INDArray> weights, LoraModel lora,
            BaseQuantization base, DataType type) {
        this(config, weights, lora, base, type, true);
    }

    /**
     * @param modelDropout apply embedding_dropout, attention_dropout and mlp_dropout in a train-mode
     *     forward; LoRA dropout applies either way
     */
    public ModernBertTrainingEncoder(ModernBertConfig config, Map<String, INDArray> weights, LoraModel lora,
            BaseQuantization base, DataType type, boolean modelDropout) {
        super(new EncoderParameters(trainable(config), weights, lora, base, type), type);
        this.config = config;
        this.rates = modelDropout
                ? new ModernBertDropoutRates(config.embeddingDropout(), config.attentionDropout(), config.mlpDropout(),
                        parameters.loraDropout())
                : new ModernBertDropoutRates(0, 0, 0, parameters.loraDropout());
        double eps = config.normEps();                      // norms have a bias only when norm_bias
        tokenEmbeddings = parameters.frozen("embeddings.tok_embeddings.weight");
        embeddingNorm = parameters.norm("embeddings.norm", eps);
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "layers." + i + ".";
            LayerNorm attentionNorm = i == 0 ? null : parameters.norm(p + "attn_norm", eps);
            LoraLinear wqkv = parameters.linear(p + "attn.Wqkv");
            LoraLinear wo = parameters.linear(p + "attn.Wo");
            LayerNorm mlpNorm = parameters.norm(p + "mlp_norm", eps);
            LoraLinear wi = parameters.linear(p + "mlp.Wi");
            LoraLinear mlpWo = parameters.linear(p + "mlp.Wo");
            layers.add(new ModernBertLayer(attentionNorm, wqkv, wo, mlpNorm, wi, mlpWo, config.numAttentionHeads(), i,
                    rates));
        }
        finalNorm = parameters.norm("final_norm", eps);
    }

    /** {@code config}, when this encoder can train it. */
    private static ModernBertConfig trainable(ModernBertConfig config) {
        if (!"gelu".equals(config.hiddenActivation())) {
            throw new IllegalArgumentException("hidden_activation " + config.hiddenActivation()
                    + " is not supported for training (expected gelu, as every released ModernBERT uses)");
        }
        return config;
    }

    @Override
    public ModernBertConfig modelConfig() {
        return config;
    }

    /** The activations of one forward pass, the masks and RoPE tables of its length. */
    public static final class Pass extends EncoderPass {
        final INDArray embeddings, xHatE, rstdE, windowMask, xHatF, rstdF, hidden, dA, dB, work;
        final INDArray embeddingDrop;                     // [M, H] embedding dropout mask, or null
        boolean dropping;                                 // this pass drew dropout masks
        final INDArray[] global, local;                   // RoPE {cos, sin} [T, D/2] per θ
        final List<ModernBertLayer.Activations> layers = new ArrayList<>();
        private final int lastLayer;

        /** @param inference forward only: two sets of layer activations used alternately, no backward buffers */
        Pass(ModernBertConfig c, DataType type, long batch, long tokens, long rank, boolean inference,
                ModernBertDropoutRates rates) {
            super(type, batch, tokens, inference);
            long m = batch * tokens, h = c.hiddenSize();
            embeddings = Nd4j.create(type, m, h);
            xHatE = Nd4j.create(type, m, h);
            rstdE = Nd4j.create(type, m, 1);
            windowMask = Nd4j.create(type, batch, tokens, tokens);
            xHatF = Nd4j.create(type, m, h);
            rstdF = Nd4j.create(type, m, 1);
            hidden = Nd4j.create(type, m, h);
            dA = inference ? null : Nd4j.create(type, m, h);
            dB = inference ? null : Nd4j.create(type, m, h);
            work = inference ? null : Nd4j.create(type, m, h);
            embeddingDrop = !inference && rates.embedding() > 0 ? Nd4j.create(type, m, h) : null;
            global = Rope.tables(type, (int) tokens, c.headDim(), c.globalRopeTheta());
            local = Rope.tables(type, (int) tokens, c.headDim(), c.localRopeTheta());
            int sets = inference ? Math.min(2, c.numHiddenLayers()) : c.numHiddenLayers();
            for (int i = 0; i < sets; i++) {
                layers.add(new ModernBertLayer.Activations(type, batch, tokens, h, c.intermediateSize(),
                        c.numAttentionHeads(), rank, !inference, inference ? ModernBertDropoutRates.NONE : rates));
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
        public void close() {
            Buffers.close(embeddings, xHatE, rstdE, keyMask, windowMask, xHatF, rstdF, hidden, dA, dB,
                    work, embeddingDrop, global[0], global[1], local[0], local[1]);
            layers.forEach(ModernBertLayer.Activations::close);
            layers.clear();
        }
    }

    @Override
    public Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse) {
        return forward(inputIds, attentionMask, reuse, false, null);
    }

    @Override
    public Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse,
            long[] rowSeeds) {
        checkRowSeeds(rowSeeds, inputIds.length);
        return forward(inputIds, attentionMask, reuse, false, rowSeeds);
    }

    @Override
    public Pass forwardInference(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse) {
        return forward(inputIds, attentionMask, reuse, true, null);
    }

    /** The dropout this encoder applies in a train-mode forward. */
    public ModernBertDropoutRates dropoutRates() {
        return rates;
    }

    private Pass forward(int[][] inputIds, int[][] attentionMask, TrainingEncoder.Pass reusable, boolean inference,
            long[] rowSeeds) {
        int b = inputIds.length, t = b == 0 ? 0 : inputIds[0].length;
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(t + " tokens exceed max_position_embeddings " + config.maxPositionEmbeddings());
        }
        Pass reused = EncoderPass.reuse(reusable, Pass.class, b, t, inference, type);
        Pass pass = reused != null ? reused : new Pass(config, type, b, t, parameters.rank(), inference, rates);
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
        pass.dropping = rowSeeds != null;
        if (pass.dropping && pass.embeddingDrop != null) {
            DropoutMask.fill(pass.embeddingDrop, rates.embedding(), rowSeeds, BertLayer.site(-1, 0));
            pass.embeddings.muli(pass.embeddingDrop);
        }
        INDArray x = pass.embeddings;
        for (int i = 0; i < layers.size(); i++) {
            INDArray[] rope = config.isGlobalLayer(i) ? pass.global : pass.local;
            INDArray mask = config.isGlobalLayer(i) ? pass.keyMask : pass.windowMask;
            layers.get(i).forward(x, mask, rope[0], rope[1], pass.layer(i), rowSeeds);
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
        // the token embeddings are frozen: the gradient goes below layer 0 only for a trainable embedding norm
        boolean intoEmbeddings = embeddingNorm.trainable();
        INDArray d = pass.dA;
        for (int i = layers.size() - 1; i >= 0; i--) {
            INDArray dx = i == 0 && !intoEmbeddings ? null : (d == pass.dA ? pass.dB : pass.dA);
            INDArray[] rope = config.isGlobalLayer(i) ? pass.global : pass.local;
            layers.get(i).backward(d, dx, rope[0], rope[1], pass.layers.get(i));
            d = dx;
        }
        if (intoEmbeddings) {
            if (pass.dropping && pass.embeddingDrop != null) {
                d.muli(pass.embeddingDrop);
            }
            embeddingNorm.backward(pass.xHatE, pass.rstdE, d, null, pass.work);
        }
    }
}

package dev.embedtune.model.training;

import dev.embedtune.autodiff.Arena;
import dev.embedtune.autodiff.BertLayer;
import dev.embedtune.autodiff.TokenLayout;
import dev.embedtune.autodiff.kernels.AttentionSettings;
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

    /** The activations of one forward pass over the batch's real tokens, kept for its backward; re-bound to each batch. */
    public static final class Pass extends EncoderPass {
        private final ModernBertConfig config;
        private final long rank;
        private final ModernBertDropoutRates rates;
        INDArray embeddings, xHatE, rstdE, xHatF, rstdF, last, dA, dB;    // [N, H] (rstd [N, 1]); dB for training
        INDArray embeddingDrop;                           // [N, H] embedding dropout mask, or null
        long[] rowSeeds;                                  // the forward's dropout seeds (null: eval mode)
        INDArray[] global, local;                         // RoPE {cos, sin} [T', D/2] per θ, T' ≥ the batch's length
        ModernBertLayer.Work work;                        // shared by the layers
        final List<ModernBertLayer.Activations> layers = new ArrayList<>();
        final List<INDArray> checkpoints = new ArrayList<>();   // with gradient checkpointing: each layer's input

        /**
         * @param inference forward only: two sets of layer activations used alternately, no backward buffers
         * @param checkpointing keep each layer's input only and recompute the layer in the backward
         */
        Pass(ModernBertConfig config, DataType type, long rank, boolean inference, boolean checkpointing,
                ModernBertDropoutRates rates) {
            super(type, inference, checkpointing);
            this.config = config;
            this.rank = rank;
            this.rates = rates;
        }

        @Override
        void takeArrays(Arena arena, long n) {
            long h = config.hiddenSize();
            embeddings = arena.take(n, h);
            xHatE = arena.take(n, h);
            rstdE = arena.take(n, 1);
            xHatF = arena.take(n, h);
            rstdF = arena.take(n, 1);
            last = arena.take(n, h);
            dA = arena.take(n, h);
            dB = inference ? null : arena.take(n, h);
            embeddingDrop = !inference && rates.embedding() > 0 ? arena.take(n, h) : null;
            work = new ModernBertLayer.Work(arena, n, h, config.intermediateSize(), rank, !inference,
                    inference ? ModernBertDropoutRates.NONE : rates);
            layers.clear();
            checkpoints.clear();
            int layerCount = config.numHiddenLayers();
            // inference alternates two sets (a layer reads the previous one's output); checkpointing
            // runs every layer from its kept input, so one set serves them all
            int sets = checkpointing && !inference ? 1 : inference ? Math.min(2, layerCount) : layerCount;
            for (int i = 0; i < sets; i++) {
                layers.add(new ModernBertLayer.Activations(arena, n, h, config.intermediateSize(),
                        config.numAttentionHeads(), rank));
            }
            if (checkpointing && !inference) {
                for (int i = 1; i < layerCount; i++) {
                    checkpoints.add(arena.take(n, h));
                }
            }
        }

        ModernBertLayer.Activations layer(int i) {
            return layers.get(i % layers.size());
        }

        INDArray checkpoint(int i) {
            return i == 0 ? embeddings : checkpoints.get(i - 1);
        }

        /** RoPE tables covering positions below {@code tokens} (grown in steps of 64, kept across batches). */
        void ropeTables(int tokens, DataType type) {
            if (global == null || global[0].size(0) < tokens) {
                int length = (tokens + 63) / 64 * 64;
                global = Rope.tables(type, length, config.headDim(), config.globalRopeTheta());
                local = Rope.tables(type, length, config.headDim(), config.localRopeTheta());
            }
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

    @Override
    public long passBytes(int batch, int paddedLength, long realTokens, boolean training) {
        return new Pass(config, type, parameters.rank(), !training, checkpointing() && training, rates)
                .bytesFor(batch, paddedLength, realTokens, config.hiddenSize());
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
        TokenLayout layout = TokenLayout.of(attentionMask);
        boolean checkpointing = checkpointing() && !inference;
        Pass reused = EncoderPass.reuse(reusable, Pass.class, inference, checkpointing, type);
        Pass pass = reused != null ? reused : new Pass(config, type, parameters.rank(), inference, checkpointing, rates);
        pass.bind(layout, config.hiddenSize());
        pass.ropeTables(t, type);
        int n = layout.rows();
        int[] ids = new int[n];
        for (int r = 0; r < n; r++) {
            ids[r] = inputIds[layout.sequence(r)][layout.position(r)];
        }
        pass.setKeyMask(attentionMask);
        RowGather.rows(tokenEmbeddings, ids, pass.embeddings);
        embeddingNorm.forward(pass.embeddings, pass.xHatE, pass.rstdE, pass.embeddings);
        pass.rowSeeds = rowSeeds;
        if (rowSeeds != null && pass.embeddingDrop != null) {
            DropoutMask.fillRows(pass.embeddingDrop, rates.embedding(), layout, rowSeeds, BertLayer.site(-1, 0));
            pass.embeddings.muli(pass.embeddingDrop);
        }
        INDArray x = pass.embeddings;
        for (int i = 0; i < layers.size(); i++) {
            if (i > 0 && !pass.checkpoints.isEmpty()) {
                x = pass.checkpoint(i).assign(x);
            }
            forwardLayer(pass, i, x);
            x = pass.layer(i).output();
        }
        finalNorm.forward(x, pass.xHatF, pass.rstdF, pass.last);
        pass.unpack(pass.last);
        return pass;
    }

    /** Layer i's forward on x with its θ and reach, in the pass's activations for that layer. */
    private void forwardLayer(Pass pass, int i, INDArray x) {
        boolean global = config.isGlobalLayer(i);
        INDArray[] rope = global ? pass.global : pass.local;
        layers.get(i).forward(x, pass.layout, rope[0], rope[1], global ? AttentionSettings.GLOBAL : config.localAttention() / 2,
                pass.layer(i), pass.work, pass.rowSeeds);
    }

    @Override
    public void backward(TrainingEncoder.Pass trainingPass, INDArray dHidden) {
        Pass pass = (Pass) trainingPass;
        if (pass.inference) {
            throw new IllegalStateException("backward through an inference pass (use forward, not forwardInference)");
        }
        finalNorm.backward(pass.xHatF, pass.rstdF, pass.pack(dHidden, pass.dB), pass.dA, null);
        // the token embeddings are frozen: the gradient goes below layer 0 only for a trainable embedding norm
        boolean intoEmbeddings = embeddingNorm.trainable();
        INDArray d = pass.dA;
        for (int i = layers.size() - 1; i >= 0; i--) {
            INDArray dx = i == 0 && !intoEmbeddings ? null : (d == pass.dA ? pass.dB : pass.dA);
            if (pass.checkpointing) {
                forwardLayer(pass, i, pass.checkpoint(i));   // again, from the kept input with the same seeds: the same bits
            }
            layers.get(i).backward(d, dx, pass.layer(i), pass.work);
            d = dx;
        }
        if (intoEmbeddings) {
            if (pass.rowSeeds != null && pass.embeddingDrop != null) {
                d.muli(pass.embeddingDrop);
            }
            embeddingNorm.backward(pass.xHatE, pass.rstdE, d, null, null);
        }
    }
}

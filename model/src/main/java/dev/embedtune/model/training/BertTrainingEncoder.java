package dev.embedtune.model.training;

import dev.embedtune.autodiff.Arena;
import dev.embedtune.autodiff.BertLayer;
import dev.embedtune.autodiff.TokenLayout;
import dev.embedtune.autodiff.DropoutRates;
import dev.embedtune.autodiff.kernels.DropoutMask;
import dev.embedtune.autodiff.LayerNorm;
import dev.embedtune.autodiff.LoraLinear;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.lora.TrainedBaseTensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT with LoRA adapters for training: the same forward as {@link dev.embedtune.model.bert.BertEncoder},
 * written layer by layer over ND4J ops with a hand-written backward that computes the trainable
 * tensors' gradients only: the adapters, plus biases and LayerNorms when the LoRA config trains them
 * (PEFT's {@code bias} and {@code modules_to_save}, see {@link TrainedBaseTensors}). Embeddings and base
 * weights are frozen; the base linear weights may be held block-quantised (QLoRA). Works in FLOAT, and
 * in DOUBLE for gradient checks.
 *
 * <p>A forward given row seeds runs in train mode: BERT's hidden and attention dropout (unless the
 * model's dropout is switched off) and LoRA dropout, masks drawn per batch row from its seed (see
 * {@link DropoutMask}). Without seeds it runs in eval mode, with no dropout.
 */
public final class BertTrainingEncoder extends ParameterizedEncoder {
    private static final String[] LINEARS = {"attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense"};
    private final BertConfig config;
    private final INDArray wordEmbeddings, positionEmbeddings, typeEmbeddings;
    private final LayerNorm embeddingNorm;
    private final List<BertLayer> layers = new ArrayList<>();
    private final DropoutRates rates;

    /**
     * @param weights BertModel's weights by Hugging Face name (float32)
     * @param lora the adapters to train (their arrays are used and updated in place when {@code type} is FLOAT)
     * @param base dense or quantised base linear weights
     * @param type FLOAT, or DOUBLE for gradient checks
     */
    public BertTrainingEncoder(BertConfig config, Map<String, INDArray> weights, LoraModel lora, BaseQuantization base,
            DataType type) {
        this(config, weights, lora, base, type, true);
    }

    /**
     * @param modelDropout apply the model's hidden_dropout_prob and attention_probs_dropout_prob in a
     *     train-mode forward (sentence-transformers trains with them); LoRA dropout applies either way
     */
    public BertTrainingEncoder(BertConfig config, Map<String, INDArray> weights, LoraModel lora, BaseQuantization base,
            DataType type, boolean modelDropout) {
        super(new EncoderParameters(config, weights, lora, base, type), type);
        this.config = config;
        this.rates = new DropoutRates(modelDropout ? config.hiddenDropoutProb() : 0,
                modelDropout ? config.attentionProbsDropoutProb() : 0, parameters.loraDropout());
        wordEmbeddings = parameters.frozen("embeddings.word_embeddings.weight");
        positionEmbeddings = parameters.frozen("embeddings.position_embeddings.weight");
        typeEmbeddings = parameters.frozen("embeddings.token_type_embeddings.weight");
        embeddingNorm = parameters.norm("embeddings.LayerNorm", config.layerNormEps());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            LoraLinear[] l = new LoraLinear[LINEARS.length];
            for (int j = 0; j < LINEARS.length; j++) {
                l[j] = parameters.linear(p + LINEARS[j]);
            }
            LayerNorm attentionNorm = parameters.norm(p + "attention.output.LayerNorm", config.layerNormEps());
            LayerNorm outputNorm = parameters.norm(p + "output.LayerNorm", config.layerNormEps());
            layers.add(new BertLayer(l[0], l[1], l[2], l[3], attentionNorm, l[4], l[5], outputNorm,
                    config.numAttentionHeads(), i, rates));
        }
    }

    public BertConfig config() {
        return config;
    }

    @Override
    public BertConfig modelConfig() {
        return config;
    }

    /** The activations of one forward pass over the batch's real tokens, kept for its backward; re-bound to each batch. */
    public static final class Pass extends EncoderPass {
        private final BertConfig config;
        private final long rank;
        private final DropoutRates rates;
        private final boolean embeddingNormTrains;
        INDArray embeddings, rows, dA, dB;                 // [N, H]; dB only for training
        INDArray embeddingXHat, embeddingRstd;             // [N, H] kept only when the embedding LayerNorm trains; [N, 1]
        INDArray embeddingDrop;                            // [N, H] hidden dropout mask after the embeddings, or null
        BertLayer.Work work;                               // shared by the layers
        final List<BertLayer.Activations> layers = new ArrayList<>();
        final List<INDArray> checkpoints = new ArrayList<>();   // with gradient checkpointing: each layer's input
        long[] rowSeeds;                                   // the forward's dropout seeds (null: eval mode)

        /**
         * @param inference forward only: two sets of activations used by alternate layers, no backward buffers
         * @param checkpointing keep each layer's input only and recompute the layer in the backward
         */
        Pass(BertConfig config, DataType type, long rank, boolean inference, boolean checkpointing, DropoutRates rates,
                boolean embeddingNormTrains) {
            super(type, inference, checkpointing);
            this.config = config;
            this.rank = rank;
            this.rates = rates;
            this.embeddingNormTrains = embeddingNormTrains;
        }

        @Override
        void takeArrays(Arena arena, long n) {
            long h = config.hiddenSize();
            embeddings = arena.take(n, h);
            rows = arena.take(n, h);
            dA = arena.take(n, h);
            dB = inference ? null : arena.take(n, h);
            embeddingXHat = !inference && embeddingNormTrains ? arena.take(n, h) : null;
            embeddingRstd = arena.take(n, 1);
            embeddingDrop = !inference && rates.hidden() > 0 ? arena.take(n, h) : null;
            work = new BertLayer.Work(arena, n, h, config.intermediateSize(), rank, !inference,
                    inference ? DropoutRates.NONE : rates);
            layers.clear();
            checkpoints.clear();
            int layerCount = config.numHiddenLayers();
            // inference alternates two sets (a layer reads the previous one's output); checkpointing
            // runs every layer from its kept input, so one set serves them all
            int sets = checkpointing && !inference ? 1 : inference ? Math.min(2, layerCount) : layerCount;
            for (int i = 0; i < sets; i++) {
                layers.add(new BertLayer.Activations(arena, n, h, config.intermediateSize(), config.numAttentionHeads(), rank));
            }
            if (checkpointing && !inference) {
                for (int i = 1; i < layerCount; i++) {
                    checkpoints.add(arena.take(n, h));     // layer 0's input is the embeddings, kept anyway
                }
            }
        }

        private BertLayer.Activations layer(int i) {
            return layers.get(i % layers.size());
        }

        /** Layer i's input, as the backward reads it (a checkpoint, or the activations' own reference). */
        private INDArray checkpoint(int i) {
            return i == 0 ? embeddings : checkpoints.get(i - 1);
        }
    }

    @Override
    public Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse,
            long[] rowSeeds) {
        checkRowSeeds(rowSeeds, inputIds.length);
        return forward(inputIds, attentionMask, tokenTypeIds, reuse, false, rowSeeds);
    }

    @Override
    public Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse) {
        return forward(inputIds, attentionMask, tokenTypeIds, reuse, null);
    }

    @Override
    public long passBytes(int batch, int paddedLength, long realTokens, boolean training) {
        return new Pass(config, type, parameters.rank(), !training, checkpointing() && training, rates,
                embeddingNorm.trainable()).bytesFor(batch, paddedLength, realTokens, config.hiddenSize());
    }

    /** The dropout this encoder applies in a train-mode forward. */
    public DropoutRates dropoutRates() {
        return rates;
    }

    @Override
    public Pass forwardInference(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse) {
        return forward(inputIds, attentionMask, tokenTypeIds, reuse, true, null);
    }

    private Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reusable,
            boolean inference, long[] rowSeeds) {
        int b = inputIds.length, t = b == 0 ? 0 : inputIds[0].length;
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(t + " tokens exceed max_position_embeddings " + config.maxPositionEmbeddings());
        }
        TokenLayout layout = TokenLayout.of(attentionMask);
        Pass reused = EncoderPass.reuse(reusable, Pass.class, inference, checkpointing() && !inference, type);
        Pass pass = reused != null ? reused : new Pass(config, type, parameters.rank(), inference,
                checkpointing() && !inference, rates, embeddingNorm.trainable());
        pass.bind(layout, config.hiddenSize());
        int n = layout.rows();
        int[] ids = new int[n], types = new int[n], positions = new int[n];
        for (int r = 0; r < n; r++) {
            int seq = layout.sequence(r), pos = layout.position(r);
            ids[r] = inputIds[seq][pos];
            types[r] = tokenTypeIds[seq][pos];
            positions[r] = pos;
        }
        pass.setKeyMask(attentionMask);
        RowGather.rows(wordEmbeddings, ids, pass.embeddings);
        RowGather.rows(positionEmbeddings, positions, pass.rows);
        RowGather.rows(typeEmbeddings, types, pass.dA);
        pass.rows.addi(pass.dA);
        // x = LN(word + position + type): the sum joined in the norm's pass; x̂ lands in dA (free again) when not kept
        INDArray xHat = pass.embeddingXHat != null ? pass.embeddingXHat : pass.dA;
        embeddingNorm.forward(pass.embeddings, null, null, pass.rows, xHat, pass.embeddingRstd, null, pass.embeddings);
        INDArray x = pass.embeddings;
        if (rowSeeds != null && pass.embeddingDrop != null) {
            DropoutMask.fillRows(pass.embeddingDrop, rates.hidden(), layout, rowSeeds, BertLayer.site(-1, 0));
            x.muli(pass.embeddingDrop);
        }
        pass.rowSeeds = rowSeeds;
        for (int i = 0; i < layers.size(); i++) {
            if (i > 0 && !pass.checkpoints.isEmpty()) {
                x = pass.checkpoint(i).assign(x);
            }
            layers.get(i).forward(x, layout, pass.layer(i), pass.work, rowSeeds);
            x = pass.layer(i).output();
        }
        pass.unpack(x);
        return pass;
    }

    /** Adds the trainable tensors' gradients for dL/d(last_hidden_state) {@code dHidden} [B·T, H] of {@code pass}. */
    @Override
    public void backward(TrainingEncoder.Pass trainingPass, INDArray dHidden) {
        Pass pass = (Pass) trainingPass;
        if (pass.inference) {
            throw new IllegalStateException("backward through an inference pass (use forward, not forwardInference)");
        }
        // the embeddings are frozen: the gradient goes below layer 0 only for a trainable embedding LayerNorm
        boolean intoEmbeddings = embeddingNorm.trainable();
        INDArray d = pass.pack(dHidden, pass.dA);
        for (int i = layers.size() - 1; i >= 0; i--) {
            INDArray dx = i == 0 && !intoEmbeddings ? null : (d == pass.dA ? pass.dB : pass.dA);
            BertLayer.Activations act = pass.layer(i);
            if (pass.checkpointing) {
                // the layer's forward again, from its kept input with the same seeds: the same bits
                layers.get(i).forward(pass.checkpoint(i), pass.layout, act, pass.work, pass.rowSeeds);
            }
            layers.get(i).backward(d, dx, act, pass.work);
            d = dx;
        }
        if (intoEmbeddings) {
            if (pass.rowSeeds != null && pass.embeddingDrop != null) {
                d.muli(pass.embeddingDrop);
            }
            embeddingNorm.backward(pass.embeddingXHat, pass.embeddingRstd, d, null, null);
        }
    }
}

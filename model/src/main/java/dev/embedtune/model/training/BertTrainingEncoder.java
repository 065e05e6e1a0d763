package dev.embedtune.model.training;

import dev.embedtune.autodiff.BertLayer;
import dev.embedtune.autodiff.Buffers;
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

    /** The activations of one forward pass, kept for its backward, reusable for a batch of the same shape. */
    public static final class Pass extends EncoderPass {
        final INDArray embeddings, dA, dB;
        final INDArray embeddingXHat, embeddingRstd;   // [M, H] kept only when the embedding LayerNorm trains; [M, 1]
        final INDArray embeddingDrop;                  // [M, H] hidden dropout mask after the embeddings, or null
        final List<BertLayer.Activations> layers = new ArrayList<>();
        boolean dropping;                              // this pass drew dropout masks

        /**
         * @param inference forward only: two sets of activations used by alternate layers, without
         *                  backward buffers (about a ninth of a training pass's memory for 6 layers)
         */
        Pass(BertConfig c, DataType type, long batch, long tokens, long rank, boolean inference, DropoutRates rates,
                boolean embeddingNormTrains) {
            super(type, batch, tokens, inference);
            long m = batch * tokens;
            embeddings = Nd4j.create(type, m, c.hiddenSize());
            dA = Nd4j.create(type, m, c.hiddenSize());
            dB = inference ? null : Nd4j.create(type, m, c.hiddenSize());
            boolean keep = !inference && embeddingNormTrains;
            embeddingXHat = keep ? Nd4j.create(type, m, c.hiddenSize()) : null;
            embeddingRstd = Nd4j.create(type, m, 1);   // small; x̂ is kept only when the norm trains
            embeddingDrop = !inference && rates.hidden() > 0 ? Nd4j.create(type, m, c.hiddenSize()) : null;
            int sets = inference ? Math.min(2, c.numHiddenLayers()) : c.numHiddenLayers();
            for (int i = 0; i < sets; i++) {
                layers.add(new BertLayer.Activations(type, batch, tokens, c.hiddenSize(), c.intermediateSize(),
                        c.numAttentionHeads(), rank, !inference, inference ? DropoutRates.NONE : rates));
            }
            lastLayer = c.numHiddenLayers() - 1;
        }

        private final int lastLayer;

        private BertLayer.Activations layer(int i) {
            return inference ? layers.get(i % 2) : layers.get(i);
        }

        @Override
        public INDArray hidden() {
            return layers.isEmpty() ? embeddings : layer(lastLayer).output();
        }

        @Override
        public void close() {
            Buffers.close(embeddings, keyMask, dA, dB, embeddingXHat, embeddingRstd, embeddingDrop);
            layers.forEach(BertLayer.Activations::close);
            layers.clear();
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
        long rank = parameters.rank();
        Pass reused = EncoderPass.reuse(reusable, Pass.class, b, t, inference, type);
        Pass pass = reused != null ? reused : new Pass(config, type, b, t, rank, inference, rates, embeddingNorm.trainable());
        int[] ids = new int[b * t], types = new int[b * t], positions = new int[b * t];
        double[] mask = new double[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                ids[i * t + j] = inputIds[i][j];
                types[i * t + j] = tokenTypeIds[i][j];
                positions[i * t + j] = j;
                mask[i * t + j] = attentionMask[i][j];
            }
        }
        pass.keyMask.assign(Nd4j.createFromArray(mask).reshape(b, t));
        INDArray x = pass.embeddings, rows = pass.dA;
        RowGather.rows(wordEmbeddings, ids, x);
        RowGather.rows(positionEmbeddings, positions, rows);
        x.addi(rows);
        RowGather.rows(typeEmbeddings, types, rows);
        x.addi(rows);
        boolean keep = pass.embeddingXHat != null;
        INDArray xHat = keep ? pass.embeddingXHat : pass.dA;
        embeddingNorm.forward(x, xHat, pass.embeddingRstd, x);
        pass.dropping = rowSeeds != null;
        if (pass.dropping && pass.embeddingDrop != null) {
            DropoutMask.fill(pass.embeddingDrop, rates.hidden(), rowSeeds, BertLayer.site(-1, 0));
            x.muli(pass.embeddingDrop);
        }
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).forward(x, pass.keyMask, pass.layer(i), rowSeeds);
            x = pass.layer(i).output();
        }
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
        INDArray d = dHidden;
        for (int i = layers.size() - 1; i >= 0; i--) {
            INDArray dx = i == 0 && !intoEmbeddings ? null : (d == pass.dA ? pass.dB : pass.dA);
            layers.get(i).backward(d, dx, pass.layers.get(i));
            d = dx;
        }
        if (intoEmbeddings) {
            if (pass.dropping && pass.embeddingDrop != null) {
                d.muli(pass.embeddingDrop);
            }
            embeddingNorm.backward(pass.embeddingXHat, pass.embeddingRstd, d, null, d == pass.dA ? pass.dB : pass.dA);
        }
    }
}

package dev.embedtune.model.training;

import dev.embedtune.autodiff.BertLayer;
import dev.embedtune.autodiff.LayerNorm;
import dev.embedtune.autodiff.LoraLinear;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.lora.LoraModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BERT with LoRA adapters for training: the same forward as {@link dev.embedtune.model.bert.BertEncoder},
 * written layer by layer over ND4J ops with a hand-written backward that computes the adapters'
 * gradients only. Embeddings, LayerNorms, biases and base weights are frozen; the base linear weights
 * may be held block-quantised (QLoRA). Works in FLOAT, and in DOUBLE for gradient checks.
 */
public final class BertTrainingEncoder implements TrainingEncoder {
    private static final String[] LINEARS = {"attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense"};
    private final BertConfig config;
    private final DataType type;
    private final INDArray wordEmbeddings, positionEmbeddings, typeEmbeddings;
    private final LayerNorm embeddingNorm;
    private final List<BertLayer> layers = new ArrayList<>();
    private final AdaptedLinears linears;

    /**
     * @param weights BertModel's weights by Hugging Face name (float32)
     * @param lora the adapters to train (their arrays are used and updated in place when {@code type} is FLOAT)
     * @param base dense or quantised base linear weights
     * @param type FLOAT, or DOUBLE for gradient checks
     */
    public BertTrainingEncoder(BertConfig config, Map<String, INDArray> weights, LoraModel lora, BaseQuantization base,
            DataType type) {
        this.config = config;
        this.type = type;
        this.linears = new AdaptedLinears(lora, base, type);
        wordEmbeddings = linears.cast(weights.get("embeddings.word_embeddings.weight"));
        positionEmbeddings = linears.cast(weights.get("embeddings.position_embeddings.weight"));
        typeEmbeddings = linears.cast(weights.get("embeddings.token_type_embeddings.weight"));
        embeddingNorm = layerNorm(weights, "embeddings.LayerNorm");
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            LoraLinear[] l = new LoraLinear[LINEARS.length];
            for (int j = 0; j < LINEARS.length; j++) {
                l[j] = linears.linear(weights, p + LINEARS[j]);
            }
            layers.add(new BertLayer(l[0], l[1], l[2], l[3], layerNorm(weights, p + "attention.output.LayerNorm"),
                    l[4], l[5], layerNorm(weights, p + "output.LayerNorm"), config.numAttentionHeads()));
        }
    }

    private LayerNorm layerNorm(Map<String, INDArray> weights, String module) {
        return new LayerNorm(linears.cast(weights.get(module + ".weight")), linears.cast(weights.get(module + ".bias")),
                config.layerNormEps());
    }

    public BertConfig config() {
        return config;
    }

    @Override
    public BertConfig modelConfig() {
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

    /** The activations of one forward pass, kept for its backward, reusable for a batch of the same shape. */
    public static final class Pass implements TrainingEncoder.Pass {
        final long batch, tokens;
        final INDArray embeddings, keyMask, dA, dB;
        final List<BertLayer.Activations> layers = new ArrayList<>();

        final boolean inference;

        /**
         * @param inference forward only: two sets of activations used by alternate layers, without
         *                  backward buffers (about a ninth of a training pass's memory for 6 layers)
         */
        Pass(BertConfig c, DataType type, long batch, long tokens, long rank, boolean inference) {
            this.batch = batch;
            this.tokens = tokens;
            this.inference = inference;
            long m = batch * tokens;
            embeddings = Nd4j.create(type, m, c.hiddenSize());
            keyMask = Nd4j.create(type, batch, tokens);
            dA = Nd4j.create(type, m, c.hiddenSize());
            dB = inference ? null : Nd4j.create(type, m, c.hiddenSize());
            int sets = inference ? Math.min(2, c.numHiddenLayers()) : c.numHiddenLayers();
            for (int i = 0; i < sets; i++) {
                layers.add(new BertLayer.Activations(type, batch, tokens, c.hiddenSize(), c.intermediateSize(),
                        c.numAttentionHeads(), rank, !inference));
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
            for (INDArray a : new INDArray[] {embeddings, keyMask, dA, dB}) {
                if (a != null && a.closeable()) {
                    a.close();
                }
            }
            layers.forEach(BertLayer.Activations::close);
            layers.clear();
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
    }

    /**
     * Runs the encoder, saving what backward needs in {@code reuse} when it has the right shape
     * (else in a new pass, and {@code reuse} is closed: callers hand over a pass they no longer need).
     *
     * @return the pass; {@link Pass#hidden()} is last_hidden_state as [B·T, H]
     */
    @Override
    public Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse) {
        return forward(inputIds, attentionMask, tokenTypeIds, reuse, false);
    }

    /**
     * The forward alone, for inference: the same last_hidden_state as {@link #forward(int[][], int[][], int[][], Pass)}
     * in a pass that keeps only two layers' activations and cannot be back-propagated.
     */
    @Override
    public Pass forwardInference(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reuse) {
        return forward(inputIds, attentionMask, tokenTypeIds, reuse, true);
    }

    private Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, TrainingEncoder.Pass reusable,
            boolean inference) {
        Pass reuse = reusable instanceof Pass own ? own : null;
        if (reusable != null && reuse == null) {
            reusable.close();
        }
        int b = inputIds.length, t = b == 0 ? 0 : inputIds[0].length;
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(t + " tokens exceed max_position_embeddings " + config.maxPositionEmbeddings());
        }
        long rank = linears.rank();
        boolean fits = reuse != null && reuse.batch == b && reuse.tokens == t && reuse.embeddings.dataType() == type
                && reuse.inference == inference;
        if (reuse != null && !fits) {
            reuse.close();        // replaced: free its native memory now (see Activations.close)
        }
        Pass pass = fits ? reuse : new Pass(config, type, b, t, rank, inference);
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
        INDArray xHat = pass.dA, rstd = Nd4j.create(type, (long) b * t, 1);
        embeddingNorm.forward(x, xHat, rstd, x);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).forward(x, pass.keyMask, pass.layer(i));
            x = pass.layer(i).output();
        }
        return pass;
    }

    /** Adds the adapters' gradients for dL/d(last_hidden_state) {@code dHidden} [B·T, H] of {@code pass}. */
    @Override
    public void backward(TrainingEncoder.Pass trainingPass, INDArray dHidden) {
        Pass pass = (Pass) trainingPass;
        if (pass.inference) {
            throw new IllegalStateException("backward through an inference pass (use forward, not forwardInference)");
        }
        INDArray d = dHidden;
        for (int i = layers.size() - 1; i >= 0; i--) {
            INDArray dx = i == 0 ? null : (d == pass.dA ? pass.dB : pass.dA);
            layers.get(i).backward(d, dx, pass.layers.get(i));
            d = dx;
        }
    }
}

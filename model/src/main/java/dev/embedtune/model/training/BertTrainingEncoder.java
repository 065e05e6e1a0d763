package dev.embedtune.model.training;

import dev.embedtune.autodiff.BertLayer;
import dev.embedtune.autodiff.DropoutRates;
import dev.embedtune.autodiff.kernels.DropoutMask;
import dev.embedtune.autodiff.FrozenWeight;
import dev.embedtune.autodiff.LayerNorm;
import dev.embedtune.autodiff.LoraLinear;
import dev.embedtune.autodiff.WeightScratch;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.lora.TrainedBaseTensors;
import dev.embedtune.quant.BlockQuantizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ops.impl.shape.Gather;

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
public final class BertTrainingEncoder {
    private final BertConfig config;
    private final DataType type;
    private final INDArray wordEmbeddings, positionEmbeddings, typeEmbeddings;
    private final LayerNorm embeddingNorm;
    private final List<BertLayer> layers = new ArrayList<>();
    private final WeightScratch scratch;
    private final LoraModel lora;
    private final Map<String, INDArray> parameters = new LinkedHashMap<>(), gradients = new LinkedHashMap<>();
    private final long baseLinearBytes, baseLinearParameters;
    private final DropoutRates rates;
    private final List<String> trainedBase;

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
        this.config = config;
        this.type = type;
        this.lora = lora;
        this.scratch = new WeightScratch(type);
        this.rates = new DropoutRates(modelDropout ? config.hiddenDropoutProb() : 0,
                modelDropout ? config.attentionProbsDropoutProb() : 0, lora == null ? 0 : lora.config().dropout());
        this.trainedBase = lora == null ? List.of() : TrainedBaseTensors.names(config, lora.config());
        wordEmbeddings = cast(weights.get("embeddings.word_embeddings.weight"));
        positionEmbeddings = cast(weights.get("embeddings.position_embeddings.weight"));
        typeEmbeddings = cast(weights.get("embeddings.token_type_embeddings.weight"));
        embeddingNorm = layerNorm(weights, "embeddings.LayerNorm");
        long bytes = 0, count = 0;
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            LoraLinear[] linears = new LoraLinear[6];
            String[] modules = {"attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "intermediate.dense", "output.dense"};
            for (int j = 0; j < modules.length; j++) {
                String module = p + modules[j];
                INDArray w = weights.get(module + ".weight");
                FrozenWeight frozen;
                if (base.quantized()) {
                    frozen = FrozenWeight.quantized(BlockQuantizer.quantize(w.dup().data().asFloat(), w.shape(),
                            base.type(), base.blockSize(), base.doubleQuantize()));
                } else {
                    frozen = FrozenWeight.dense(cast(w));
                }
                bytes += frozen.residentBytes();
                count += w.length();
                linears[j] = linear(module, frozen, weights);
            }
            layers.add(new BertLayer(linears[0], linears[1], linears[2], linears[3],
                    layerNorm(weights, p + "attention.output.LayerNorm"), linears[4], linears[5],
                    layerNorm(weights, p + "output.LayerNorm"), config.numAttentionHeads(), i, rates));
        }
        baseLinearBytes = bytes;
        baseLinearParameters = count;
    }

    private LoraLinear linear(String module, FrozenWeight weight, Map<String, INDArray> weights) {
        LoraAdapter adapter = lora == null ? null : lora.adapters().get(module);
        INDArray bias = base(weights, module + ".bias"), gradBias = gradients.get(module + ".bias");
        if (adapter == null) {
            return new LoraLinear(weight, bias, gradBias, null, null, null, null, 0, scratch);
        }
        INDArray a = adapter.a().dataType() == type ? adapter.a() : adapter.a().castTo(type);
        INDArray b = adapter.b().dataType() == type ? adapter.b() : adapter.b().castTo(type);
        INDArray gradA = Nd4j.zeros(type, a.shape()), gradB = Nd4j.zeros(type, b.shape());
        parameters.put(module + ".lora_A.weight", a);
        parameters.put(module + ".lora_B.weight", b);
        gradients.put(module + ".lora_A.weight", gradA);
        gradients.put(module + ".lora_B.weight", gradB);
        return new LoraLinear(weight, bias, gradBias, a, b, gradA, gradB, lora.config().scale(), scratch);
    }

    /**
     * A base tensor: frozen, or (when it trains) an own copy with a gradient buffer registered under
     * its Hugging Face name, starting from the adapter's saved value if it has one.
     */
    private INDArray base(Map<String, INDArray> weights, String name) {
        if (!trainedBase.contains(name)) {
            return cast(weights.get(name));
        }
        INDArray saved = lora.baseTensors().get(name);
        INDArray value = (saved != null ? saved : weights.get(name)).castTo(type).dup();
        parameters.put(name, value);
        gradients.put(name, Nd4j.zeros(type, value.shape()));
        return value;
    }

    private INDArray cast(INDArray x) {
        return x.dataType() == type ? x : x.castTo(type);
    }

    /** γ and β train together (modules_to_save) or β alone (bias "all"): a frozen γ then gets a gradient buffer nobody reads. */
    private LayerNorm layerNorm(Map<String, INDArray> weights, String module) {
        INDArray gamma = base(weights, module + ".weight"), beta = base(weights, module + ".bias");
        INDArray gradGamma = gradients.get(module + ".weight"), gradBeta = gradients.get(module + ".bias");
        if (gradBeta != null && gradGamma == null) {
            gradGamma = Nd4j.zeros(type, gamma.shape());
        }
        return new LayerNorm(gamma, beta, gradGamma, gradBeta, config.layerNormEps());
    }

    public BertConfig config() {
        return config;
    }

    public DataType dataType() {
        return type;
    }

    /**
     * The trainable tensors: adapter matrices by {@code <module path>.lora_A.weight} / {@code .lora_B.weight},
     * and trained base tensors by their Hugging Face names ({@code encoder.layer.0.attention.self.query.bias},
     * {@code embeddings.LayerNorm.weight}, …), in module order.
     */
    public Map<String, INDArray> parameters() {
        return parameters;
    }

    /** Gradient buffers with the names of {@link #parameters()}; {@link #backward} adds into them. */
    public Map<String, INDArray> gradients() {
        return gradients;
    }

    public void zeroGradients() {
        gradients.values().forEach(g -> g.assign(0));
    }

    /** The adapters with the current parameter values, as float32 (for saving in PEFT's layout). */
    public LoraModel currentAdapters() {
        Map<String, LoraAdapter> out = new LinkedHashMap<>();
        lora.adapters().keySet().forEach(module -> out.put(module, new LoraAdapter(
                parameters.get(module + ".lora_A.weight").castTo(DataType.FLOAT).dup(),
                parameters.get(module + ".lora_B.weight").castTo(DataType.FLOAT).dup())));
        Map<String, INDArray> trained = new LinkedHashMap<>();
        trainedBase.forEach(name -> trained.put(name, parameters.get(name).castTo(DataType.FLOAT).dup()));
        return new LoraModel(lora.config(), out, trained);
    }

    /** Bytes the base linear weights keep resident, and how many parameters they hold. */
    public long baseLinearBytes() {
        return baseLinearBytes;
    }

    public long baseLinearParameters() {
        return baseLinearParameters;
    }

    /** Bytes of the shared dense scratch buffers (one per weight shape). */
    public long scratchBytes() {
        return scratch.bytes();
    }

    /** The activations of one forward pass, kept for its backward, reusable for a batch of the same shape. */
    public static final class Pass {
        final long batch, tokens;
        final INDArray embeddings, keyMask, dA, dB;
        final INDArray embeddingXHat, embeddingRstd;   // [M, H], [M, 1]: kept when the embedding LayerNorm trains
        final INDArray embeddingDrop;                  // [M, H] hidden dropout mask after the embeddings, or null
        final List<BertLayer.Activations> layers = new ArrayList<>();
        boolean dropping;                              // this pass drew dropout masks

        final boolean inference;

        /**
         * @param inference forward only: two sets of activations used by alternate layers, without
         *                  backward buffers (about a ninth of a training pass's memory for 6 layers)
         */
        Pass(BertConfig c, DataType type, long batch, long tokens, long rank, boolean inference, DropoutRates rates,
                boolean embeddingNormTrains) {
            this.batch = batch;
            this.tokens = tokens;
            this.inference = inference;
            long m = batch * tokens;
            embeddings = Nd4j.create(type, m, c.hiddenSize());
            keyMask = Nd4j.create(type, batch, tokens);
            dA = Nd4j.create(type, m, c.hiddenSize());
            dB = inference ? null : Nd4j.create(type, m, c.hiddenSize());
            boolean keep = !inference && embeddingNormTrains;
            embeddingXHat = keep ? Nd4j.create(type, m, c.hiddenSize()) : null;
            embeddingRstd = keep ? Nd4j.create(type, m, 1) : null;
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

        /** last_hidden_state as [B·T, H] rows (valid until the pass is reused). */
        public INDArray hidden() {
            return layers.isEmpty() ? embeddings : layer(lastLayer).output();
        }

        /** Frees the pass's native buffers now; it must not be used afterwards. */
        public void close() {
            for (INDArray a : new INDArray[] {embeddings, keyMask, dA, dB, embeddingXHat, embeddingRstd, embeddingDrop}) {
                if (a != null && a.closeable()) {
                    a.close();
                }
            }
            layers.forEach(BertLayer.Activations::close);
            layers.clear();
        }

        /** The attention mask [B, T] in the encoder's data type. */
        public INDArray keyMask() {
            return keyMask;
        }

        public long batch() {
            return batch;
        }

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
    public Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, Pass reuse) {
        return forward(inputIds, attentionMask, tokenTypeIds, reuse, false, null);
    }

    /**
     * The forward in train mode when {@code rowSeeds} is given (one per batch row, e.g. from
     * {@link #rowSeeds}): dropout masks are drawn from them and kept for the backward, so the same
     * seeds reproduce the same pass exactly. Null seeds: eval mode, as {@link #forward(int[][], int[][], int[][], Pass)}.
     */
    public Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, Pass reuse, long[] rowSeeds) {
        if (rowSeeds != null && rowSeeds.length != inputIds.length) {
            throw new IllegalArgumentException(rowSeeds.length + " dropout row seeds for " + inputIds.length + " rows");
        }
        return forward(inputIds, attentionMask, tokenTypeIds, reuse, false, rowSeeds);
    }

    /**
     * The dropout seeds of rows [firstRow, firstRow + rows) of a batch seeded with {@code seed}: a row's
     * masks depend on its seed and position in the whole batch only, so a slice of rows (a GradCache
     * mini-batch) draws the masks it gets in the full batch.
     */
    public static long[] rowSeeds(long seed, int firstRow, int rows) {
        long[] out = new long[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = DropoutMask.rowSeed(seed, firstRow + i);
        }
        return out;
    }

    /** The dropout this encoder applies in a train-mode forward. */
    public DropoutRates dropoutRates() {
        return rates;
    }

    /**
     * The forward alone, for inference: the same last_hidden_state as {@link #forward(int[][], int[][], int[][], Pass)}
     * in a pass that keeps only two layers' activations and cannot be back-propagated.
     */
    public Pass forwardInference(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, Pass reuse) {
        return forward(inputIds, attentionMask, tokenTypeIds, reuse, true, null);
    }

    private Pass forward(int[][] inputIds, int[][] attentionMask, int[][] tokenTypeIds, Pass reuse, boolean inference,
            long[] rowSeeds) {
        int b = inputIds.length, t = b == 0 ? 0 : inputIds[0].length;
        if (t > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(t + " tokens exceed max_position_embeddings " + config.maxPositionEmbeddings());
        }
        long rank = lora == null ? 0 : lora.config().r();
        boolean fits = reuse != null && reuse.batch == b && reuse.tokens == t && reuse.embeddings.dataType() == type
                && reuse.inference == inference;
        if (reuse != null && !fits) {
            reuse.close();        // replaced: free its native memory now (see Activations.close)
        }
        Pass pass = fits ? reuse : new Pass(config, type, b, t, rank, inference, rates, embeddingNorm.trainable());
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
        // One Gather op per table into preallocated rows: indexing with NDArrayIndex.indices copied
        // row by row and cost 250–450 ms per table for 4,096 tokens, Gather about 2 ms.
        gatherRows(wordEmbeddings, ids, x);
        gatherRows(positionEmbeddings, positions, rows);
        x.addi(rows);
        gatherRows(typeEmbeddings, types, rows);
        x.addi(rows);
        boolean keep = pass.embeddingXHat != null;
        INDArray xHat = keep ? pass.embeddingXHat : pass.dA, rstd = keep ? pass.embeddingRstd : Nd4j.create(type, (long) b * t, 1);
        embeddingNorm.forward(x, xHat, rstd, x);
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

    /** out[i] = table[indices[i]], one op. */
    private static void gatherRows(INDArray table, int[] indices, INDArray out) {
        Gather gather = new Gather(table, Nd4j.createFromArray(indices), 0);
        gather.addOutputArgument(out);
        Nd4j.exec(gather);
    }

    /** Adds the trainable tensors' gradients for dL/d(last_hidden_state) {@code dHidden} [B·T, H] of {@code pass}. */
    public void backward(Pass pass, INDArray dHidden) {
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

package dev.embedtune.train.trainer;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.embed.SortedBatches;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.TrainingEncoder;
import dev.embedtune.model.training.TrainablePooling;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.train.loss.EmbeddingBatch;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.LossValue;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A sentence-transformers model (BERT or ModernBERT) from a model directory with LoRA adapters on
 * its linear layers, base weights dense or quantised (QLoRA): tokenise each column, run the
 * hand-written training encoder, pool (and normalise, when the model has a Normalize module), apply
 * the loss, and back-propagate into the adapters.
 */
public final class LoraTrainingModel implements TrainableModel {
    private final ModelDirectory model;
    private final Tokenizer tokenizer;
    private final TrainingEncoder encoder;
    private final TrainablePooling pooling;
    private final String baseModelName;
    private final List<TrainingEncoder.Pass> passes = new ArrayList<>();
    private TrainingEncoder.Pass miniBatchPass;   // GradCache: the one pass of a mini-batch
    private int memoryMiniBatch;                  // GradCache mini-batch rows a memory budget asks for (0: none)

    private LoraTrainingModel(ModelDirectory model, Tokenizer tokenizer, TrainingEncoder encoder, String baseModelName) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.pooling = new TrainablePooling(model.pooling(), model.normalize());
        this.baseModelName = baseModelName;
    }

    /**
     * Loads the base model and creates fresh adapters (A Kaiming-uniform from {@code seed}, B zero),
     * training with the model's own dropout (as sentence-transformers' train mode).
     *
     * @param maxLength tokens per text (null: the model's max_seq_length)
     */
    public static LoraTrainingModel create(Path modelDir, LoraConfig lora, BaseQuantization base, Integer maxLength,
            long seed) throws IOException {
        return create(modelDir, lora, base, maxLength, seed, true);
    }

    /** @param modelDropout apply the model's hidden and attention dropout in training steps (LoRA dropout applies either way) */
    public static LoraTrainingModel create(Path modelDir, LoraConfig lora, BaseQuantization base, Integer maxLength,
            long seed, boolean modelDropout) throws IOException {
        ModelDirectory md = ModelDirectory.read(modelDir);
        return fromAdapters(md, LoraModel.init(md.config(), lora, seed), base, maxLength, modelDropout);
    }

    /** The base model with the given adapters (e.g. loaded from a PEFT directory). */
    public static LoraTrainingModel fromAdapters(ModelDirectory md, LoraModel adapters, BaseQuantization base,
            Integer maxLength) throws IOException {
        return fromAdapters(md, adapters, base, maxLength, true);
    }

    /** @param modelDropout apply the model's hidden and attention dropout in training steps */
    public static LoraTrainingModel fromAdapters(ModelDirectory md, LoraModel adapters, BaseQuantization base,
            Integer maxLength, boolean modelDropout) throws IOException {
        Map<String, INDArray> weights;
        try (TensorSource source = md.openWeights()) {
            weights = EncoderWeights.read(md.config(), source, md.transformerDir());
        }
        TrainingEncoder encoder = TrainingEncoder.create(md.config(), weights, adapters, base, DataType.FLOAT, modelDropout);
        return new LoraTrainingModel(md, Embedder.tokenizer(md, maxLength), encoder, dev.embedtune.model.onnx.ModelCache.nameOrPath(md.dir()));
    }

    /** The tokenizer (truncating at the training max length, padding to the longest text). */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ModelDirectory baseModel() {
        return model;
    }

    public TrainingEncoder trainingEncoder() {
        return encoder;
    }

    @Override
    public Map<String, INDArray> parameters() {
        return encoder.parameters();
    }

    @Override
    public Map<String, INDArray> gradients() {
        return encoder.gradients();
    }

    @Override
    public void zeroGradients() {
        encoder.zeroGradients();
    }

    @Override
    public double forwardBackward(List<List<String>> columns, INDArray labels, EmbeddingLoss loss, double lossScale,
            long dropoutSeed) {
        List<BatchEncoding> encoded = new ArrayList<>();
        for (List<String> column : columns) {
            encoded.add(tokenizer.encodeBatch(column));
        }
        return forwardBackwardEncoded(encoded, labels, loss, lossScale, dropoutSeed);
    }

    /**
     * The dropout seed of column {@code c}'s rows [first, first + rows): every column (anchor,
     * positive, …) draws its own masks, and a row's masks do not depend on the rows batched with it.
     * Public so that a distributed step (each worker embedding a slice of the rows) draws the same masks.
     */
    public static long[] rowSeeds(long dropoutSeed, int column, int first, int rows) {
        return TrainingEncoder.rowSeeds(dropoutSeed + 0x9E3779B97F4A7C15L * (column + 1), first, rows);
    }

    /**
     * {@link #forwardBackward} on columns already tokenised (each [B, T] with its own T). A loss that
     * asks for GradCache mini-batches ({@link EmbeddingLoss#gradCacheMiniBatchSize}, e.g. CachedMNRL,
     * alone or inside MatryoshkaLoss) runs the GradCache way, see {@link #gradCacheStep}. Dropout masks
     * come from {@code dropoutSeed}.
     */
    public double forwardBackwardEncoded(List<BatchEncoding> columns, INDArray labels, EmbeddingLoss loss,
            double lossScale, long dropoutSeed) {
        int miniBatch = loss.gradCacheMiniBatchSize();
        if (memoryMiniBatch > 0) {
            miniBatch = miniBatch > 0 ? Math.min(miniBatch, memoryMiniBatch) : memoryMiniBatch;
        }
        if (miniBatch > 0) {
            return gradCacheStep(columns, labels, loss, lossScale, miniBatch, dropoutSeed);
        }
        List<INDArray> embeddings = new ArrayList<>();
        List<TrainablePooling.Saved> saved = new ArrayList<>();
        List<TrainingEncoder.Pass> used = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            BatchEncoding enc = columns.get(c);
            TrainingEncoder.Pass reuse = c < passes.size() ? passes.get(c) : null;
            TrainingEncoder.Pass pass = encoder.forward(enc.inputIds(), enc.attentionMask(), enc.tokenTypeIds(), reuse,
                    rowSeeds(dropoutSeed, c, 0, enc.inputIds().length));
            if (c < passes.size()) {
                passes.set(c, pass);
            } else {
                passes.add(pass);
            }
            TrainablePooling.Saved s = new TrainablePooling.Saved();
            embeddings.add(pooling.forward(pass.hidden(), pass.keyMask(), s));
            saved.add(s);
            used.add(pass);
        }
        LossValue value = loss.compute(new EmbeddingBatch(embeddings, labels));
        if (!Double.isFinite(value.loss())) {
            return value.loss();   // the trainer stops; nothing is back-propagated
        }
        for (int c = 0; c < columns.size(); c++) {
            INDArray dEmbedding = value.gradient(c).mul(lossScale);
            encoder.backward(used.get(c), pooling.backward(dEmbedding, saved.get(c)));
        }
        return value.loss();
    }

    /**
     * GradCache (Gao et al. 2021), the encoder's half of a cached loss (CachedMultipleNegativesRankingLoss):
     * (1) embed every column in mini-batches, keeping only the pooled embeddings; (2) the loss and
     * dL/d(embedding) on the full batch; (3) per mini-batch, the forward again (now keeping its
     * activations, in one reused pass) and the backward from that mini-batch's rows of dL/dE. Dropout
     * masks are drawn per row from the step's seed (sentence-transformers restores the RNG state with
     * RandContext instead), so the second forward reproduces the first exactly, and both draw the
     * masks the plain step gives those rows: the gradients equal plain MNRL's on the same batch and
     * seed. Activations never exceed one mini-batch.
     */
    private double gradCacheStep(List<BatchEncoding> columns, INDArray labels, EmbeddingLoss loss, double lossScale,
            int miniBatch, long dropoutSeed) {
        List<INDArray> embeddings = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            BatchEncoding enc = columns.get(c);
            int rows = enc.inputIds().length;
            List<INDArray> parts = new ArrayList<>();
            for (int begin = 0; begin < rows; begin += miniBatch) {
                int end = Math.min(rows, begin + miniBatch);
                TrainingEncoder.Pass pass = miniBatchForward(enc, begin, end, rowSeeds(dropoutSeed, c, begin, end - begin));
                parts.add(pooling.forward(pass.hidden(), pass.keyMask(), new TrainablePooling.Saved()).dup());
            }
            embeddings.add(parts.size() == 1 ? parts.get(0) : Nd4j.vstack(parts.toArray(INDArray[]::new)));
        }
        LossValue value = loss.compute(new EmbeddingBatch(embeddings, labels));
        if (!Double.isFinite(value.loss())) {
            return value.loss();
        }
        for (int c = 0; c < columns.size(); c++) {
            BatchEncoding enc = columns.get(c);
            INDArray gradient = value.gradient(c);
            for (int begin = 0; begin < enc.inputIds().length; begin += miniBatch) {
                int end = Math.min(enc.inputIds().length, begin + miniBatch);
                TrainingEncoder.Pass pass = miniBatchForward(enc, begin, end, rowSeeds(dropoutSeed, c, begin, end - begin));
                TrainablePooling.Saved saved = new TrainablePooling.Saved();
                pooling.forward(pass.hidden(), pass.keyMask(), saved);
                INDArray dEmbedding = gradient.get(NDArrayIndex.interval(begin, end), NDArrayIndex.all()).mul(lossScale);
                encoder.backward(pass, pooling.backward(dEmbedding, saved));
            }
        }
        return value.loss();
    }

    /**
     * Embeds every step in GradCache mini-batches of at most {@code rows} (0: only when the loss asks
     * for them): any loss computed from embeddings gives the same value and gradients this way (the
     * loss and dL/dE on the full batch, then each mini-batch's forward again and its backward), with
     * the activations of one mini-batch only. Set by a memory budget ({@link MemoryPlan}).
     */
    public void setMemoryMiniBatch(int rows) {
        if (rows < 0) {
            throw new IllegalArgumentException("mini-batch rows must be >= 0, got " + rows);
        }
        memoryMiniBatch = rows;
    }

    /** Forward of rows [begin, end) of a tokenised column in the one reused mini-batch pass. */
    private TrainingEncoder.Pass miniBatchForward(BatchEncoding enc, int begin, int end, long[] rowSeeds) {
        int[][] ids = Arrays.copyOfRange(enc.inputIds(), begin, end);
        int[][] mask = Arrays.copyOfRange(enc.attentionMask(), begin, end);
        int[][] types = Arrays.copyOfRange(enc.tokenTypeIds(), begin, end);
        miniBatchPass = encoder.forward(ids, mask, types, miniBatchPass, rowSeeds);
        return miniBatchPass;
    }

    /** Rows of the largest forward pass this model keeps activations for (memory bound of a step). */
    long largestPassRows() {
        long rows = miniBatchPass == null ? 0 : miniBatchPass.batch();
        for (TrainingEncoder.Pass p : passes) {
            rows = Math.max(rows, p.batch());
        }
        return rows;
    }

    @Override
    public void saveTrained(Path dir) throws IOException {
        encoder.currentAdapters().save(dir, baseModelName);
    }

    /** The adapters with their current values. */
    public LoraModel adapters() {
        return encoder.currentAdapters();
    }

    @Override
    public TextEncoder encoder() {
        return this::embed;
    }

    /** Embeds texts with the current adapters, batched as the {@link Embedder} batches ({@link SortedBatches}). */
    public float[][] embed(List<String> texts) {
        return embed(texts, Embedder.Options.DEFAULT.batchSize());
    }

    /** Embeds texts with the current adapters, {@code batchSize} texts per forward pass, longest first. */
    public float[][] embed(List<String> texts, int batchSize) {
        TrainingEncoder.Pass[] pass = {null};   // one pass reused across batches, freed at the end
        try {
            return SortedBatches.encode(texts, batchSize, batch -> {
                BatchEncoding enc = tokenizer.encodeBatch(batch);
                pass[0] = encoder.forwardInference(enc.inputIds(), enc.attentionMask(), enc.tokenTypeIds(), pass[0]);
                return pooling.forward(pass[0].hidden(), pass[0].keyMask(), new TrainablePooling.Saved()).castTo(DataType.FLOAT)
                        .toFloatMatrix();
            });
        } finally {
            if (pass[0] != null) {
                pass[0].close();   // native memory: left to the garbage collector it can outlive the run's next stages
            }
        }
    }

    /**
     * Frees the training passes' activation memory now (native buffers, as large as the largest
     * batch's activations); a later step allocates them again.
     */
    public void releaseActivations() {
        passes.forEach(TrainingEncoder.Pass::close);
        passes.clear();
        if (miniBatchPass != null) {
            miniBatchPass.close();
            miniBatchPass = null;
        }
    }
}

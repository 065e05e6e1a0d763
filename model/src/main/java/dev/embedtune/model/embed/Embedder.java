package dev.embedtune.model.embed;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.Encoder;
import dev.embedtune.model.pooling.Pooling;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.tokenizer.BatchEncoding;
import dev.embedtune.tokenizer.Padding;
import dev.embedtune.tokenizer.Tokenizer;
import dev.embedtune.tokenizer.Truncation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The embedding API: a model directory in, one vector per text out, as
 * {@code SentenceTransformer.encode} computes it — tokenise (truncated at max_seq_length), run the
 * encoder, pool, normalise when the model has a Normalize module, truncate for Matryoshka models.
 * Texts are sorted by length and batched so that padding is short; results come back in input order.
 *
 * <p>One Embedder serves any number of threads at once: tokenising and pooling run in the callers'
 * threads, forward passes one at a time with the batches of all waiting callers merged (see
 * {@link SharedForward}); a text's vector is the same whatever it is batched with.
 */
public final class Embedder implements TextEncoder {

    /**
     * @param batchSize   texts per forward pass
     * @param maxLength   tokens per text including special tokens, or null for the model's max_seq_length
     * @param truncateDim keep only the first dimensions (Matryoshka), or null for all
     */
    public record Options(int batchSize, Integer maxLength, Integer truncateDim) {
        public static final Options DEFAULT = new Options(32, null, null);

        public Options {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
        }
    }

    private final ModelDirectory model;
    private final SharedForward encoder;
    private final Tokenizer tokenizer;
    private final Options options;
    private final int dimension;

    private Embedder(ModelDirectory model, Encoder encoder, Tokenizer tokenizer, Options options) {
        this.model = model;
        this.encoder = new SharedForward(encoder);
        this.tokenizer = tokenizer;
        this.options = options;
        int full = model.pooling().outputDimension();
        Integer truncate = options.truncateDim() != null ? options.truncateDim() : model.settings().truncateDim();
        if (truncate != null && (truncate < 1 || truncate > full)) {
            throw new IllegalArgumentException("truncate dim " + truncate + " must be between 1 and the model's embedding dimension " + full);
        }
        this.dimension = truncate != null ? truncate : full;
    }

    public static Embedder load(Path dir) throws IOException {
        return load(dir, Options.DEFAULT);
    }

    public static Embedder load(Path dir, Options options) throws IOException {
        return load(dir, options, BaseQuantization.NONE);
    }

    /**
     * @param base {@link BaseQuantization#NONE} for float32 weights; a block-quantised format (e.g.
     *             {@code BaseQuantization.parse("nf4")}) keeps the encoder's linear weights packed
     */
    public static Embedder load(Path dir, Options options, BaseQuantization base) throws IOException {
        ModelDirectory md = ModelDirectory.read(dir);
        Encoder encoder;
        try (TensorSource weights = md.openWeights()) {
            // The layer-by-layer forward (the training step's, with the CPU kernels): about twice the
            // SameDiff graph's speed for BERT here, and it takes quantised weights too.
            encoder = LayerwiseEncoder.load(md.config(), weights, md.transformerDir(), base);
        }
        Tokenizer tok = tokenizer(md, options.maxLength());
        return new Embedder(md, encoder, tok, options);
    }

    /**
     * The model's tokenizer (tokenizer.json, else vocab.txt) truncating at {@code maxLength} (null: the
     * model's max_seq_length) and padding to the longest text of a batch.
     */
    public static Tokenizer tokenizer(ModelDirectory md, Integer maxLength) throws IOException {
        Tokenizer tok;
        if (md.tokenizerJson() != null) {
            tok = Tokenizer.fromFile(md.tokenizerJson());
        } else if (md.vocabTxt() != null) {
            tok = Tokenizer.fromVocab(md.vocabTxt(), md.sentenceBert().doLowerCase());
        } else {
            throw new ModelFormatException(md.transformerDir(), "no tokenizer: looked for tokenizer.json and vocab.txt");
        }
        int max = Math.min(maxLength != null ? maxLength : md.sentenceBert().maxSeqLength(),
                md.config().maxPositionEmbeddings());
        dev.embedtune.model.st.TokenizerFit.check(md, tok);
        return tok.withTruncation(Truncation.of(max)).withPadding(Padding.longest());
    }

    public ModelDirectory model() {
        return model;
    }

    /** Length of the returned vectors (after any truncation). */
    public int dimension() {
        return dimension;
    }

    /** Embeds texts with the model's default prompt (if it names one). */
    @Override
    public float[][] encode(List<String> texts) {
        String name = model.settings().defaultPromptName();
        return encode(texts, name == null ? null : model.settings().prompts().get(name));
    }

    /** Embeds texts with {@code prompt} put before each (null or "" for none). */
    public float[][] encode(List<String> texts, String prompt) {
        String p = prompt == null ? "" : prompt;
        int promptLength = p.isEmpty() ? 0 : tokenizer.encode(p).ids().length - 1;   // [CLS] + prompt, as ST counts it
        List<String> prompted = p.isEmpty() ? texts : texts.stream().map(t -> p + t).toList();
        float[][] out = SortedBatches.encode(prompted, options.batchSize(), batch -> embedBatch(batch, promptLength));
        return dev.embedtune.model.FiniteValues.requireFiniteEmbeddings(out, texts);
    }

    /**
     * Embeds a stream of texts of any length with bounded memory: {@code chunk} texts are read,
     * embedded (sorted and batched within the chunk) and handed to {@code sink} in input order
     * before the next chunk is read.
     *
     * @return the number of texts embedded
     */
    public long encodeStream(java.util.Iterator<String> texts, String prompt, int chunk,
            java.util.function.Consumer<float[]> sink) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        }
        long count = 0;
        List<String> buffer = new ArrayList<>(chunk);
        while (texts.hasNext()) {
            buffer.add(texts.next());
            if (buffer.size() == chunk || !texts.hasNext()) {
                for (float[] v : encode(buffer, prompt)) {
                    sink.accept(v);
                }
                count += buffer.size();
                buffer.clear();
            }
        }
        return count;
    }

    private float[][] embedBatch(List<String> texts, int promptLength) {
        BatchEncoding b = tokenizer.encodeBatch(texts);
        INDArray mask = Nd4j.createFromArray(b.attentionMask());
        INDArray pooled = encoder.forward(b.inputIds(), b.attentionMask(), b.tokenTypeIds(),
                hidden -> Pooling.pool(model.pooling(), hidden, mask, promptLength));
        if (model.normalize()) {
            pooled = Pooling.normalize(pooled);
        }
        float[][] rows = pooled.toFloatMatrix();
        if (dimension < rows[0].length) {
            for (int i = 0; i < rows.length; i++) {
                rows[i] = java.util.Arrays.copyOf(rows[i], dimension);
            }
        }
        return rows;
    }
}

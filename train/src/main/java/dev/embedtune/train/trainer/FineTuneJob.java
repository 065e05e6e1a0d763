package dev.embedtune.train.trainer;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.loss.AnglELoss;
import dev.embedtune.train.loss.CachedMultipleNegativesRankingLoss;
import dev.embedtune.train.loss.CoSENTLoss;
import dev.embedtune.train.loss.ContrastiveLoss;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.MatryoshkaLoss;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import dev.embedtune.train.loss.MultipleNegativesSymmetricRankingLoss;
import dev.embedtune.train.loss.OnlineContrastiveLoss;
import dev.embedtune.train.loss.TripletLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One QLoRA fine-tuning run from a base model directory to saved artefacts: load the base model
 * with fresh adapters ({@link LoraTrainingModel}), build the loss by name (wrapped in
 * {@link MatryoshkaLoss} when dimensions are given), train with the {@link Trainer}, and save
 *
 * <pre>
 * &lt;output_dir&gt;/
 *     adapter/       the adapters in PEFT's layout (adapter_config.json, adapter_model.safetensors)
 *     model/         the merged model (W + s·B·A) in sentence-transformers' layout, for Embedder or Python
 *     checkpoint-N/, metrics.jsonl, final/     the Trainer's own files (see the package documentation)
 * </pre>
 *
 * <p>{@code adapter/} and {@code model/} are each written into a temporary sibling directory and
 * renamed into place, so a directory with one of those names is always complete.
 *
 * <p>The merged model holds the base model's <em>full-precision</em> weights plus the adapters, as
 * PEFT's {@code merge_and_unload} on the original base does; quantising the base (NF4, FP4, int8) only
 * saves memory while training. Its embeddings equal {@link LoraTrainingModel#embed} over a dense
 * ({@link BaseQuantization#NONE}) base with the same adapters; over a quantised base they differ by
 * the quantisation error.
 *
 * <pre>{@code
 * FineTuneJob job = FineTuneJob.prepare(FineTuneJob.Settings.defaults(modelDir), args);
 * TrainResult r = job.train(trainSet, evaluator, null, null);   // or "latest" to resume
 * FineTuneJob.Saved saved = job.save();                          // <output_dir>/adapter, <output_dir>/model
 * }</pre>
 *
 * <p>Not thread-safe; one job trains one model once.
 */
public final class FineTuneJob {

    /** The loss names {@link #loss} accepts (case-insensitive; class names work too). */
    public static final List<String> LOSS_NAMES = List.of("mnrl", "cached-mnrl", "mnrl-symmetric", "cosent", "angle",
            "triplet", "contrastive", "online-contrastive");

    /**
     * What to train, besides the data and the {@link TrainingArguments}.
     *
     * @param baseModel a model directory (Hugging Face or sentence-transformers layout, BERT)
     * @param lora the adapters' rank, alpha, dropout and targets, and which biases and LayerNorms train too
     *     (PEFT's {@code bias} and {@code modules_to_save})
     * @param quantization how the frozen base weights are held while training
     * @param loss one of {@link #LOSS_NAMES}
     * @param matryoshkaDims truncation sizes for {@link MatryoshkaLoss}, or empty for none
     * @param maxLength tokens per text, or null for the model's {@code max_seq_length}
     * @param modelDropout train with the model's hidden and attention dropout (config.json's
     *     {@code hidden_dropout_prob}, {@code attention_probs_dropout_prob}), as sentence-transformers'
     *     train mode does; false trains without them (LoRA dropout applies either way)
     */
    public record Settings(Path baseModel, LoraConfig lora, BaseQuantization quantization, String loss,
            List<Integer> matryoshkaDims, Integer maxLength, boolean modelDropout) {

        /**
         * @throws IllegalArgumentException for an unknown loss or a max length below 2
         */
        public Settings {
            Objects.requireNonNull(baseModel, "baseModel");
            Objects.requireNonNull(lora, "lora");
            Objects.requireNonNull(quantization, "quantization");
            Objects.requireNonNull(loss, "loss");
            matryoshkaDims = matryoshkaDims == null ? List.of() : List.copyOf(matryoshkaDims);
            lossKind(loss);
            if (maxLength != null && maxLength < 2) {
                throw new IllegalArgumentException("max_length must be at least 2 (for [CLS] and [SEP]), got " + maxLength);
            }
        }

        /** With the model's dropout on (sentence-transformers' default). */
        public Settings(Path baseModel, LoraConfig lora, BaseQuantization quantization, String loss,
                List<Integer> matryoshkaDims, Integer maxLength) {
            this(baseModel, lora, quantization, loss, matryoshkaDims, maxLength, true);
        }

        /**
         * MNRL, NF4, r 16, alpha 32, no LoRA dropout, every linear (all-linear), no Matryoshka, the
         * model's max length, the model's own dropout on.
         */
        public static Settings defaults(Path baseModel) {
            return new Settings(baseModel, new LoraConfig(16, 32, 0, List.of(LoraConfig.ALL_LINEAR), false),
                    BaseQuantization.NF4, "mnrl", List.of(), null, true);
        }

        public Settings withBaseModel(Path v) {
            return new Settings(v, lora, quantization, loss, matryoshkaDims, maxLength, modelDropout);
        }

        public Settings withLora(LoraConfig v) {
            return new Settings(baseModel, v, quantization, loss, matryoshkaDims, maxLength, modelDropout);
        }

        public Settings withQuantization(BaseQuantization v) {
            return new Settings(baseModel, lora, v, loss, matryoshkaDims, maxLength, modelDropout);
        }

        public Settings withLoss(String v) {
            return new Settings(baseModel, lora, quantization, v, matryoshkaDims, maxLength, modelDropout);
        }

        public Settings withMatryoshkaDims(List<Integer> v) {
            return new Settings(baseModel, lora, quantization, loss, v, maxLength, modelDropout);
        }

        public Settings withMaxLength(Integer v) {
            return new Settings(baseModel, lora, quantization, loss, matryoshkaDims, v, modelDropout);
        }

        public Settings withModelDropout(boolean v) {
            return new Settings(baseModel, lora, quantization, loss, matryoshkaDims, maxLength, v);
        }
    }

    /**
     * Where {@link #save} wrote.
     *
     * @param adapterDir {@code <output_dir>/adapter}
     * @param modelDir {@code <output_dir>/model}
     */
    public record Saved(Path adapterDir, Path modelDir) {
    }

    private final Settings settings;
    private final TrainingArguments args;
    private final LoraTrainingModel model;
    private final EmbeddingLoss loss;
    private TrainResult result;

    private FineTuneJob(Settings settings, TrainingArguments args, LoraTrainingModel model, EmbeddingLoss loss) {
        this.settings = settings;
        this.args = args;
        this.model = model;
        this.loss = loss;
    }

    /**
     * Loads the base model with fresh adapters (A from {@code args.seed()}, B zero) and builds the loss.
     *
     * @throws IllegalArgumentException when the Matryoshka dimensions do not fit the model's embedding
     *     dimension, or the model is not a BERT model
     * @throws IOException when the model directory cannot be read
     */
    public static FineTuneJob prepare(Settings settings, TrainingArguments args) throws IOException {
        Objects.requireNonNull(args, "args");
        LoraTrainingModel model = LoraTrainingModel.create(settings.baseModel(), settings.lora(), settings.quantization(),
                settings.maxLength(), args.seed(), settings.modelDropout());
        int dimension = model.baseModel().pooling().outputDimension();
        EmbeddingLoss loss = loss(settings.loss(), dimension, settings.matryoshkaDims());
        return new FineTuneJob(settings, args, model, loss);
    }

    /**
     * Trains the adapters in place.
     *
     * @param train the training examples; their format must suit the loss (pairs for MNRL, scored pairs
     *     for CoSENT and AnglE, triplets for the triplet loss, 0/1-labelled pairs for the contrastive ones)
     * @param evaluator run every {@code eval_steps}, or null
     * @param listener callbacks (progress, pruning by exception), or null
     * @param resumeFrom null to start afresh, {@code "latest"} or a checkpoint directory to continue
     * @throws IllegalStateException when called twice
     */
    public TrainResult train(Dataset train, Evaluator<?> evaluator, TrainerListener listener, String resumeFrom)
            throws IOException {
        if (result != null) {
            throw new IllegalStateException("this job has already trained; prepare a new one");
        }
        requireFormat(settings.loss(), train);
        Trainer trainer = new Trainer(model, train, loss, args, evaluator, listener);
        result = resumeFrom == null ? trainer.train() : trainer.train(resumeFrom);
        return result;
    }

    /**
     * Writes {@code <output_dir>/adapter} (PEFT) and {@code <output_dir>/model} (merged,
     * sentence-transformers), each atomically, replacing earlier ones.
     */
    public Saved save() throws IOException {
        Path out = args.outputDir();
        Files.createDirectories(out);
        Path adapter = out.resolve("adapter");
        Path tmp = AtomicFiles.newTempDirectory(out, ".adapter.");
        try {
            model.saveTrained(tmp);
            AtomicFiles.replaceDirectory(tmp, adapter);
        } finally {
            Checkpoints.deleteRecursively(tmp);
        }
        Path merged = out.resolve("model");
        LoraMerge.writeMerged(settings.baseModel(), model.adapters(), merged);
        return new Saved(adapter, merged);
    }

    /** The model being trained (its adapters change in place during {@link #train}). */
    public LoraTrainingModel model() {
        return model;
    }

    /** The loss the trainer applies, Matryoshka-wrapped when dimensions were given. */
    public EmbeddingLoss loss() {
        return loss;
    }

    public Settings settings() {
        return settings;
    }

    public TrainingArguments arguments() {
        return args;
    }

    /** The last {@link #train} result, or null before training. */
    public TrainResult result() {
        return result;
    }

    // ---------------------------------------------------------------- losses

    /** The data formats each loss accepts. */
    private enum LossKind {
        MNRL(EnumSet.of(ExampleFormat.PAIR, ExampleFormat.TRIPLET, ExampleFormat.N_TUPLE), "MultipleNegativesRankingLoss"),
        CACHED_MNRL(EnumSet.of(ExampleFormat.PAIR, ExampleFormat.TRIPLET, ExampleFormat.N_TUPLE),
                "CachedMultipleNegativesRankingLoss"),
        MNRL_SYMMETRIC(EnumSet.of(ExampleFormat.PAIR, ExampleFormat.TRIPLET, ExampleFormat.N_TUPLE),
                "MultipleNegativesSymmetricRankingLoss"),
        COSENT(EnumSet.of(ExampleFormat.PAIR_SCORE), "CoSENTLoss"),
        ANGLE(EnumSet.of(ExampleFormat.PAIR_SCORE), "AnglELoss"),
        TRIPLET(EnumSet.of(ExampleFormat.TRIPLET), "TripletLoss"),
        CONTRASTIVE(EnumSet.of(ExampleFormat.PAIR_LABEL), "ContrastiveLoss"),
        ONLINE_CONTRASTIVE(EnumSet.of(ExampleFormat.PAIR_LABEL), "OnlineContrastiveLoss");

        final Set<ExampleFormat> formats;
        final String className;

        LossKind(Set<ExampleFormat> formats, String className) {
            this.formats = formats;
            this.className = className;
        }

        String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private static LossKind lossKind(String name) {
        String n = name.trim();
        for (LossKind k : LossKind.values()) {
            if (k.cliName().equalsIgnoreCase(n) || k.className.equalsIgnoreCase(n)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown loss '" + name + "': expected one of " + String.join(", ", LOSS_NAMES)
                + " (or the sentence-transformers class name, e.g. MultipleNegativesRankingLoss)");
    }

    /**
     * The loss named {@code name} with sentence-transformers' default parameters, wrapped in
     * {@link MatryoshkaLoss} over {@code matryoshkaDims} (weights 1, all dims every step) unless empty.
     *
     * <p>{@code cached-mnrl} gives MNRL's value and gradients; {@link LoraTrainingModel} runs it the
     * GradCache way, keeping activations of one mini-batch (32 rows) at a time.
     *
     * @param name one of {@link #LOSS_NAMES}, or the class name ({@code MultipleNegativesRankingLoss}, …)
     * @param dimension the model's embedding dimension
     * @param matryoshkaDims truncation sizes, each in [1, dimension], or empty
     */
    public static EmbeddingLoss loss(String name, int dimension, List<Integer> matryoshkaDims) {
        EmbeddingLoss inner = switch (lossKind(name)) {
            case MNRL -> new MultipleNegativesRankingLoss();
            case CACHED_MNRL -> new CachedMultipleNegativesRankingLoss();
            case MNRL_SYMMETRIC -> new MultipleNegativesSymmetricRankingLoss();
            case COSENT -> new CoSENTLoss();
            case ANGLE -> new AnglELoss();
            case TRIPLET -> new TripletLoss();
            case CONTRASTIVE -> new ContrastiveLoss();
            case ONLINE_CONTRASTIVE -> new OnlineContrastiveLoss();
        };
        if (matryoshkaDims == null || matryoshkaDims.isEmpty()) {
            return inner;
        }
        return new MatryoshkaLoss(inner, dimension, matryoshkaDims.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The dataset formats {@code loss} trains on. */
    public static Set<ExampleFormat> formatsOf(String loss) {
        return EnumSet.copyOf(lossKind(loss).formats);
    }

    private static void requireFormat(String lossName, Dataset data) {
        LossKind kind = lossKind(lossName);
        if (!kind.formats.contains(data.format())) {
            throw new IllegalArgumentException("loss " + kind.cliName() + " (" + kind.className + ") trains on "
                    + kind.formats.stream().map(f -> f.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(" or "))
                    + " examples, but " + data.name() + " holds " + data.format().name().toLowerCase(Locale.ROOT)
                    + " examples; map the columns accordingly (e.g. a score column for cosent/angle, a 0/1 label for the"
                    + " contrastive losses, a negative for triplet)");
        }
    }


    @Override
    public String toString() {
        return "FineTuneJob" + Arrays.asList(settings, args.outputDir());
    }
}

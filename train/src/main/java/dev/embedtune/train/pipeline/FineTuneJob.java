package dev.embedtune.train.pipeline;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.trainer.Checkpoints;
import dev.embedtune.train.trainer.LoraTrainingModel;
import dev.embedtune.train.trainer.TrainResult;
import dev.embedtune.train.trainer.Trainer;
import dev.embedtune.train.trainer.TrainerListener;
import dev.embedtune.train.trainer.TrainingArguments;
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
 * FineTuneJob job = FineTuneJob.prepare(RunSpec.defaults(outputDir), modelDir);
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
     * Where {@link #save} wrote.
     *
     * @param adapterDir {@code <output_dir>/adapter}
     * @param modelDir {@code <output_dir>/model}
     */
    public record Saved(Path adapterDir, Path modelDir) {
    }

    private final RunSpec spec;
    private final Path baseModel;
    private final TrainingArguments args;
    private final LoraTrainingModel model;
    private final EmbeddingLoss loss;
    private TrainResult result;

    private FineTuneJob(RunSpec spec, Path baseModel, LoraTrainingModel model, EmbeddingLoss loss) {
        this.spec = spec;
        this.baseModel = baseModel;
        this.args = spec.training();
        this.model = model;
        this.loss = loss;
    }

    /**
     * Loads the base model with fresh adapters (A from the training seed, B zero) and builds the loss:
     * the spec's LoRA, quantisation, loss, Matryoshka dims, mini-batch size, max length, model
     * dropout and training arguments.
     *
     * @param baseModel the spec's model, resolved to a directory ({@code ModelCache.resolve})
     *
     * @throws IllegalArgumentException when the Matryoshka dimensions do not fit the model's embedding
     *     dimension, or the model is not a BERT model
     * @throws IOException when the model directory cannot be read
     */
    public static FineTuneJob prepare(RunSpec spec, Path baseModel) throws IOException {
        Objects.requireNonNull(spec, "spec");
        LoraTrainingModel model = LoraTrainingModel.create(baseModel, spec.lora(), spec.quantization(), spec.maxLength(),
                spec.training().seed(), spec.modelDropout());
        int dimension = model.baseModel().pooling().outputDimension();
        EmbeddingLoss loss = loss(spec.loss(), dimension, spec.matryoshkaDims(), spec.miniBatchSize());
        return new FineTuneJob(spec, baseModel, model, loss);
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
        requireFormat(spec.loss(), train);
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
        Path tmp = Files.createTempDirectory(out, ".adapter.");
        try {
            model.saveTrained(tmp);
            AtomicFiles.replaceDirectory(tmp, adapter);
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
        Path merged = out.resolve("model");
        LoraMerge.writeMerged(baseModel, model.adapters(), merged);
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

    public RunSpec spec() {
        return spec;
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
     * @param miniBatchSize rows per GradCache mini-batch ({@code mini_batch_size}), for {@code cached-mnrl}
     */
    public static EmbeddingLoss loss(String name, int dimension, List<Integer> matryoshkaDims, int miniBatchSize) {
        EmbeddingLoss inner = switch (lossKind(name)) {
            case MNRL -> new MultipleNegativesRankingLoss();
            case CACHED_MNRL -> new CachedMultipleNegativesRankingLoss(MultipleNegativesRankingLoss.DEFAULT_SCALE, miniBatchSize);
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
        return "FineTuneJob" + Arrays.asList(baseModel, spec.loss(), args.outputDir());
    }
}

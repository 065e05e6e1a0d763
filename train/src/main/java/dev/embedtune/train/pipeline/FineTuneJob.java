package dev.embedtune.train.pipeline;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.Warnings;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.Example;
import dev.embedtune.train.data.ExampleFormat;
import dev.embedtune.train.trainer.Checkpoints;
import dev.embedtune.train.trainer.DiskFull;
import dev.embedtune.train.trainer.LoraTrainingModel;
import dev.embedtune.train.trainer.MemoryPlan;
import dev.embedtune.train.trainer.TrainResult;
import dev.embedtune.train.trainer.TrainableModel;
import dev.embedtune.train.trainer.Trainer;
import dev.embedtune.train.trainer.TrainerListener;
import dev.embedtune.train.trainer.TrainingArguments;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.LossKind;
import dev.embedtune.train.loss.MatryoshkaLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
    private MemoryPlan memoryPlan;
    private final EmbeddingLoss loss;
    private final PipelineBackend backend;
    private TrainResult result;

    private FineTuneJob(RunSpec spec, Path baseModel, LoraTrainingModel model, EmbeddingLoss loss, PipelineBackend backend) {
        this.spec = spec;
        this.baseModel = baseModel;
        this.args = spec.training();
        this.model = model;
        this.loss = loss;
        this.backend = backend;
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
        return prepare(spec, baseModel, PipelineBackend.LOCAL);
    }

    /** As {@link #prepare(RunSpec, Path)}, the training step run by {@code backend} ({@link PipelineBackend#trainable}). */
    public static FineTuneJob prepare(RunSpec spec, Path baseModel, PipelineBackend backend) throws IOException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(backend, "backend");
        LoraTrainingModel model = LoraTrainingModel.create(baseModel, spec.lora(), spec.quantization(), spec.maxLength(),
                spec.training().seed(), spec.modelDropout());
        int dimension = model.baseModel().pooling().outputDimension();
        EmbeddingLoss loss = loss(spec.loss(), dimension, spec.matryoshkaDims(), spec.miniBatchSize());
        return new FineTuneJob(spec, baseModel, model, loss, backend);
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
        warnBatchOfOne(train);
        planMemory(train);
        TrainableModel trained = backend.trainable(this);
        try {
            Trainer trainer = new Trainer(trained, train, loss, args, evaluator, listener);
            result = resumeFrom == null ? trainer.train() : trainer.train(resumeFrom);
        } finally {
            model.releaseActivations();   // the stages after training need none of it
            if (trained != model && trained instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IOException("could not release the training step's resources", e);
                }
            }
        }
        return result;
    }

    /**
     * Gradient checkpointing as configured, and under a max_memory budget the plan that fits it
     * ({@link MemoryPlan}: checkpointing, then GradCache mini-batches), sized for the longest text of
     * the data (at most max_length) in every row and column; refused here, before training, when
     * nothing fits.
     */
    private void planMemory(Dataset train) {
        model.trainingEncoder().setGradientCheckpointing(args.gradientCheckpointing());
        if (args.maxMemory() == null || train.size() == 0) {
            return;
        }
        int columns = 0, tokens = 1;
        for (Example e : train.examples()) {
            columns = Math.max(columns, e.texts().size());
            for (String text : e.texts()) {
                tokens = Math.max(tokens, model.tokenizer().encode(text).ids().length);
            }
        }
        MemoryPlan plan = MemoryPlan.choose(model.trainingEncoder(), args.perDeviceTrainBatchSize(), tokens, columns,
                MemoryPlan.parseBytes(args.maxMemory()), MemoryPlan.residentBytes() + MemoryPlan.MARGIN_BYTES,
                MemoryPlan.TEMPORARY_BYTES_PER_TOKEN_AND_HIDDEN * model.trainingEncoder().modelConfig().hiddenSize());
        model.setMemoryMiniBatch(plan.miniBatch());
        memoryPlan = plan;
        System.err.println(plan.summary());
    }

    /**
     * The losses of in-batch negatives (MNRL and its variants) over pairs learn nothing from a batch
     * of one pair: there is no other text to rank against, the loss is 0 (ln 1), the step is wasted.
     * Legal, but rarely meant: a warning names the data and the way out.
     */
    private void warnBatchOfOne(Dataset train) {
        LossKind kind = LossKind.parse(spec.loss());
        boolean inBatch = kind == LossKind.MNRL || kind == LossKind.CACHED_MNRL || kind == LossKind.MNRL_SYMMETRIC;
        if (!inBatch || train.format() != ExampleFormat.PAIR || train.size() == 0) {
            return;
        }
        int b = args.perDeviceTrainBatchSize();
        long ones = args.batchSampler().create(train, b, args.seed(), args.dropLast()).batches(0).stream()
                .filter(batch -> batch.length == 1).count();
        if (ones > 0) {
            Warnings.warn(train.name() + ": " + train.size() + " pair" + (train.size() == 1 ? "" : "s") + " in batches of " + b
                    + " leave " + (ones == 1 ? "a batch" : ones + " batches") + " of one pair per epoch, where " + kind.className()
                    + " has no in-batch negative: its loss is 0 and that step learns nothing;"
                    + (train.size() == 1 ? " add data" : " set dataloader_drop_last: true or another batch size"));
        }
    }

    /** The plan a max_memory budget chose, or null without a budget (or before {@link #train}). */
    public MemoryPlan memoryPlan() {
        return memoryPlan;
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
            AtomicFiles.deleteTree(tmp);
        }
        Path merged = out.resolve("model");
        try {
            LoraMerge.writeMerged(baseModel, model.adapters(), merged);
        } catch (IOException e) {
            if (!DiskFull.is(e)) {
                throw e;
            }
            throw DiskFull.writing(e, merged, "the merged model", directoryBytes(baseModel), "The trained adapters are in "
                    + adapter + " and the run's checkpoints; free some space, then run the same command with --resume to write"
                    + " the merged model");
        }
        return new Saved(adapter, merged);
    }

    /** The bytes of the files under {@code dir}: about what a merged copy of that model takes. */
    private static long directoryBytes(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            long sum = 0;
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                sum += Files.size(p);
            }
            return sum;
        }
    }

    /** The base model directory the job loaded (and {@link #save} merges into). */
    public Path baseModel() {
        return baseModel;
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

    /**
     * The loss named {@code name} ({@link LossKind}) with sentence-transformers' default parameters,
     * wrapped in {@link MatryoshkaLoss} over {@code matryoshkaDims} (weights 1, all dims every step)
     * unless empty. A loss that wants GradCache says so itself ({@link EmbeddingLoss#gradCacheMiniBatchSize}).
     *
     * @param name a {@link LossKind} name, or the class name ({@code MultipleNegativesRankingLoss}, …)
     * @param dimension the model's embedding dimension
     * @param matryoshkaDims truncation sizes, each in [1, dimension], or empty
     * @param miniBatchSize rows per GradCache mini-batch ({@code mini_batch_size}), for {@code cached-mnrl}
     */
    public static EmbeddingLoss loss(String name, int dimension, List<Integer> matryoshkaDims, int miniBatchSize) {
        EmbeddingLoss inner = LossKind.parse(name).create(miniBatchSize);
        if (matryoshkaDims == null || matryoshkaDims.isEmpty()) {
            return inner;
        }
        return new MatryoshkaLoss(inner, dimension, matryoshkaDims.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The dataset formats {@code loss} trains on. */
    public static Set<ExampleFormat> formatsOf(String loss) {
        return LossKind.parse(loss).formats();
    }

    private static void requireFormat(String lossName, Dataset data) {
        LossKind kind = LossKind.parse(lossName);
        if (!kind.formats().contains(data.format())) {
            throw new IllegalArgumentException("loss " + kind.cliName() + " (" + kind.className() + ") trains on "
                    + kind.formats().stream().map(f -> f.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(" or "))
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

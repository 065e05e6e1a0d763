package dev.embedtune.cli;

import dev.embedtune.model.AtomicFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.ColumnMapping;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.DatasetFormatException;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.trainer.BatchSamplerType;
import dev.embedtune.train.pipeline.FineTuneJob;
import dev.embedtune.train.trainer.MetricsLog;
import dev.embedtune.train.trainer.NonFiniteLossException;
import dev.embedtune.train.trainer.SchedulerType;
import dev.embedtune.train.trainer.TrainResult;
import dev.embedtune.train.trainer.TrainingArguments;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code embedtune finetune}: QLoRA fine-tuning of a BERT embedding model on a JSONL, CSV or TSV file
 * with {@link FineTuneJob}; writes {@code OUT/adapter} (PEFT), {@code OUT/model} (merged,
 * sentence-transformers), checkpoints and {@code metrics.jsonl}.
 *
 * <p>Settings come from three places, later ones winning: the defaults shown in {@code --help},
 * the {@code --config} file, and the options given on the command line. The config file holds
 * Hugging Face {@code TrainingArguments} keys ({@code learning_rate}, {@code num_train_epochs}, …,
 * see {@link TrainingArguments}) and may also hold this command's own keys {@code lora_r},
 * {@code lora_alpha}, {@code lora_dropout}, {@code use_rslora}, {@code target_modules}, {@code lora_bias} (PEFT's
 * {@code bias}: none, all or lora_only), {@code modules_to_save} (norm modules), {@code model_dropout}
 * (true/false), {@code loss}, {@code matryoshka_dims}, {@code max_length} and {@code quantize}. Its
 * {@code output_dir} is replaced by {@code --out}.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune an embedding model with QLoRA (LoRA adapters over a quantised frozen base).",
                "Writes OUT/adapter (PEFT layout), OUT/model (merged, sentence-transformers layout), OUT/checkpoint-N and "
                        + "OUT/metrics.jsonl. Options given here override the --config file."})
public final class FinetuneCommand implements Callable<Integer> {

    // ---------------------------------------------------------------- what and where

    @Option(names = "--model", required = true, paramLabel = "DIR|builtin:NAME",
            description = "Base model directory (BERT), or builtin:all-minilm-l6-v2 / builtin:bge-small-en-v1.5.")
    String model;

    @Option(names = "--train", required = true, paramLabel = "FILE",
            description = "Training data: .jsonl, .csv or .tsv (CSV/TSV with a header row).")
    Path train;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--config", paramLabel = "FILE.yaml",
            description = "Training arguments (YAML or JSON, Hugging Face keys such as learning_rate, num_train_epochs), "
                    + "plus lora_r, lora_alpha, lora_dropout, use_rslora, target_modules, lora_bias, modules_to_save, model_dropout, loss, "
                    + "matryoshka_dims, max_length, quantize.")
    Path config;

    @Option(names = "--columns", paramLabel = "SRC=ROLE,…",
            description = "Which column plays which role (anchor, positive, negative, score, label, group), e.g. "
                    + "query=anchor,passage=positive,group=group. Default: columns named after roles, else query/passage(/group).")
    String columns;

    @Option(names = "--split", defaultValue = "train", paramLabel = "SPLIT",
            description = "Train on the records of this split, or all (a record's split is its split field, else the group "
                    + "rule when a group is mapped, else train; default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--eval-split", paramLabel = "SPLIT",
            description = "Evaluate retrieval on this split's queries against every record's positive (same group = relevant): "
                    + "every --eval-steps while training (over the quantised base), and the saved merged model at the end.")
    String evalSplit;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "latest", paramLabel = "latest|DIR",
            description = "Continue from the latest checkpoint in --out, or from checkpoint DIR.")
    String resume;

    @Option(names = "--overwrite",
            description = "Allow a non-empty --out: its checkpoints, final/, adapter/, model/ and metrics.jsonl are deleted first.")
    boolean overwrite;

    // ---------------------------------------------------------------- model and loss

    @Option(names = "--quantize", defaultValue = "nf4", paramLabel = "nf4|fp4|int8|none",
            description = "How the frozen base weights are held while training (default: ${DEFAULT-VALUE}).")
    String quantize;

    @Mixin
    LoraOptions lora;

    @Option(names = "--loss", defaultValue = "mnrl", paramLabel = "NAME",
            description = "mnrl, cached-mnrl, mnrl-symmetric, cosent, angle, triplet, contrastive or online-contrastive "
                    + "(default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--matryoshka-dims", split = ",", paramLabel = "D",
            description = "Wrap the loss in MatryoshkaLoss over these dimensions, e.g. 384,256,128,64 (default: none).")
    List<Integer> matryoshkaDims;

    @Option(names = "--max-length", defaultValue = "128", paramLabel = "TOKENS",
            description = "Tokens per text (default: ${DEFAULT-VALUE}).")
    int maxLength;

    // ---------------------------------------------------------------- trainer (TrainingArguments)

    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N",
            description = "num_train_epochs, may be fractional (default: ${DEFAULT-VALUE}).")
    double epochs;

    @Option(names = "--max-steps", defaultValue = "-1", paramLabel = "N",
            description = "max_steps; overrides --epochs when positive (default: ${DEFAULT-VALUE}).")
    int maxSteps;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N",
            description = "per_device_train_batch_size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", paramLabel = "N",
            description = "gradient_accumulation_steps (default: ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--lr", defaultValue = "5e-5", paramLabel = "RATE", description = "learning_rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup-ratio", defaultValue = "0", paramLabel = "F", description = "warmup_ratio (default: ${DEFAULT-VALUE}).")
    double warmupRatio;

    @Option(names = "--warmup-steps", defaultValue = "0", paramLabel = "N",
            description = "warmup_steps; wins over --warmup-ratio when positive (default: ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--scheduler", defaultValue = "linear", paramLabel = "TYPE",
            description = "lr_scheduler_type: constant, constant_with_warmup, linear or cosine (default: ${DEFAULT-VALUE}).")
    String scheduler;

    @Option(names = "--weight-decay", defaultValue = "0", paramLabel = "F", description = "weight_decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", paramLabel = "F",
            description = "max_grad_norm, 0 for no clipping (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--logging-steps", defaultValue = "500", paramLabel = "N",
            description = "logging_steps; below 1 a fraction of the steps (default: ${DEFAULT-VALUE}).")
    double loggingSteps;

    @Option(names = "--eval-steps", defaultValue = "0", paramLabel = "N",
            description = "eval_steps, with --eval-split; 0 evaluates only at the end (default: ${DEFAULT-VALUE}).")
    double evalSteps;

    @Option(names = "--save-steps", defaultValue = "500", paramLabel = "N",
            description = "save_steps: checkpoint every N steps and at the last; 0 for none (default: ${DEFAULT-VALUE}).")
    double saveSteps;

    @Option(names = "--save-total-limit", defaultValue = "0", paramLabel = "N",
            description = "save_total_limit: keep at most N checkpoints, 0 for all (default: ${DEFAULT-VALUE}).")
    int saveTotalLimit;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seeds data order and adapter initialisation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-sampler", defaultValue = "batch_sampler", paramLabel = "NAME",
            description = "batch_sampler or no_duplicates (default: ${DEFAULT-VALUE}).")
    String batchSampler;

    @Option(names = "--no-progress", description = "No progress bar on stderr (disable_tqdm).")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    /** This command's own keys in a --config file, besides TrainingArguments.KEYS. */
    static final Set<String> OWN_KEYS = Set.of("lora_r", "lora_alpha", "lora_dropout", "use_rslora", "target_modules", "lora_bias",
            "modules_to_save", "model_dropout", "loss", "matryoshka_dims", "max_length", "quantize");

    /** What the trainer writes into an output directory; --overwrite deletes these and nothing else. */
    private static final Pattern OWN_OUTPUTS = Pattern.compile("checkpoint-\\d+(\\.tmp)?|final(\\.tmp)?|adapter|model|"
            + Pattern.quote(MetricsLog.FILE_NAME) + "|\\.(adapter|model|final)\\..+");

    @Override
    public Integer call() throws Exception {
        try {
            return run();
        } catch (DatasetFormatException | ModelFormatException | NonFiniteLossException | NoSuchFileException
                | IllegalArgumentException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("embedtune finetune: " + message(e));
            err.flush();
            return 1;
        }
    }

    private static String message(Exception e) {
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file" + (n.getReason() == null ? "" : " (" + n.getReason() + ")");
        }
        return e.getMessage();
    }

    private int run() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        ParseResult given = spec.commandLine().getParseResult();
        if (!Files.isRegularFile(train)) {
            throw new ParameterException(spec.commandLine(), "--train " + train + ": no such file");
        }
        checkOutputDirectory();

        // ---- settings: defaults < --config < command line
        ObjectNode file = config == null ? null : readConfig(config);
        TrainingArguments args = trainingArguments(file, given);
        FineTuneJob.Settings settings = settings(file, given);

        // ---- data
        ColumnMapping mapping = columns != null ? parseColumns(columns) : defaultMapping(train);
        Dataset data = DatasetLoader.load(train, mapping, split);
        Evaluator<?> evaluator = null;
        if (evalSplit != null) {
            RetrievalTask task = RetrievalTask.of(DatasetLoader.load(train, mapping, evalSplit), DatasetLoader.load(train, mapping, "all"));
            evaluator = evaluator(task, settings.matryoshkaDims());
            stdout.printf("eval: %,d %s queries against %,d passages%n", task.queries().size(), evalSplit, task.corpus().size());
        } else if (args.evalSteps() > 0) {
            throw new ParameterException(spec.commandLine(), "eval_steps " + args.evalSteps() + " needs --eval-split (what to evaluate on)");
        }
        stdout.printf("train: %,d %s examples from %s (columns %s)%n", data.size(), data.format().name().toLowerCase(Locale.ROOT),
                train, mapping);

        // ---- train
        FineTuneJob job = FineTuneJob.prepare(settings, args);
        stdout.printf("model: %s, %s base, LoRA r %d alpha %s on %s, loss %s%s%n", settings.baseModel(), settings.quantization(),
                settings.lora().r(), settings.lora().alpha(), settings.lora().targetModules(), settings.loss(),
                settings.matryoshkaDims().isEmpty() ? "" : " (Matryoshka " + settings.matryoshkaDims() + ")");
        stdout.flush();
        TrainResult result = job.train(data, args.evalSteps() > 0 ? evaluator : null, null, resume);
        FineTuneJob.Saved saved = job.save();
        stdout.printf("trained %d steps, mean loss %.4f, %.1f s%n", result.globalStep(), result.trainingLoss(), result.runtimeSeconds());
        if (evaluator != null) {
            // the saved model, as a user loads it: full-precision base weights with the adapters merged in
            // (evaluations during training run over the quantised base, and score a little differently)
            EvaluationResult metrics = evaluator.evaluate(Embedder.load(saved.modelDir()));
            stdout.println("eval (" + saved.modelDir() + "): " + new ObjectMapper().writeValueAsString(metrics.metrics()));
        }
        stdout.println("adapter: " + saved.adapterDir());
        stdout.println("model:   " + saved.modelDir());
        stdout.flush();
        return 0;
    }

    /** A non-empty --out is refused unless resuming or --overwrite; --overwrite deletes the previous run's outputs. */
    private void checkOutputDirectory() throws IOException {
        if (!Files.isDirectory(out)) {
            if (Files.exists(out)) {
                throw new ParameterException(spec.commandLine(), "--out " + out + " exists and is not a directory");
            }
            if (resume != null) {
                throw new ParameterException(spec.commandLine(), "--resume: --out " + out + " does not exist, so there is nothing to resume");
            }
            return;
        }
        List<Path> entries;
        try (Stream<Path> list = Files.list(out)) {
            entries = list.sorted().toList();
        }
        if (entries.isEmpty() || resume != null) {
            return;
        }
        if (!overwrite) {
            throw new ParameterException(spec.commandLine(), "--out " + out + " is not empty (" + entries.size() + " entries, e.g. "
                    + entries.get(0).getFileName() + "); pass --overwrite to replace the previous run, or --resume to continue it");
        }
        for (Path p : entries) {
            if (OWN_OUTPUTS.matcher(p.getFileName().toString()).matches()) {
                AtomicFiles.deleteTree(p);
            }
        }
    }


    // ---------------------------------------------------------------- settings

    /**
     * A training-arguments file (YAML or JSON, HF keys) whose {@code output_dir}, optional there, is
     * replaced by {@code outputDir}.
     */
    static TrainingArguments readArguments(Path file, Path outputDir) throws IOException {
        ObjectNode root = readConfig(file);
        root.put("output_dir", outputDir.toString());
        return TrainingArguments.fromJson(root, file.toString());
    }

    private static ObjectNode readConfig(Path file) throws IOException {
        JsonNode root = TrainingArguments.readTree(file, "--config file");
        if (root == null) {
            return new ObjectMapper().createObjectNode();
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(file + ": expected an object of settings (learning_rate: 2.0e-5, …), found "
                    + root.getNodeType());
        }
        return (ObjectNode) root;
    }

    private TrainingArguments trainingArguments(ObjectNode file, ParseResult given) {
        TrainingArguments.Builder b;
        if (file != null) {
            ObjectNode trainerKeys = file.deepCopy();
            trainerKeys.remove(OWN_KEYS);
            trainerKeys.put("output_dir", out.toString());   // --out wins
            b = TrainingArguments.fromJson(trainerKeys, config.toString()).toBuilder();
        } else {
            b = TrainingArguments.builder(out);
        }
        try {
            if (file == null || given.hasMatchedOption("--epochs")) b.numTrainEpochs(epochs);
            if (file == null || given.hasMatchedOption("--max-steps")) b.maxSteps(maxSteps);
            if (file == null || given.hasMatchedOption("--batch-size")) b.perDeviceTrainBatchSize(batchSize);
            if (file == null || given.hasMatchedOption("--grad-accum")) b.gradientAccumulationSteps(gradAccum);
            if (file == null || given.hasMatchedOption("--lr")) b.learningRate(lr);
            if (file == null || given.hasMatchedOption("--warmup-ratio")) b.warmupRatio(warmupRatio);
            if (file == null || given.hasMatchedOption("--warmup-steps")) b.warmupSteps(warmupSteps);
            if (file == null || given.hasMatchedOption("--scheduler")) b.lrSchedulerType(SchedulerType.parse(scheduler));
            if (file == null || given.hasMatchedOption("--weight-decay")) b.weightDecay(weightDecay);
            if (file == null || given.hasMatchedOption("--max-grad-norm")) b.maxGradNorm(maxGradNorm);
            if (file == null || given.hasMatchedOption("--logging-steps")) b.loggingSteps(loggingSteps);
            if (file == null || given.hasMatchedOption("--eval-steps")) b.evalSteps(evalSteps);
            if (file == null || given.hasMatchedOption("--save-steps")) b.saveSteps(saveSteps);
            if (file == null || given.hasMatchedOption("--save-total-limit")) b.saveTotalLimit(saveTotalLimit);
            if (file == null || given.hasMatchedOption("--seed")) b.seed(seed);
            if (file == null || given.hasMatchedOption("--batch-sampler")) b.batchSampler(BatchSamplerType.parse(batchSampler));
            if (noProgress) b.disableTqdm(true);
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private FineTuneJob.Settings settings(ObjectNode file, ParseResult given) throws IOException {
        ConfigFields f = new ConfigFields(file, config);
        int r = given.hasMatchedOption("--lora-r") || !f.has("lora_r") ? lora.r : f.integer("lora_r");
        double alpha = given.hasMatchedOption("--lora-alpha") || !f.has("lora_alpha") ? lora.alpha : f.number("lora_alpha");
        double dropout = given.hasMatchedOption("--lora-dropout") || !f.has("lora_dropout") ? lora.dropout : f.number("lora_dropout");
        boolean rslora = lora.rslora || f.has("use_rslora") && f.bool("use_rslora");
        List<String> modules = given.hasMatchedOption("--targets") || !f.has("target_modules") ? lora.targets : f.strings("target_modules");
        String lossName = given.hasMatchedOption("--loss") || !f.has("loss") ? loss : f.text("loss");
        List<Integer> dims = given.hasMatchedOption("--matryoshka-dims") || !f.has("matryoshka_dims")
                ? (matryoshkaDims == null ? List.of() : matryoshkaDims) : f.integers("matryoshka_dims");
        int tokens = given.hasMatchedOption("--max-length") || !f.has("max_length") ? maxLength : f.integer("max_length");
        String quant = given.hasMatchedOption("--quantize") || !f.has("quantize") ? quantize : f.text("quantize");
        String bias = given.hasMatchedOption("--lora-bias") || !f.has("lora_bias") ? lora.bias : f.text("lora_bias");
        List<String> toSave = given.hasMatchedOption("--modules-to-save") || !f.has("modules_to_save")
                ? (lora.modulesToSave == null ? List.of() : lora.modulesToSave) : f.strings("modules_to_save");
        boolean modelDropout = lora.noModelDropout || !f.has("model_dropout") ? lora.modelDropout() : f.bool("model_dropout");
        LoraConfig loraConfig;
        BaseQuantization base;
        try {
            loraConfig = new LoraConfig(r, alpha, dropout, modules, rslora, LoraOptions.parseBias(bias), toSave);
            base = BaseQuantization.parse(quant);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        Path modelDir = ModelCache.resolve(model);
        try {
            return new FineTuneJob.Settings(modelDir, loraConfig, base, lossName, dims, tokens, modelDropout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private ColumnMapping parseColumns(String spec) {
        try {
            return ColumnMapping.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(this.spec.commandLine(), "--columns: " + e.getMessage(), e);
        }
    }

    /** Columns named after roles (anchor, positive, …), else the shared files' query/passage(/group). */
    static ColumnMapping defaultMapping(Path file) {
        List<String> names = DatasetLoader.columnNames(file);
        if (names.contains("anchor") && names.contains("positive")) {
            return ColumnMapping.byRoleNames(names);
        }
        if (names.contains("query") && names.contains("passage")) {
            return ColumnMapping.parse("query=anchor,passage=positive" + (names.contains("group") ? ",group=group" : ""));
        }
        throw new IllegalArgumentException(file + ": cannot tell which columns to train on (found " + names
                + "); name them anchor/positive or query/passage, or pass --columns, e.g. --columns question=anchor,answer=positive");
    }

    private static Evaluator<?> evaluator(RetrievalTask task, List<Integer> dims) {
        InformationRetrievalEvaluator.Options options = InformationRetrievalEvaluator.Options.defaults();
        if (dims.isEmpty()) {
            return InformationRetrievalEvaluator.of(task, options);
        }
        return new MatryoshkaEvaluation(dims, name -> InformationRetrievalEvaluator.of(task, options.withName(name)));
    }

    /** Typed access to this command's own keys in a --config file, with errors naming the file and key. */
    private record ConfigFields(ObjectNode root, Path file) {

        boolean has(String key) {
            return root != null && root.hasNonNull(key);
        }

        private IllegalArgumentException wrong(String key, String expected) {
            return new IllegalArgumentException(file + ": " + key + " must be " + expected + ", found " + root.get(key));
        }

        int integer(String key) {
            JsonNode n = root.get(key);
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw wrong(key, "an integer");
            }
            return n.intValue();
        }

        double number(String key) {
            JsonNode n = root.get(key);
            if (n.isNumber()) {
                return n.doubleValue();
            }
            try {
                return Double.parseDouble(n.asText());
            } catch (NumberFormatException e) {
                throw wrong(key, "a number");
            }
        }

        boolean bool(String key) {
            JsonNode n = root.get(key);
            if (!n.isBoolean()) {
                throw wrong(key, "true or false");
            }
            return n.booleanValue();
        }

        String text(String key) {
            JsonNode n = root.get(key);
            if (!n.isTextual()) {
                throw wrong(key, "a string");
            }
            return n.textValue();
        }

        /** A list, or a comma-separated string. */
        List<String> strings(String key) {
            JsonNode n = root.get(key);
            List<String> out = new ArrayList<>();
            if (n.isTextual()) {
                for (String s : n.textValue().split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
                return out;
            }
            if (!n.isArray()) {
                throw wrong(key, "a list of strings");
            }
            for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
                JsonNode e = it.next();
                if (!e.isTextual()) {
                    throw wrong(key, "a list of strings");
                }
                out.add(e.textValue());
            }
            return out;
        }

        /** A list of integers, or a comma-separated string of them. */
        List<Integer> integers(String key) {
            JsonNode n = root.get(key);
            List<Integer> out = new ArrayList<>();
            try {
                if (n.isTextual()) {
                    for (String s : n.textValue().split(",")) {
                        if (!s.isBlank()) {
                            out.add(Integer.parseInt(s.trim()));
                        }
                    }
                    return out;
                }
            } catch (NumberFormatException e) {
                throw wrong(key, "a list of integers");
            }
            if (n.isIntegralNumber()) {
                return List.of(n.intValue());
            }
            if (!n.isArray()) {
                throw wrong(key, "a list of integers");
            }
            for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
                JsonNode e = it.next();
                if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                    throw wrong(key, "a list of integers");
                }
                out.add(e.intValue());
            }
            return out;
        }
    }
}

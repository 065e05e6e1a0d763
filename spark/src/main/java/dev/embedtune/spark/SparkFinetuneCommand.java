package dev.embedtune.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.train.data.ColumnMapping;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.trainer.FineTuneJob;
import dev.embedtune.train.trainer.SchedulerType;
import dev.embedtune.train.trainer.TrainResult;
import dev.embedtune.train.trainer.TrainingArguments;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code finetune} on Spark: {@code embedtune finetune}'s options by the same names and defaults, the
 * training step on the executors ({@link SparkFineTuneJob}), outputs on the driver. Settings come from
 * the command line and a {@code --config} file of Hugging Face {@code TrainingArguments} keys; the
 * local command's LoRA keys in that file and its evaluation options arrive with the shared run
 * specification (issue 16).
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "QLoRA fine-tuning, data-parallel with exact in-batch negatives over the executors.")
public final class SparkFinetuneCommand implements Callable<Integer> {

    @ParentCommand
    SparkMain parent;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Base model directory (driver and executors).")
    String model;

    @Option(names = "--train", required = true, paramLabel = "FILE", description = "Training data (JSONL/CSV/TSV), on the driver.")
    Path train;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory, on the driver.")
    Path out;

    @Option(names = "--config", paramLabel = "FILE.yaml", description = "Hugging Face TrainingArguments keys (YAML or JSON).")
    Path config;

    @Option(names = "--columns", paramLabel = "SRC=ROLE,…", description = "Column mapping, e.g. question=anchor,answer=positive.")
    String columns;

    @Option(names = "--split", defaultValue = "train", paramLabel = "SPLIT", description = "Records of this split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "latest", paramLabel = "latest|DIR",
            description = "Continue from the latest checkpoint in --out, or from DIR.")
    String resume;

    @Option(names = "--quantize", defaultValue = "nf4", paramLabel = "nf4|fp4|int8|none") String quantize;
    @Option(names = "--loss", defaultValue = "mnrl", paramLabel = "NAME") String loss;
    @Option(names = "--matryoshka-dims", split = ",", paramLabel = "D") List<Integer> matryoshkaDims;
    @Option(names = "--max-length", defaultValue = "128", paramLabel = "TOKENS") int maxLength;
    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N") double epochs;
    @Option(names = "--max-steps", defaultValue = "-1", paramLabel = "N") int maxSteps;
    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "The global batch (default: ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--grad-accum", defaultValue = "1", paramLabel = "N") int gradAccum;
    @Option(names = "--lr", defaultValue = "5e-5", paramLabel = "RATE") double lr;
    @Option(names = "--warmup-ratio", defaultValue = "0", paramLabel = "F") double warmupRatio;
    @Option(names = "--warmup-steps", defaultValue = "0", paramLabel = "N") int warmupSteps;
    @Option(names = "--scheduler", defaultValue = "linear", paramLabel = "TYPE") String scheduler;
    @Option(names = "--weight-decay", defaultValue = "0", paramLabel = "F") double weightDecay;
    @Option(names = "--max-grad-norm", defaultValue = "1.0", paramLabel = "F") double maxGradNorm;
    @Option(names = "--logging-steps", defaultValue = "500", paramLabel = "N") double loggingSteps;
    @Option(names = "--save-steps", defaultValue = "500", paramLabel = "N") double saveSteps;
    @Option(names = "--save-total-limit", defaultValue = "0", paramLabel = "N") int saveTotalLimit;
    @Option(names = "--seed", defaultValue = "42", paramLabel = "N") long seed;
    @Option(names = "--no-progress", description = "No progress bar on stderr (disable_tqdm).") boolean noProgress;

    @Option(names = "--lora-r", defaultValue = "16", paramLabel = "R") int loraR;
    @Option(names = "--lora-alpha", defaultValue = "32", paramLabel = "ALPHA") double loraAlpha;
    @Option(names = "--lora-dropout", defaultValue = "0", paramLabel = "P") double loraDropout;
    @Option(names = "--rslora") boolean rslora;
    @Option(names = "--lora-bias", defaultValue = "none", paramLabel = "none|all|lora_only") String loraBias;
    @Option(names = "--modules-to-save", split = ",", paramLabel = "MODULE") List<String> modulesToSave;
    @Option(names = "--no-model-dropout") boolean noModelDropout;
    @Option(names = "--targets", split = ",", defaultValue = LoraConfig.ALL_LINEAR, paramLabel = "MODULE") List<String> targets;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Tasks per micro-batch (default: Spark's default parallelism, at most the batch)")
    int partitions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        FineTuneJob.Settings settings;
        TrainingArguments args;
        try {
            Path dir = Path.of(model.startsWith("builtin:") ? ModelCache.resolve(model).toString() : model);
            LoraConfig lora = new LoraConfig(loraR, loraAlpha, loraDropout, targets, rslora, LoraBias.parse(loraBias),
                    modulesToSave == null ? List.of() : modulesToSave);
            settings = new FineTuneJob.Settings(dir, lora, BaseQuantization.parse(quantize), loss,
                    matryoshkaDims == null ? List.of() : matryoshkaDims, maxLength, !noModelDropout);
            args = arguments();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        ColumnMapping mapping = columns != null ? ColumnMapping.parse(columns) : defaultMapping(train);
        Dataset data = DatasetLoader.load(train, mapping, split);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(parent.session().sparkContext());
        int tasks = partitions > 0 ? partitions : sc.defaultParallelism();
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf("train: %,d examples from %s, global batch %d over %d tasks%n", data.size(), train,
                args.perDeviceTrainBatchSize(), tasks);
        stdout.flush();
        TrainResult r = SparkFineTuneJob.run(sc, settings, args, data, null, null, resume, tasks);
        stdout.printf("trained %d steps, mean loss %.4f, %.1f s%n", r.globalStep(), r.trainingLoss(), r.runtimeSeconds());
        stdout.println("adapter: " + args.outputDir().resolve("adapter"));
        stdout.println("model:   " + args.outputDir().resolve("model"));
        stdout.flush();
        return 0;
    }

    /** Defaults < --config < command line, for the keys the command line names. */
    private TrainingArguments arguments() throws java.io.IOException {
        ObjectNode root = config == null ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                : (ObjectNode) TrainingArguments.readTree(config, "training arguments");
        var given = spec.commandLine().getParseResult();
        root.put("output_dir", out.toString());
        putIf(root, given, "--epochs", "num_train_epochs", epochs);
        putIf(root, given, "--max-steps", "max_steps", maxSteps);
        putIf(root, given, "--batch-size", "per_device_train_batch_size", batchSize);
        putIf(root, given, "--grad-accum", "gradient_accumulation_steps", gradAccum);
        putIf(root, given, "--lr", "learning_rate", lr);
        putIf(root, given, "--warmup-ratio", "warmup_ratio", warmupRatio);
        putIf(root, given, "--warmup-steps", "warmup_steps", warmupSteps);
        putIf(root, given, "--weight-decay", "weight_decay", weightDecay);
        putIf(root, given, "--max-grad-norm", "max_grad_norm", maxGradNorm);
        putIf(root, given, "--logging-steps", "logging_steps", loggingSteps);
        putIf(root, given, "--save-steps", "save_steps", saveSteps);
        putIf(root, given, "--save-total-limit", "save_total_limit", saveTotalLimit);
        putIf(root, given, "--seed", "seed", seed);
        if (config == null || given.hasMatchedOption("--scheduler")) {
            root.put("lr_scheduler_type", SchedulerType.parse(scheduler).hfName());
        }
        if (noProgress) {
            root.put("disable_tqdm", true);
        }
        return TrainingArguments.fromJson(root, config == null ? "the command line" : config.toString());
    }

    /** The option's value when given, or when there is no config file (then the command's default applies). */
    private void putIf(ObjectNode root, picocli.CommandLine.ParseResult given, String option, String key, Object value) {
        if (config != null && !given.hasMatchedOption(option) && root.has(key)) {
            return;
        }
        if (value instanceof Integer i) {
            root.put(key, i);
        } else if (value instanceof Long l) {
            root.put(key, l);
        } else {
            root.put(key, (Double) value);
        }
    }

    /** As the local command: columns named after roles, else the shared files' query/passage(/group). */
    static ColumnMapping defaultMapping(Path file) {
        List<String> names = DatasetLoader.columnNames(file);
        if (names.contains("anchor") && names.contains("positive")) {
            return ColumnMapping.byRoleNames(names);
        }
        return ColumnMapping.parse("query=anchor,passage=positive" + (names.contains("group") ? ",group=group" : ""));
    }
}

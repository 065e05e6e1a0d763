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
import java.util.function.Consumer;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.embedtune.train.pipeline.Pipeline;
import dev.embedtune.train.pipeline.RunSpec;
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
 * {@code embedtune finetune}: QLoRA fine-tuning of an embedding model on a JSONL, CSV or TSV file: the
 * {@link Pipeline} with base evaluation, mining and report off; writes {@code OUT/adapter} (PEFT),
 * {@code OUT/model} (merged, sentence-transformers), checkpoints and {@code metrics.jsonl}, and with
 * {@code --eval-split} evaluates the merged model.
 *
 * <p>Settings are a {@link RunSpec}, later sources winning: {@link #base} (the run specification's
 * defaults without base evaluation, report, mining and Matryoshka loss), the {@code --config} file
 * (any run-specification key; the old {@code quantize} reads with a warning), and the options given
 * on the command line, each of which is a key ({@code --lr} is {@code learning_rate}, see
 * {@link SpecOptions}). Its {@code output_dir} is replaced by {@code --out}.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = FinetuneCommand.Defaults.class,
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
            description = "A run specification (YAML or JSON; keys as in `embedtune run --print-config`: learning_rate, "
                    + "num_train_epochs, lora_r, matryoshka_dims, quantization, …); options given here win.")
    Path config;

    @Option(names = "--columns", paramLabel = "SRC=ROLE,…",
            description = "Which column plays which role (anchor, positive, negative, score, label, group), e.g. "
                    + "query=anchor,passage=positive,group=group. Default: columns named after roles, else query/passage(/group).")
    String columns;

    @Option(names = "--split", paramLabel = "SPLIT",
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
            description = "Allow a non-empty --out: its checkpoints and metrics.jsonl are deleted first; its adapter/, model/ and "
                    + "final/ stay until this run has replaced them (a failed run keeps them). Files embedtune did not write stay.")
    boolean overwrite;

    @Option(names = "--export-onnx",
            description = "Also write the merged model as ONNX into --out/onnx (model.onnx, tokenizer.json and the "
                    + "sentence-transformers files), for ONNX Runtime, langchain4j, DJL (export_onnx)")
    boolean exportOnnx;

    // ---------------------------------------------------------------- model and loss

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    LoraOptions lora;

    // ---------------------------------------------------------------- trainer (TrainingArguments)

    @Option(names = "--epochs", paramLabel = "N",
            description = "num_train_epochs, may be fractional (default: ${DEFAULT-VALUE}).")
    Double epochs;

    @Option(names = "--max-steps", paramLabel = "N",
            description = "max_steps; overrides --epochs when positive (default: ${DEFAULT-VALUE}, the epochs decide).")
    Integer maxSteps;

    @Option(names = "--batch-size", paramLabel = "N",
            description = "per_device_train_batch_size (default: ${DEFAULT-VALUE}).")
    Integer batchSize;

    @Option(names = "--grad-accum", paramLabel = "N",
            description = "gradient_accumulation_steps (default: ${DEFAULT-VALUE}).")
    Integer gradAccum;

    @Option(names = "--lr", paramLabel = "RATE", description = "learning_rate (default: ${DEFAULT-VALUE}).")
    Double lr;

    @Option(names = "--warmup-ratio", paramLabel = "F", description = "warmup_ratio (default: ${DEFAULT-VALUE}).")
    Double warmupRatio;

    @Option(names = "--warmup-steps", paramLabel = "N",
            description = "warmup_steps; wins over --warmup-ratio when positive (default: ${DEFAULT-VALUE}).")
    Integer warmupSteps;

    @Option(names = "--scheduler", paramLabel = "TYPE",
            description = "lr_scheduler_type: constant, constant_with_warmup, linear or cosine (default: ${DEFAULT-VALUE}).")
    String scheduler;

    @Option(names = "--weight-decay", paramLabel = "F", description = "weight_decay (default: ${DEFAULT-VALUE}).")
    Double weightDecay;

    @Option(names = "--max-grad-norm", paramLabel = "F",
            description = "max_grad_norm, 0 for no clipping (default: ${DEFAULT-VALUE}).")
    Double maxGradNorm;

    @Option(names = "--logging-steps", paramLabel = "N",
            description = "logging_steps; below 1 a fraction of the steps (default: ${DEFAULT-VALUE}).")
    Double loggingSteps;

    @Option(names = "--eval-steps", paramLabel = "N",
            description = "eval_steps, with --eval-split; 0 evaluates only at the end (default: ${DEFAULT-VALUE}).")
    Double evalSteps;

    @Option(names = "--save-steps", paramLabel = "N",
            description = "save_steps: checkpoint every N steps and at the last; 0 for none (default: ${DEFAULT-VALUE}).")
    Double saveSteps;

    @Option(names = "--save-total-limit", paramLabel = "N",
            description = "save_total_limit: keep at most N checkpoints, 0 for all (default: ${DEFAULT-VALUE}).")
    Integer saveTotalLimit;

    @Option(names = "--seed", paramLabel = "N",
            description = "Seeds data order and adapter initialisation (default: ${DEFAULT-VALUE}).")
    Long seed;

    @Option(names = "--batch-sampler", paramLabel = "NAME",
            description = "batch_sampler or no_duplicates (default: ${DEFAULT-VALUE}).")
    String batchSampler;

    @Option(names = "--drop-last", description = "dataloader_drop_last: drop each epoch's last incomplete batch.")
    boolean dropLast;

    @Option(names = "--no-progress", description = "No progress bar on stderr (disable_tqdm).")
    boolean noProgress;

    @Option(names = "--gradient-checkpointing",
            description = "gradient_checkpointing: keep each layer's input only and recompute the layer in the backward "
                    + "(the same gradients in less memory, about one more forward of compute).")
    boolean gradientCheckpointing;

    @Option(names = "--max-memory", paramLabel = "SIZE",
            description = "max_memory, e.g. 6g: turn on gradient checkpointing and GradCache mini-batches as needed to "
                    + "stay under it, or refuse the run up front when it cannot fit.")
    String maxMemory;

    @Spec
    CommandSpec spec;

    /**
     * The run specification {@code finetune} starts from: the defaults with no base evaluation, no
     * report, no mining, no evaluation unless {@code --eval-split}, and no Matryoshka loss unless
     * {@code --matryoshka-dims} (RunSpec's Javadoc says how this relates to the main job).
     */
    static RunSpec base(Path out) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("output_dir", out.toString());
        o.put("base_evaluation", false);
        o.put("report", false);
        o.putNull("eval_split");
        o.putArray("matryoshka_dims");
        o.putObject("mining").put("enabled", false);
        return RunSpec.defaults(out).withOverrides(o, "finetune", w -> { });
    }

    /** The --help defaults: {@link #base}'s. */
    static final class Defaults implements picocli.CommandLine.IDefaultValueProvider {
        private final picocli.CommandLine.IDefaultValueProvider spec = SpecOptions.defaults(base(Path.of("runs/finetune")));

        @Override
        public String defaultValue(picocli.CommandLine.Model.ArgSpec arg) throws Exception {
            return spec.defaultValue(arg);
        }
    }

    /** Errors are reported by {@link ErrorHandler}: one line naming the file or key. */
    @Override
    public Integer call() throws Exception {
        return call(Pipeline.Options.defaults());
    }

    /**
     * The command with the pipeline's options given: in this process ({@link #call()}), or with another
     * {@link dev.embedtune.train.pipeline.PipelineBackend} (the spark module's {@code finetune}, which
     * takes this command's options and so its run specification, messages and exit codes).
     */
    public Integer call(Pipeline.Options options) throws Exception {
        return run(options);
    }

    /**
     * defaults (finetune's base) < --config file < the options given. Public so that another front end
     * (the Spark entry point) takes exactly these options and keys, parsed by this command.
     */
    public RunSpec spec() throws IOException {
        Consumer<String> warn = RunCommand.warnings(spec, "finetune");
        RunSpec s = base(out);
        if (config != null) {
            s = SettingsFile.readSpec(config, s, warn);
        }
        try {
            return s.withOverrides(SpecOptions.overrides(spec.commandLine().getParseResult()), "command line", warn);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private int run(Pipeline.Options options) throws Exception {
        if (!Files.isRegularFile(train)) {
            throw new ParameterException(spec.commandLine(), "--train " + train + ": no such file");
        }
        Pipeline.run(spec(), options, spec.commandLine().getOut());
        return 0;
    }
}

package dev.embedtune.cli;

import dev.embedtune.train.pipeline.RunSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code embedtune main}: the main job, {@link RunSpec#defaults} with gradient checkpointing on: import all-MiniLM-L6-v2, load the
 * shipped Jargon File pairs, evaluate the base model, mine one BM25 hard negative per training pair,
 * fine-tune with NF4 QLoRA (r 16, alpha 32) and MNRL inside Matryoshka over 384, 256, 128 and 64,
 * evaluate the fine-tuned model, and write the report, charts, adapter and merged model into
 * {@code runs/main}. The options override the few keys one changes most; the rest is
 * {@code embedtune run --config FILE}'s business.
 */
@Command(name = "main", mixinStandardHelpOptions = true, defaultValueProvider = MainJobCommand.Defaults.class,
        description = {"Run the main job on the embedded defaults: all-MiniLM-L6-v2 fine-tuned with NF4 QLoRA on the Jargon File"
                + " pairs, base vs fine-tuned report in the output directory.",
                "For every other setting write a config file and use `embedtune run --config FILE`."})
public final class MainJobCommand implements Callable<Integer> {

    @Option(names = "--model", description = "Base model directory or builtin:NAME (model; default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--data", description = "Dataset JSONL (id, query, passage, group[, split]); default: the shipped Jargon File pairs")
    Path data;

    @Option(names = "--output", description = "Output directory (output_dir; default: ${DEFAULT-VALUE})")
    Path output;

    @Option(names = "--dims", split = ",", description = "Matryoshka dimensions (matryoshka_dims; default: ${DEFAULT-VALUE})")
    List<Integer> dims;

    @Option(names = "--epochs", description = "Training epochs, possibly fractional (num_train_epochs; default: ${DEFAULT-VALUE})")
    Double epochs;

    @Option(names = "--max-steps", description = "Stop after this many optimizer steps (max_steps; overrides --epochs)")
    Integer maxSteps;

    @Option(names = "--gradient-checkpointing", negatable = true, fallbackValue = "true",
            description = "Recompute each layer in the backward instead of keeping its activations (gradient_checkpointing;"
                    + " on in the main job, which thus stays within 2 GB of memory: the same gradients, about 1.3x the time"
                    + " per step; --no-gradient-checkpointing keeps every layer's activations)")
    boolean gradientCheckpointing;

    @Option(names = "--max-memory", paramLabel = "SIZE",
            description = "A memory budget, e.g. 2g (max_memory): checkpointing and mini-batches as needed, or a clear refusal")
    String maxMemory;

    @Option(names = "--overwrite", description = "Replace an earlier run in the output directory")
    boolean overwrite;

    @Option(names = "--export-onnx", description = "Also write the merged model as ONNX into the output directory's onnx/"
            + " (export_onnx)")
    boolean exportOnnx;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "latest", paramLabel = "latest|DIR",
            description = "Continue the training of an interrupted run from the latest checkpoint in the output directory,"
                    + " or from checkpoint DIR")
    String resume;

    @Spec
    CommandSpec spec;

    /**
     * The main job's run specification: {@link RunSpec#defaults} with gradient checkpointing on, so that
     * the default run of all-MiniLM-L6-v2 (three passes of 32 × 128 tokens a step) stays within 2 GB of
     * memory, at the same gradients (see docs/BENCHMARKS.md, Memory).
     */
    static RunSpec mainJob() {
        return RunSpec.defaults(RunSpec.DEFAULT_OUTPUT).withOverrides(
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("gradient_checkpointing", true),
                "embedtune main", w -> { });
    }

    /** The --help defaults: the main job's run specification. */
    static final class Defaults implements IDefaultValueProvider {
        private final IDefaultValueProvider spec = SpecOptions.defaults(mainJob());

        @Override
        public String defaultValue(ArgSpec arg) throws Exception {
            return arg instanceof picocli.CommandLine.Model.OptionSpec o && o.longestName().equals("--max-steps") ? null
                    : spec.defaultValue(arg);
        }
    }

    /** The main job's specification with the options given on the command line. */
    RunSpec spec() {
        return mainJob().withOverrides(SpecOptions.overrides(spec.commandLine().getParseResult()), "embedtune main",
                RunCommand.warnings(spec, "main"));
    }

    @Override
    public Integer call() throws IOException {
        RunSpec config = spec();
        return RunCommand.run(config, spec, "main");
    }
}

package dev.embedtune.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.train.pipeline.PipelineConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code embedtune main}: the main job on the embedded defaults ({@link PipelineConfig}'s): import
 * all-MiniLM-L6-v2, load the shipped Jargon File pairs, evaluate the base model, mine one BM25 hard
 * negative per training pair, fine-tune with NF4 QLoRA (r 16, alpha 32) and MNRL inside Matryoshka
 * over 384, 256, 128 and 64, evaluate the fine-tuned model, and write the report, charts, adapter and
 * merged model into {@code runs/main}. The options override the few settings one changes most; the
 * rest is {@code embedtune run --config FILE}'s business.
 */
@Command(name = "main", mixinStandardHelpOptions = true,
        description = {"Run the main job on the embedded defaults: all-MiniLM-L6-v2 fine-tuned with NF4 QLoRA on the Jargon File"
                + " pairs, base vs fine-tuned report in the output directory.",
                "For every other setting write a config file and use `embedtune run --config FILE`."})
public final class MainJobCommand implements Callable<Integer> {

    @Option(names = "--model", description = "Base model directory or builtin:NAME (default: " + PipelineConfig.DEFAULT_MODEL + ")")
    String model;

    @Option(names = "--data", description = "Dataset JSONL (id, query, passage, group[, split]); default: the shipped Jargon File pairs")
    Path data;

    @Option(names = "--output", description = "Output directory (default: runs/main)")
    Path output;

    @Option(names = "--dims", split = ",", description = "Matryoshka dimensions (default: 384,256,128,64)")
    List<Integer> dims;

    @Option(names = "--epochs", description = "Training epochs, possibly fractional (default: 1)")
    Double epochs;

    @Option(names = "--max-steps", description = "Stop after this many optimizer steps (overrides --epochs)")
    Integer maxSteps;

    @Option(names = "--overwrite", description = "Replace an earlier run in the output directory")
    boolean overwrite;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "latest", paramLabel = "latest|DIR",
            description = "Continue the training of an interrupted run from the latest checkpoint in the output directory,"
                    + " or from checkpoint DIR")
    String resume;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (model != null) {
            o.put("model", model);
        }
        if (data != null) {
            o.put("data", data.toString());
        }
        if (output != null) {
            o.put("output_dir", output.toString());
        }
        if (dims != null) {
            dims.forEach(o.putArray("dims")::add);
        }
        if (epochs != null) {
            o.put("num_train_epochs", epochs);
        }
        if (maxSteps != null) {
            o.put("max_steps", maxSteps);
        }
        PipelineConfig config;
        try {
            config = PipelineConfig.fromJson(o, "embedtune main").withRunFlags(overwrite, resume);
        } catch (IllegalArgumentException e) {
            return RunCommand.fail(spec, "main", e.getMessage());
        }
        return RunCommand.run(config, spec, "main");
    }
}

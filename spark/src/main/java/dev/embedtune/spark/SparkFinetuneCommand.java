package dev.embedtune.spark;

import dev.embedtune.cli.FinetuneCommand;
import dev.embedtune.train.pipeline.Pipeline;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code finetune} on Spark. Every option but {@code --partitions} is {@code embedtune finetune}'s,
 * parsed by that command itself into the run specification ({@link FinetuneCommand#spec()}: defaults <
 * {@code --config} < the options given, the same keys) and run by it ({@link FinetuneCommand#call(Pipeline.Options)}:
 * its checks, messages and exit codes, the local {@link Pipeline}: output directory rules, data,
 * training, outputs under {@code --out} on the driver), with the training step on the executors
 * ({@link SparkBackend}).
 */
@Command(name = "finetune", description = {"QLoRA fine-tuning, data-parallel with exact in-batch negatives over the executors.",
        "Takes every option of `embedtune finetune` (see its --help) plus --partitions."})
public final class SparkFinetuneCommand implements Callable<Integer> {

    @ParentCommand
    SparkMain parent;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Tasks per micro-batch (default: Spark's default parallelism, at most the batch)")
    int partitions;

    @Unmatched
    List<String> local = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        FinetuneCommand options = new FinetuneCommand();
        if (!SparkMain.parseLocal(options, local, spec)) {
            return 0;
        }
        return options.call(Pipeline.Options.defaults().withBackend(parent.backend(partitions)));
    }
}

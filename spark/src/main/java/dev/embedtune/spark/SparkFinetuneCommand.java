package dev.embedtune.spark;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code finetune} on Spark: placeholder until the distributed trainer is wired (see DistributedTrainingModel). */
@Command(name = "finetune", mixinStandardHelpOptions = true, description = "Data-parallel QLoRA fine-tuning.")
public final class SparkFinetuneCommand implements Callable<Integer> {
    @ParentCommand
    SparkMain parent;

    @Override
    public Integer call() {
        throw new UnsupportedOperationException("finetune on Spark is not wired yet");
    }
}

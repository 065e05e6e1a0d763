package dev.embedtune.spark;

import dev.embedtune.app.report.RunCharts;
import dev.embedtune.cli.RunCommand;
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
 * {@code run} on Spark: {@code embedtune run} itself ({@link RunCommand}: its options, its run
 * specification file, its messages and exit codes, the whole {@link Pipeline} with its report and
 * charts), with the embeddings of the evaluations and of dense mining and the training step on the
 * executors ({@link SparkBackend}); everything else on the driver. Plus {@code --partitions}.
 */
@Command(name = "run", description = {"The whole fine-tuning pipeline from a run specification, its heavy work over the executors.",
        "Takes every option of `embedtune run` (see its --help) plus --partitions."})
public final class SparkRunCommand implements Callable<Integer> {

    @ParentCommand
    SparkMain parent;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Tasks per micro-batch and per embedding call (default: Spark's default parallelism)")
    int partitions;

    @Unmatched
    List<String> local = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RunCommand command = new RunCommand();
        if (!SparkMain.parseLocal(command, local, spec)) {
            return 0;
        }
        return command.call(Pipeline.Options.defaults().withCharts(RunCharts::draw).withBackend(parent.backend(partitions)));
    }
}

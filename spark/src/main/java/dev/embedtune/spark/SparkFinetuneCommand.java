package dev.embedtune.spark;

import dev.embedtune.cli.FinetuneCommand;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.pipeline.OutputDirectory;
import dev.embedtune.train.pipeline.PipelineData;
import dev.embedtune.train.pipeline.RunSpec;
import dev.embedtune.train.trainer.TrainResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code finetune} on Spark. Every option but {@code --partitions} is {@code embedtune finetune}'s,
 * parsed by that command itself into the run specification ({@link FinetuneCommand#spec()}: defaults <
 * {@code --config} < the options given, the same keys), so the two cannot drift apart; the data comes
 * from the pipeline's reader ({@link PipelineData}); the training step runs on the executors
 * ({@link SparkFineTuneJob}); outputs are written on the driver under {@code --out}.
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
        CommandLine parser = new CommandLine(options);
        parser.parseArgs(local.toArray(String[]::new));   // a bad option: picocli's own message
        if (parser.isUsageHelpRequested()) {
            parser.usage(spec.commandLine().getOut());
            return 0;
        }
        RunSpec run = options.spec();
        OutputDirectory.prepare(run);   // as the local pipeline: a non-empty --out needs --overwrite or --resume
        Path base = ModelCache.resolve(run.model());
        PipelineData data = PipelineData.load(run);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(parent.session().sparkContext());
        int tasks = partitions > 0 ? partitions : sc.defaultParallelism();
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf("train: %,d examples from %s, global batch %d over %d tasks%n", data.train().size(), data.name(),
                run.training().perDeviceTrainBatchSize(), tasks);
        stdout.flush();
        TrainResult r = SparkFineTuneJob.run(sc, run, base, data.train(),
                run.training().evalSteps() > 0 ? data.evaluator() : null, null, run.resumeFromCheckpoint(), tasks);
        stdout.printf("trained %d steps, mean loss %.4f, %.1f s%n", r.globalStep(), r.trainingLoss(), r.runtimeSeconds());
        stdout.println("adapter: " + run.outputDir().resolve("adapter"));
        stdout.println("model:   " + run.outputDir().resolve("model"));
        stdout.flush();
        return 0;
    }
}

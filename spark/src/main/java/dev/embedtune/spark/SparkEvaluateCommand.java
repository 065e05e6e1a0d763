package dev.embedtune.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.eval.EvaluatorKind;
import dev.embedtune.train.data.ColumnMapping;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.model.embed.Embedder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code evaluate} on Spark, with {@code embedtune evaluate}'s options and output (one JSON object of
 * metrics on stdout): the corpus is embedded and ranked in shards on the executors
 * ({@link SparkRetrievalEvaluation}), the metrics are the local evaluator's.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Print retrieval metrics as JSON; corpus embedding and ranking on the executors.")
public final class SparkEvaluateCommand implements Callable<Integer> {

    @ParentCommand
    SparkMain parent;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory as the executors see it.")
    String model;

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl",
            description = "JSONL with id, query, passage, group (and split), on the driver.")
    Path data;

    @Option(names = "--split", defaultValue = "test", paramLabel = "SPLIT",
            description = "Whose queries to evaluate: test, train or all (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--dims", split = ",", paramLabel = "D",
            description = "Matryoshka dimensions: truncate, L2-normalise, evaluate each (e.g. 384,256,128,64).")
    List<Integer> dims;

    @Option(names = "--columns", paramLabel = "SRC=ROLE,…",
            description = "Which column plays which role (anchor, positive, negative, score, label, group), as embedtune evaluate.")
    String columns;

    @Option(names = "--evaluator", paramLabel = "NAME",
            description = "The evaluator, as embedtune evaluate (default: the one the data's roles call for); only retrieval"
                    + " runs on the executors, the others on the driver.")
    String evaluator;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N",
            description = "Texts per model call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--partitions", defaultValue = "0", description = "Corpus shards (default: Spark's default parallelism)")
    int partitions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // the data as the local command reads it
        ColumnMapping mapping = columns != null ? ColumnMapping.parse(columns) : DatasetLoader.defaultMapping(data);
        Dataset evaluated = DatasetLoader.load(data, mapping, split);
        EvaluatorKind kind = evaluator != null ? EvaluatorKind.parse(evaluator) : EvaluatorKind.forFormat(evaluated.format());
        String dir = model.startsWith("builtin:") ? ModelCache.resolve(model).toString() : model;
        EvaluationResult result;
        if (kind == EvaluatorKind.RETRIEVAL) {
            RetrievalTask task = RetrievalTask.of(evaluated, DatasetLoader.load(data, mapping, "all"));
            InformationRetrievalEvaluator.Options options = InformationRetrievalEvaluator.Options.defaults().withBatchSize(batchSize);
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(parent.session().sparkContext());
            result = new SparkRetrievalEvaluation(task, options, dims)
                    .evaluate(sc, new ModelSpec(dir, "none", 32, null, null), partitions > 0 ? partitions : sc.defaultParallelism());
        } else {
            // pair and triplet evaluators embed a few thousand texts: on the driver, with the local code
            result = kind.create(evaluated, evaluated, dims == null ? List.of() : dims).evaluate(Embedder.load(Path.of(dir)));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(new ObjectMapper().writeValueAsString(result.metrics()));
        out.flush();
        return 0;
    }
}

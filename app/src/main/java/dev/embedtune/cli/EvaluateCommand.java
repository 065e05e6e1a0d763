package dev.embedtune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.TextEncoder;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.data.ColumnMapping;
import dev.embedtune.train.data.Dataset;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.Evaluator;
import dev.embedtune.train.eval.EvaluatorKind;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code embedtune evaluate --model DIR --data FILE.jsonl [--split test] [--dims 384,256,128,64]}:
 * retrieval metrics of a model on a shared-format JSONL file ({@link RetrievalTask}: queries from the
 * split, corpus of all passages, relevant = same group), printed to stdout as one JSON object with
 * sentence-transformers' keys ({@code cosine_ndcg@10}, or {@code dim_128_cosine_ndcg@10} per
 * Matryoshka dimension, plus {@code sequential_score}, their mean NDCG).
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Print a model's metrics on a data file as JSON: retrieval (NDCG@10, MRR@10, MAP@100, …), binary"
                + " classification (accuracy, F1, AP), triplet accuracy or similarity correlation, chosen from the data's roles"
                + " or by --evaluator.")
public final class EvaluateCommand implements Callable<Integer> {

    /** Loads the embedding model of a model directory; the seam between the CLI and the embedding API. */
    @FunctionalInterface
    public interface EncoderLoader {
        TextEncoder load(Path modelDir) throws Exception;
    }

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory, or builtin:all-minilm-l6-v2 / builtin:bge-small-en-v1.5.")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl",
            description = "JSONL, CSV or TSV (e.g. id, query, passage, group, split).")
    Path data;

    @Option(names = "--columns", paramLabel = "SRC=ROLE,…",
            description = "Which column plays which role (anchor, positive, negative, score, label, group); default: columns named"
                    + " after roles, else query/passage(/group).")
    String columns;

    @Option(names = "--evaluator", paramLabel = "NAME",
            description = "retrieval, binary-classification, triplet or similarity (default: from the data's roles: retrieval for"
                    + " anchor/positive[/group], binary-classification for 0/1-labelled pairs, triplet for anchor/positive/negative,"
                    + " similarity for scored pairs).")
    String evaluator;

    @Option(names = "--split", defaultValue = "test", paramLabel = "SPLIT",
            description = "Whose queries to evaluate: test, train or all (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--dims", split = ",", paramLabel = "D",
            description = "Matryoshka dimensions: truncate, L2-normalise, evaluate each (e.g. 384,256,128,64).")
    List<Integer> dims;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N",
            description = "Texts per model call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Spec
    CommandSpec spec;

    private final EncoderLoader loader;

    /** Loads models through the embedding API; {@code builtin:NAME} imports a built-in model first. */
    public EvaluateCommand() {
        this(dir -> Embedder.load(ModelCache.resolve(dir.toString())));
    }

    public EvaluateCommand(EncoderLoader loader) {
        this.loader = loader;
    }

    @Override
    public Integer call() throws Exception {
        ColumnMapping mapping = columns != null ? ColumnMapping.parse(columns) : DatasetLoader.defaultMapping(data);
        Dataset evaluated = DatasetLoader.load(data, mapping, split);
        EvaluatorKind kind = evaluator != null ? EvaluatorKind.parse(evaluator) : EvaluatorKind.forFormat(evaluated.format());
        Evaluator<?> chosen;
        if (kind == EvaluatorKind.RETRIEVAL) {
            // the retrieval evaluator's own batch size: --batch-size texts per model call
            RetrievalTask task = RetrievalTask.of(evaluated, DatasetLoader.load(data, mapping, "all"));
            InformationRetrievalEvaluator.Options base = InformationRetrievalEvaluator.Options.defaults().withBatchSize(batchSize);
            chosen = dims == null || dims.isEmpty() ? InformationRetrievalEvaluator.of(task, base)
                    : new MatryoshkaEvaluation(dims, name -> InformationRetrievalEvaluator.of(task, base.withName(name)));
        } else {
            chosen = kind.create(evaluated, evaluated, dims == null ? List.of() : dims);
        }
        EvaluationResult result = chosen.evaluate(loader.load(model));
        PrintWriter out = spec.commandLine().getOut();
        out.println(new ObjectMapper().writeValueAsString(result.metrics()));
        out.flush();
        return 0;
    }
}

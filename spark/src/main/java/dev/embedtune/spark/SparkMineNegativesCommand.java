package dev.embedtune.spark;

import dev.embedtune.cli.MiningCommandOptions;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.mining.Bm25Scorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code mine-negatives} on Spark, with {@code embedtune mine-negatives}' options and output: the
 * pairs are read and the rows written by the driver ({@link HardNegativeMiner}, unchanged); dense
 * scoring runs over corpus shards on the executors ({@link SparkDenseScorer}), giving the local rows.
 * BM25 runs on the driver (Lucene over the whole corpus), as locally.
 */
@Command(name = "mine-negatives", mixinStandardHelpOptions = true,
        description = "Mine hard negatives (sentence-transformers' mine_hard_negatives), dense scoring on the executors.")
public final class SparkMineNegativesCommand implements Callable<Integer> {

    @ParentCommand
    SparkMain parent;

    @Mixin
    MiningCommandOptions mining;

    @Option(names = "--method", defaultValue = "bm25", description = "bm25 (on the driver) or dense (on the executors) (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--model", description = "Model directory as the executors see it, for --method dense")
    String model;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Corpus shards (default: Spark's default parallelism)")
    int partitions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        MiningOptions options = mining.options(spec);
        List<HardNegativeMiner.Pair> pairs = mining.pairs(spec);
        List<String> corpus = HardNegativeMiner.corpusWithPositives(List.of(), pairs);
        long start = System.nanoTime();
        HardNegativeMiner.Result result;
        switch (method) {
            case "bm25" -> result = mining.mine(pairs, corpus, new Bm25Scorer(corpus), options, spec);
            case "dense" -> {
                if (model == null) {
                    throw new ParameterException(spec.commandLine(), "--method dense needs --model");
                }
                String dir = model.startsWith("builtin:") ? ModelCache.resolve(model).toString() : model;
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(parent.session().sparkContext());
                int shards = partitions > 0 ? partitions : sc.defaultParallelism();
                try (SparkDenseScorer scorer = new SparkDenseScorer(sc, new ModelSpec(dir, "none", mining.batchSize(), null, null),
                        corpus, positivesOf(pairs, corpus), 1024, shards)) {
                    result = mining.mine(pairs, corpus, scorer, options, spec);
                }
            }
            default -> throw new ParameterException(spec.commandLine(), "--method must be bm25 or dense, got " + method);
        }
        mining.write(result, options, start, spec);
        return 0;
    }

    /** The corpus indices of the pairs' positives (the miner scores each query against them). */
    static Set<Integer> positivesOf(List<HardNegativeMiner.Pair> pairs, List<String> corpus) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < corpus.size(); i++) {
            index.putIfAbsent(corpus.get(i), i);
        }
        Set<Integer> out = new HashSet<>();
        pairs.forEach(p -> out.add(index.get(p.positive())));
        return out;
    }
}

package dev.embedtune.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.mining.Bm25Scorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.mining.Scorer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
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

    @Option(names = "--data", required = true, description = "JSONL with query, passage, group (and split), on the driver")
    Path data;

    @Option(names = "--split", defaultValue = "train", description = "Records of this split (train, test or all; default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--output", required = true, description = "JSONL to write")
    Path output;

    @Option(names = "--method", defaultValue = "bm25", description = "bm25 (on the driver) or dense (on the executors) (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--model", description = "Model directory as the executors see it, for --method dense")
    String model;

    @Option(names = "--range-min", defaultValue = "0") int rangeMin;
    @Option(names = "--range-max") Integer rangeMax;
    @Option(names = "--max-score") Double maxScore;
    @Option(names = "--min-score") Double minScore;
    @Option(names = "--absolute-margin") Double absoluteMargin;
    @Option(names = "--relative-margin") Double relativeMargin;
    @Option(names = "--num-negatives", defaultValue = "3") int numNegatives;
    @Option(names = "--sampling", defaultValue = "top", description = "top or random") String sampling;
    @Option(names = "--format", defaultValue = "triplet", description = "triplet, n-tuple or labeled-pair") String format;
    @Option(names = "--seed", defaultValue = "42") long seed;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;

    @Option(names = "--partitions", defaultValue = "0",
            description = "Corpus shards (default: Spark's default parallelism)")
    int partitions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        MiningOptions options;
        try {
            options = new MiningOptions(rangeMin, rangeMax, maxScore, minScore, absoluteMargin, relativeMargin,
                    numNegatives, MiningOptions.Sampling.valueOf(sampling.toUpperCase()),
                    MiningOptions.Format.valueOf(format.toUpperCase().replace('-', '_')), seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        List<HardNegativeMiner.Pair> pairs;
        try {
            if (!java.nio.file.Files.isRegularFile(data)) {
                throw new NoSuchFileException(data.toString());
            }
            pairs = HardNegativeMiner.pairs(DatasetLoader.load(data, DatasetLoader.defaultMapping(data), split));
        } catch (NoSuchFileException e) {
            throw new ParameterException(spec.commandLine(), "--data " + data + ": no such file");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        List<String> corpus = HardNegativeMiner.corpusWithPositives(List.of(), pairs);
        long start = System.nanoTime();
        HardNegativeMiner.Result result;
        switch (method) {
            case "bm25" -> result = HardNegativeMiner.mine(pairs, corpus, new Bm25Scorer(corpus), options);
            case "dense" -> {
                if (model == null) {
                    throw new ParameterException(spec.commandLine(), "--method dense needs --model");
                }
                String dir = model.startsWith("builtin:") ? ModelCache.resolve(model).toString() : model;
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(parent.session().sparkContext());
                int shards = partitions > 0 ? partitions : sc.defaultParallelism();
                try (SparkDenseScorer scorer = new SparkDenseScorer(sc, new ModelSpec(dir, "none", batchSize, null, null),
                        corpus, positivesOf(pairs, corpus), 1024, shards)) {
                    result = mine(pairs, corpus, scorer, options);
                }
            }
            default -> throw new ParameterException(spec.commandLine(), "--method must be bm25 or dense, got " + method);
        }
        AtomicFiles.write(output, rowsJsonl(result, options).getBytes(StandardCharsets.UTF_8));
        spec.commandLine().getOut().printf("%,d queries, %,d rows (%s) in %.1f s, %,d queries dropped for too few candidates, "
                        + "negatives per query %s -> %s%n", result.queries(), result.rows().size(), options.format(),
                (System.nanoTime() - start) / 1e9, result.droppedQueries(), result.negativesPerQuery(), output);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private HardNegativeMiner.Result mine(List<HardNegativeMiner.Pair> pairs, List<String> corpus, Scorer scorer,
            MiningOptions options) {
        try {
            return HardNegativeMiner.mine(pairs, corpus, scorer, options);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
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

    /** The local command's output lines. */
    static String rowsJsonl(HardNegativeMiner.Result result, MiningOptions options) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder out = new StringBuilder();
        for (List<String> row : result.rows()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("anchor", row.get(0));
            switch (options.format()) {
                case TRIPLET -> {
                    o.put("positive", row.get(1));
                    o.put("negative", row.get(2));
                }
                case N_TUPLE -> {
                    o.put("positive", row.get(1));
                    for (int i = 2; i < row.size(); i++) {
                        o.put("negative_" + (i - 1), row.get(i));
                    }
                }
                case LABELED_PAIR -> {
                    o.put("passage", row.get(1));
                    o.put("label", Integer.parseInt(row.get(2)));
                }
            }
            out.append(json.writeValueAsString(o)).append('\n');
        }
        return out.toString();
    }
}

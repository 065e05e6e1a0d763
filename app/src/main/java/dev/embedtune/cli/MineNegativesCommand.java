package dev.embedtune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.mining.Bm25Scorer;
import dev.embedtune.train.mining.DenseScorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.mining.Scorer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code embedtune mine-negatives}: hard negatives for (query, passage) pairs, BM25 or dense. */
@Command(name = "mine-negatives", mixinStandardHelpOptions = true,
        description = "Mine hard negatives (sentence-transformers' mine_hard_negatives), never from the query's own group.")
public final class MineNegativesCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "JSONL with query, passage, group (and split)")
    Path data;

    @Option(names = "--split", defaultValue = "train", description = "Records of this split (train, test or all; default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--output", required = true, description = "JSONL to write")
    Path output;

    @Option(names = "--method", defaultValue = "bm25", description = "bm25 or dense (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--model", description = "Model directory or builtin:NAME, for --method dense")
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
        List<HardNegativeMiner.Pair> pairs = readPairs();
        // As sentence-transformers by default: the corpus is the positives of the mined split, so a
        // training set never takes negatives from held-out passages.
        List<String> corpus = HardNegativeMiner.corpusWithPositives(List.of(), pairs);
        long start = System.nanoTime();
        Scorer scorer = switch (method) {
            case "bm25" -> new Bm25Scorer(corpus);
            case "dense" -> {
                if (model == null) {
                    throw new ParameterException(spec.commandLine(), "--method dense needs --model");
                }
                Embedder embedder = Embedder.load(ModelCache.resolve(model), new Embedder.Options(batchSize, null, null));
                yield new DenseScorer(embedder, corpus, 1024);
            }
            default -> throw new ParameterException(spec.commandLine(), "--method must be bm25 or dense, got " + method);
        };
        HardNegativeMiner.Result result;
        try {
            result = HardNegativeMiner.mine(pairs, corpus, scorer, options);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
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
        AtomicFiles.write(output, out.toString().getBytes(StandardCharsets.UTF_8));
        spec.commandLine().getOut().printf("%,d queries, %,d rows (%s) in %.1f s, %,d queries dropped for too few candidates, "
                        + "negatives per query %s -> %s%n", result.queries(), result.rows().size(), options.format(),
                (System.nanoTime() - start) / 1e9, result.droppedQueries(), result.negativesPerQuery(), output);
        return 0;
    }

    private List<HardNegativeMiner.Pair> readPairs() throws IOException {
        try {
            if (!java.nio.file.Files.isRegularFile(data)) {
                throw new NoSuchFileException(data.toString());
            }
            return HardNegativeMiner.pairs(DatasetLoader.load(data, DatasetLoader.defaultMapping(data), split));
        } catch (NoSuchFileException e) {
            throw new ParameterException(spec.commandLine(), "--data " + data + ": no such file");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}

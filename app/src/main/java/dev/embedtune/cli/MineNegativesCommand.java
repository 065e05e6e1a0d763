package dev.embedtune.cli;

import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.onnx.ModelCache;
import dev.embedtune.train.mining.Bm25Scorer;
import dev.embedtune.train.mining.DenseScorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.mining.Scorer;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code embedtune mine-negatives}: hard negatives for (query, passage) pairs, BM25 or dense. */
@Command(name = "mine-negatives", mixinStandardHelpOptions = true,
        description = "Mine hard negatives (sentence-transformers' mine_hard_negatives), never from the query's own group.")
public final class MineNegativesCommand implements Callable<Integer> {

    @Mixin
    MiningCommandOptions mining;

    @Option(names = "--method", defaultValue = "bm25", description = "bm25 or dense (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--model", description = "Model directory or builtin:NAME, for --method dense")
    String model;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        MiningOptions options = mining.options(spec);
        List<HardNegativeMiner.Pair> pairs = mining.pairs(spec);
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
                Embedder embedder = Embedder.load(ModelCache.resolve(model), new Embedder.Options(mining.batchSize(), null, null));
                yield new DenseScorer(embedder, corpus, 1024);
            }
            default -> throw new ParameterException(spec.commandLine(), "--method must be bm25 or dense, got " + method);
        };
        mining.write(mining.mine(pairs, corpus, scorer, options, spec), options, start, spec);
        return 0;
    }
}

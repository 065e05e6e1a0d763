package dev.embedtune.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.embedtune.cli.MiningCommandOptions;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.train.eval.EvaluationResult;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.MatryoshkaEvaluation;
import dev.embedtune.train.eval.RetrievalTask;
import dev.embedtune.train.eval.SimilarityFunction;
import dev.embedtune.train.mining.DenseScorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import dev.embedtune.train.data.DatasetLoader;
import dev.embedtune.train.trainer.TinyModelDir;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Distributed mining and evaluation equal the single-process ones exactly (same rows, same metric
 * values, compared with equals): the corpus (240 distinct passages) is cut into 1, 2 and 3 shards,
 * each embedded and ranked on its own, and merged on the driver.
 */
class DistributedRetrievalTest {

    @TempDir
    static Path dir;
    static Path model;
    static Path data;

    @BeforeAll
    static void setUp() throws Exception {
        model = TinyModelDir.write(dir.resolve("model"), 11);
        data = TestData.pairsFile(dir.resolve("pairs.jsonl"), 240);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void denseMiningEqualsTheLocalMiner(int partitions) throws Exception {
        MiningOptions options = new MiningOptions(1, 20, 0.99, null, -1.0, null, 3, MiningOptions.Sampling.RANDOM,
                MiningOptions.Format.N_TUPLE, 42);
        List<HardNegativeMiner.Pair> pairs = HardNegativeMiner.pairs(DatasetLoader.load(data, DatasetLoader.defaultMapping(data), "train"));
        List<String> corpus = HardNegativeMiner.corpusWithPositives(List.of(), pairs);
        Embedder embedder = Embedder.load(model, new Embedder.Options(16, null, null));
        HardNegativeMiner.Result expected = HardNegativeMiner.mine(pairs, corpus, new DenseScorer(embedder, corpus, 1024), options);

        Path out = dir.resolve("mined-" + partitions + ".jsonl");
        assertEquals(0, new CommandLine(new SparkMain()).execute("--master", SparkTestSession.MASTER, "mine-negatives",
                "--data", data.toString(), "--output", out.toString(), "--method", "dense", "--model", model.toString(),
                "--range-min", "1", "--range-max", "20", "--max-score", "0.99", "--absolute-margin", "-1",
                "--sampling", "random", "--format", "n-tuple",
                "--batch-size", "16", "--partitions", Integer.toString(partitions)));
        assertEquals(MiningCommandOptions.rowsJsonl(expected, options), Files.readString(out));
        assertEquals(true, expected.rows().size() > 50, "the test mines something: " + expected.rows().size());
    }

    @Test
    void evaluationEqualsTheLocalEvaluator() throws Exception {
        RetrievalTask task = RetrievalTask.fromJsonl(data, "test");
        InformationRetrievalEvaluator.Options options = InformationRetrievalEvaluator.Options.defaults().withBatchSize(16)
                .withFunctions(List.of(SimilarityFunction.COSINE, SimilarityFunction.DOT), SimilarityFunction.COSINE)
                .withBlocks(7, 50, InformationRetrievalEvaluator.ScoreKernelChoice.ND4J);
        Embedder embedder = Embedder.load(model);
        ModelSpec spec = new ModelSpec(model.toString(), "none", 32, null, null);
        var sc = SparkTestSession.context();

        EvaluationResult local = InformationRetrievalEvaluator.of(task, options).evaluate(embedder);
        for (int partitions : new int[] {1, 3}) {
            EvaluationResult spark = new SparkRetrievalEvaluation(task, options, List.of()).evaluate(sc, spec, partitions);
            assertEquals(local.metrics(), spark.metrics(), partitions + " shards");
        }
        List<Integer> dims = List.of(32, 16, 8);
        EvaluationResult localDims = new MatryoshkaEvaluation(dims,
                name -> InformationRetrievalEvaluator.of(task, options.withName(name))).evaluate(embedder);
        EvaluationResult sparkDims = new SparkRetrievalEvaluation(task, options, dims).evaluate(sc, spec, 2);
        assertEquals(localDims.metrics(), sparkDims.metrics());
        assertEquals(localDims.primaryMetric(), sparkDims.primaryMetric());
    }
}

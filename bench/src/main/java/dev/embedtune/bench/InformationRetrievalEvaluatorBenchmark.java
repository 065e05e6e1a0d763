package dev.embedtune.bench;

import dev.embedtune.model.TextEncoder;
import dev.embedtune.train.eval.InformationRetrievalEvaluator;
import dev.embedtune.train.eval.SimilarityFunction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link InformationRetrievalEvaluator#evaluate} with default options (cosine, ND4J score blocks,
 * sentence-transformers' cut-offs) on {@code corpusSize} passages (100,000 by default) and
 * {@code queries} queries (1,000) of random normalised 384-d embeddings. The encoder is a stub that
 * returns precomputed vectors, so what is timed is the evaluator itself: distinct-text bookkeeping,
 * normalisation, the blocked scoring GEMMs, the top-k heaps and the metrics. One op = one full
 * evaluation (all queries against the whole corpus).
 *
 * <p>The data have a known answer, checked in setup: query i is its planted passage plus Gaussian
 * noise of equal norm (cosine about 0.71, against at most about 0.25 for the 100,000 random others),
 * and it has a second relevant id that is absent from the corpus, so every query has exactly one
 * retrievable relevant passage at rank 1 of 2 relevant: accuracy@1 = MRR@10 = 1, recall@10 = 0.5,
 * NDCG@10 = 1 / (1 + 1/log₂3) = 0.6131.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class InformationRetrievalEvaluatorBenchmark {
    static final int DIM = 384;

    @Param({"100000"})
    public int corpusSize;

    @Param({"1000"})
    public int queries;

    private InformationRetrievalEvaluator evaluator;
    private TextEncoder encoder;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(42);
        float[][] corpus = new float[corpusSize][];   // [N, D], unit rows
        for (int i = 0; i < corpusSize; i++) {
            corpus[i] = unit(random, null);
        }
        float[][] queryVectors = new float[queries][];   // [Q, D]
        Map<String, String> queryTexts = new LinkedHashMap<>();
        Map<String, String> corpusTexts = new LinkedHashMap<>();
        Map<String, Set<String>> relevant = new LinkedHashMap<>();
        for (int i = 0; i < corpusSize; i++) {
            corpusTexts.put("d" + i, "d" + i);
        }
        for (int q = 0; q < queries; q++) {
            int planted = random.nextInt(corpusSize);
            queryVectors[q] = unit(random, corpus[planted]);
            queryTexts.put("q" + q, "q" + q);
            relevant.put("q" + q, Set.of("d" + planted, "absent" + q));
        }
        // The stub: "q<i>" and "d<i>" name their precomputed rows.
        encoder = texts -> {
            float[][] out = new float[texts.size()][];
            for (int i = 0; i < out.length; i++) {
                String t = texts.get(i);
                int index = Integer.parseInt(t, 1, t.length(), 10);
                out[i] = t.charAt(0) == 'q' ? queryVectors[index] : corpus[index];
            }
            return out;
        };
        evaluator = new InformationRetrievalEvaluator(queryTexts, corpusTexts, relevant,
                InformationRetrievalEvaluator.Options.defaults());
        check(evaluator.evaluate(encoder));
    }

    /** A random unit vector, or {@code base} plus noise of equal norm, normalised. */
    private static float[] unit(Random random, float[] base) {
        float[] v = new float[DIM];
        double sum = 0;
        for (int d = 0; d < DIM; d++) {
            double x = random.nextGaussian() / Math.sqrt(DIM) + (base == null ? 0 : base[d]);
            v[d] = (float) x;
            sum += x * x;
        }
        float inv = (float) (1 / Math.sqrt(sum));
        for (int d = 0; d < DIM; d++) {
            v[d] *= inv;
        }
        return v;
    }

    private static void check(InformationRetrievalEvaluator.Result r) {
        Map<String, Double> m = r.metrics();
        double ndcg = 1 / (1 + 1 / (Math.log(3) / Math.log(2)));
        Map<String, Double> expected = Map.of(SimilarityFunction.COSINE.key() + "_accuracy@1", 1.0,
                SimilarityFunction.COSINE.key() + "_mrr@10", 1.0, SimilarityFunction.COSINE.key() + "_recall@10", 0.5,
                SimilarityFunction.COSINE.key() + "_ndcg@10", ndcg);
        for (Map.Entry<String, Double> e : expected.entrySet()) {
            Double actual = m.get(e.getKey());
            if (actual == null || Math.abs(actual - e.getValue()) > 1e-9) {
                throw new IllegalStateException("IR evaluator: " + e.getKey() + " is " + actual + ", expected "
                        + e.getValue() + " on the planted data; not timing a wrong evaluator (metrics: " + m + ")");
            }
        }
    }

    @Benchmark
    public InformationRetrievalEvaluator.Result evaluate() {
        return evaluator.evaluate(encoder);
    }
}

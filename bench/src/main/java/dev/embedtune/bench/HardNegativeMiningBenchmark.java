package dev.embedtune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.TextEncoder;
import dev.embedtune.train.mining.Bm25Scorer;
import dev.embedtune.train.mining.DenseScorer;
import dev.embedtune.train.mining.HardNegativeMiner;
import dev.embedtune.train.mining.MiningOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * Hard-negative mining ({@link HardNegativeMiner} with sentence-transformers' defaults: 3 negatives
 * per query, top-ranked, triplets), as {@code mine-negatives} runs it. One op = one whole mining run,
 * scorer construction included (the BM25 index, or embedding and normalising the corpus).
 * <ul>
 *   <li>{@code bm25Jargon}: BM25 ({@link Bm25Scorer}, Lucene) over the shipped Jargon File pairs
 *       (the first {@code bm25Pairs}, 0 = all 2,164), negatives never from the query's own group.</li>
 *   <li>{@code denseSynthetic}: {@link DenseScorer} with a stub encoder returning precomputed random
 *       384-d vectors: {@code denseQueries} queries (10,000), each a noisy copy of its positive,
 *       over {@code denseCorpus} passages (20,000). Timed: blocked scoring, the heaps, the filters.</li>
 * </ul>
 * Setup checks both against references before timing: the dense negatives of the first queries
 * equal a brute-force cosine ranking (in double), and every BM25 negative is outside the query's
 * group with BM25 scores (Lucene's explain) in non-increasing order.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class HardNegativeMiningBenchmark {
    static final int DIM = 384, QUERY_BLOCK = 256, CHECKED = 20;

    /** The BM25 workload: the first {@code bm25Pairs} Jargon File pairs (0 = all). */
    @State(Scope.Benchmark)
    public static class Bm25 {
        @Param({"0"})
        public int bm25Pairs;
        List<HardNegativeMiner.Pair> jargonPairs;
        List<String> jargonCorpus;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            jargonPairs = jargonPairs(bm25Pairs);
            jargonCorpus = HardNegativeMiner.corpusWithPositives(List.of(), jargonPairs);
            checkBm25(jargonPairs, jargonCorpus, mineBm25(this));
        }
    }

    /** The dense workload: synthetic vectors behind a stub encoder. */
    @State(Scope.Benchmark)
    public static class Dense {
        @Param({"10000"})
        public int denseQueries;
        @Param({"20000"})
        public int denseCorpus;
        List<HardNegativeMiner.Pair> densePairs;
        List<String> denseCorpusTexts;
        TextEncoder stub;

        @Setup(Level.Trial)
        public void setUp() {
            if (denseCorpus < denseQueries) {
                throw new IllegalArgumentException("denseCorpus (" + denseCorpus + ") must be at least denseQueries ("
                        + denseQueries + "): passage i is query i's positive");
            }
            Random random = new Random(42);
            float[][] passages = new float[denseCorpus][];   // [N, D]
            float[][] queries = new float[denseQueries][];   // [Q, D]
            for (int i = 0; i < denseCorpus; i++) {
                passages[i] = gaussian(random, null);
            }
            densePairs = new ArrayList<>();
            denseCorpusTexts = new ArrayList<>();
            for (int i = 0; i < denseCorpus; i++) {
                denseCorpusTexts.add("p" + i);
            }
            for (int q = 0; q < denseQueries; q++) {
                queries[q] = gaussian(random, passages[q]);
                densePairs.add(new HardNegativeMiner.Pair("q" + q, "p" + q, null));
            }
            stub = texts -> {
                float[][] out = new float[texts.size()][];
                for (int i = 0; i < out.length; i++) {
                    String t = texts.get(i);
                    int index = Integer.parseInt(t, 1, t.length(), 10);
                    out[i] = t.charAt(0) == 'q' ? queries[index] : passages[index];
                }
                return out;
            };
            checkDense(mineDense(this), queries, passages);
        }
    }

    static List<HardNegativeMiner.Pair> jargonPairs(int limit) throws IOException {
        List<HardNegativeMiner.Pair> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (InputStream in = HardNegativeMiningBenchmark.class.getClassLoader()
                .getResourceAsStream("dev/embedtune/datasets/jargon.jsonl")) {
            if (in == null) {
                throw new IOException("classpath resource dev/embedtune/datasets/jargon.jsonl not found (train's resources)");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null && (limit <= 0 || out.size() < limit); ) {
                if (!line.isBlank()) {
                    JsonNode n = json.readTree(line);
                    out.add(new HardNegativeMiner.Pair(n.get("query").asText(), n.get("passage").asText(),
                            n.path("group").asText(null)));
                }
            }
        }
        return out;
    }

    /** Noise of norm about 1 (plus {@code base} when given). */
    private static float[] gaussian(Random random, float[] base) {
        float[] v = new float[DIM];
        for (int d = 0; d < DIM; d++) {
            v[d] = (float) (random.nextGaussian() / Math.sqrt(DIM)) + (base == null ? 0 : base[d]);
        }
        return v;
    }

    private static void checkBm25(List<HardNegativeMiner.Pair> jargonPairs, List<String> jargonCorpus,
            HardNegativeMiner.Result result) {
        Bm25Scorer scorer = new Bm25Scorer(jargonCorpus);
        Map<String, String> groupOfPassage = new HashMap<>();
        Map<String, String> groupOfQuery = new HashMap<>();
        jargonPairs.forEach(p -> {
            groupOfPassage.put(p.positive(), p.group());
            groupOfQuery.put(p.query(), p.group());
        });
        if (result.rows().isEmpty()) {
            throw new IllegalStateException("BM25 mining of " + jargonPairs.size() + " Jargon pairs found no negative");
        }
        String lastQuery = null, lastPositive = null;
        double last = Double.POSITIVE_INFINITY;
        for (List<String> row : result.rows().subList(0, Math.min(result.rows().size(), 3 * CHECKED))) {
            String query = row.get(0), negative = row.get(2);
            if (groupOfQuery.get(query) != null && groupOfQuery.get(query).equals(groupOfPassage.get(negative))) {
                throw new IllegalStateException("BM25 mining took a passage of query '" + query + "''s own group");
            }
            if (!query.equals(lastQuery) || !row.get(1).equals(lastPositive)) {
                last = Double.POSITIVE_INFINITY;
            }
            double s = scorer.score(query, jargonCorpus.indexOf(negative));
            if (s > last + 1e-6) {
                throw new IllegalStateException("BM25 negatives of '" + query + "' are not in score order: " + s
                        + " after " + last);
            }
            last = s;
            lastQuery = query;
            lastPositive = row.get(1);
        }
    }

    private static void checkDense(HardNegativeMiner.Result result, float[][] queries, float[][] passages) {
        for (int q = 0; q < Math.min(CHECKED, queries.length); q++) {
            // Brute force: cosine in double against every passage except the positive, best 3.
            double[] best = {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY};
            int[] bestIndex = {-1, -1, -1};
            for (int p = 0; p < passages.length; p++) {
                if (p == q) {
                    continue;
                }
                double c = cosine(queries[q], passages[p]);
                for (int r = 0; r < 3; r++) {
                    if (c > best[r]) {
                        System.arraycopy(best, r, best, r + 1, 2 - r);
                        System.arraycopy(bestIndex, r, bestIndex, r + 1, 2 - r);
                        best[r] = c;
                        bestIndex[r] = p;
                        break;
                    }
                }
            }
            for (int r = 0; r < 3; r++) {
                String mined = result.rows().get(3 * q + r).get(2);
                if (!mined.equals("p" + bestIndex[r])) {
                    throw new IllegalStateException("dense mining: negative " + r + " of q" + q + " is " + mined
                            + ", brute force says p" + bestIndex[r] + " (cosine " + best[r] + ")");
                }
            }
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static HardNegativeMiner.Result mineBm25(Bm25 w) {
        return HardNegativeMiner.mine(w.jargonPairs, w.jargonCorpus, new Bm25Scorer(w.jargonCorpus), MiningOptions.DEFAULT);
    }

    static HardNegativeMiner.Result mineDense(Dense w) {
        return HardNegativeMiner.mine(w.densePairs, w.denseCorpusTexts,
                new DenseScorer(w.stub, w.denseCorpusTexts, QUERY_BLOCK), MiningOptions.DEFAULT);
    }

    @Benchmark
    public HardNegativeMiner.Result bm25Jargon(Bm25 w) {
        return mineBm25(w);
    }

    @Benchmark
    public HardNegativeMiner.Result denseSynthetic(Dense w) {
        return mineDense(w);
    }
}

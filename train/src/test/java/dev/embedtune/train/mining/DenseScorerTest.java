package dev.embedtune.train.mining;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.embedtune.model.TextEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Blocked top-k equals a brute-force cosine ranking over the full score matrix. */
class DenseScorerTest {

    /** Each text "t<i>" maps to a fixed random 8-d vector (ties forced for some pairs). */
    private static float[] vector(String text) {
        int id = Integer.parseInt(text.substring(1));
        Random r = new Random(id % 37);   // ids equal mod 37 share a vector: exact score ties
        float[] v = new float[8];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static final TextEncoder ENCODER = texts -> texts.stream().map(DenseScorerTest::vector).toArray(float[][]::new);

    /** The corpus is embedded in bounded calls, never in one: an encoder may run a call as one batch. */
    @Test
    void theCorpusIsEmbeddedInBoundedCalls() {
        List<Integer> calls = new ArrayList<>();
        TextEncoder counting = texts -> {
            calls.add(texts.size());
            return ENCODER.encode(texts);
        };
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            corpus.add("t" + i);
        }
        new DenseScorer(counting, corpus, 16).topK(List.of("t500", "t501"), 3);
        assertEquals(List.of(64, 64, 22, 2), calls, "corpus calls of at most 64 texts, then the query block");
    }

    @Test
    void blockedTopKEqualsBruteForce() {
        List<String> corpus = new ArrayList<>(), queries = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            corpus.add("t" + i);
        }
        for (int i = 500; i < 530; i++) {
            queries.add("t" + i);
        }
        for (int block : new int[] {1, 7, 64}) {
            List<Scorer.Ranked[]> got = new DenseScorer(ENCODER, corpus, block).topK(queries, 10);
            for (int q = 0; q < queries.size(); q++) {
                double[] qv = unit(vector(queries.get(q)));
                Integer[] order = new Integer[corpus.size()];
                double[] s = new double[corpus.size()];
                for (int c = 0; c < corpus.size(); c++) {
                    order[c] = c;
                    double[] cv = unit(vector(corpus.get(c)));
                    for (int j = 0; j < 8; j++) {
                        s[c] += qv[j] * cv[j];
                    }
                }
                Arrays.sort(order, Comparator.comparingDouble((Integer c) -> -s[c]).thenComparingInt(c -> c));
                for (int k = 0; k < 10; k++) {
                    assertEquals(s[order[k]], got.get(q)[k].score(), 1e-5, "block " + block + " query " + q + " rank " + k);
                    // the same passage unless its score ties with a neighbour's within float precision
                    if (k == 0 || Math.abs(s[order[k]] - s[order[k - 1]]) > 1e-5) {
                        if (k + 1 >= 10 || Math.abs(s[order[k]] - s[order[k + 1]]) > 1e-5) {
                            assertEquals(order[k], got.get(q)[k].index(), "block " + block + " query " + q + " rank " + k);
                        }
                    }
                }
            }
        }
    }

    private static double[] unit(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        double[] u = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] / Math.sqrt(n);
        }
        return u;
    }
}

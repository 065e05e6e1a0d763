package dev.embedtune.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The metric definitions on rankings given directly; tolerance 1e-12 (exact rationals and logs). */
class RetrievalMetricsTest {

    private static final double TOL = 1e-12;

    @Test
    void cutoffsShallowerThanTheRelevantSetUseMinOfKAndR() {
        // Ranking [r, n, r, r]; |R| = 3; k = 2 for NDCG and MAP.
        // NDCG@2 = (1/log2 2) / (1/log2 2 + 1/log2 3): the ideal counts min(2, 3) = 2 positions.
        // MAP@2 = (precision@1 = 1) / min(2, 3) = 0.5.  Precision@2 = 1/2, recall@2 = 1/3.
        RetrievalCutoffs k2 = new RetrievalCutoffs(List.of(2), List.of(2), List.of(2), List.of(2), List.of(2));
        RetrievalMetrics m = RetrievalMetrics.compute(List.of(new int[] {0, 1, 2, 3}), List.of(Set.of(0, 2, 3)),
                new int[] {3}, k2);
        assertEquals(1 / (1 + Math.log(2) / Math.log(3)), m.ndcgAtK().get(2), TOL);
        assertEquals(0.5, m.mapAtK().get(2), TOL);
        assertEquals(0.5, m.precisionAtK().get(2), TOL);
        assertEquals(1.0 / 3, m.recallAtK().get(2), TOL);
        assertEquals(1.0, m.mrrAtK().get(2), TOL);
    }

    @Test
    void precisionDividesByKEvenWhenFewerHitsExist() {
        // Corpus of 2: ranking [n, r]; precision@10 = 1/10 (sentence-transformers divides by k), MRR@10 = 1/2,
        // MAP@10 = (1/2) / min(10, 1).
        RetrievalMetrics m = RetrievalMetrics.compute(List.of(new int[] {5, 7}), List.of(Set.of(7)), new int[] {1},
                RetrievalCutoffs.DEFAULT);
        assertEquals(0.1, m.precisionAtK().get(10), TOL);
        assertEquals(0.0, m.accuracyAtK().get(1), TOL);
        assertEquals(1.0, m.accuracyAtK().get(3), TOL);
        assertEquals(0.5, m.mrrAtK().get(10), TOL);
        assertEquals(0.5, m.mapAtK().get(100), TOL);
        assertEquals(1 / (Math.log(3) / Math.log(2)), m.ndcgAtK().get(10), TOL);
    }

    @Test
    void noRelevantHitMeansZeroEverywhere() {
        RetrievalMetrics m = RetrievalMetrics.compute(List.of(new int[] {0, 1, 2}), List.of(Set.of(9)),
                new int[] {1}, RetrievalCutoffs.DEFAULT);
        for (double v : m.asMap("cosine").values()) {
            assertEquals(0.0, v, 0.0);
        }
    }
}

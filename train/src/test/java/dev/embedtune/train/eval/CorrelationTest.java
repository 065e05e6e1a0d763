package dev.embedtune.train.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class CorrelationTest {

    @Test
    void averageRanksShareTies() {
        assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Correlation.averageRanks(new double[] {1, 2, 2, 3}), 0);
        assertArrayEquals(new double[] {2, 2, 2}, Correlation.averageRanks(new double[] {5, 5, 5}), 0);
    }

    @Test
    void spearmanWithTies() {
        // ranks x = 1, 2.5, 2.5, 4; ranks y = 1, 3, 2, 4; both means 2.5.
        // Σdxdy = 2.25 + 0 + 0 + 2.25 = 4.5; Σdx² = 4.5; Σdy² = 5 → ρ = 4.5/√22.5 = 0.9486832980505138
        // (scipy.stats.spearmanr([1,2,2,3],[1,3,2,4]) gives 0.9486832980505139). Tolerance 1e-12.
        assertEquals(4.5 / Math.sqrt(22.5), Correlation.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 3, 2, 4}),
                1e-12);
    }

    @Test
    void pearsonHandCase() {
        // x = 1,2,3; y = 1,3,2: dx = -1,0,1; dy = -1,1,0 → 1/√(2·2) = 0.5.
        assertEquals(0.5, Correlation.pearson(new double[] {1, 2, 3}, new double[] {1, 3, 2}), 1e-12);
    }

    @Test
    void embeddingSimilarityEvaluatorCorrelatesCosineWithGold() {
        // cosines against (1,0): 1, 0.6, 0 for "1 0", "3 4", "0 1"; gold 5, 1, 3.
        // Spearman: ranks cos 3,2,1 vs gold 3,1,2 → dx = 1,0,-1; dy = 1,-1,0 → 0.5.
        // Pearson: cos mean 8/15 → dx = 7/15, 1/15, -8/15; gold mean 3 → dy = 2, -2, 0;
        //   Σdxdy = 12/15; Σdx² = 114/225; Σdy² = 8 → r = 0.8 / √(114/225 · 8) = 0.39736 (scipy.stats.pearsonr:
        //   0.39735970711951313; spearmanr: 0.5).
        EmbeddingSimilarityEvaluator.Result r = new EmbeddingSimilarityEvaluator(List.of("1 0", "1 0", "1 0"),
                List.of("1 0", "3 4", "0 1"), List.of(5.0, 1.0, 3.0)).evaluate(new ToyEncoder());
        assertEquals(List.of("pearson_cosine", "spearman_cosine"), List.copyOf(r.metrics().keySet()));
        assertEquals("spearman_cosine", r.primaryMetric());
        assertEquals(0.5, r.primaryScore(), 1e-12);
        // cosine of float32 embeddings: 1e-6.
        assertEquals(0.8 / Math.sqrt(114.0 / 225 * 8), r.metrics().get("pearson_cosine"), 1e-6);
    }
}

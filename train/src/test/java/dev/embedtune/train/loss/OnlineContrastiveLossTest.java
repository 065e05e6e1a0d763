package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class OnlineContrastiveLossTest {

    /** Rows u=(1,0), v at angle t with cos t = 1 - d, so the cosine distance is exactly d. */
    private static EmbeddingBatch withDistances(double[] distances, double[] labels) {
        double[][] u = new double[distances.length][];
        double[][] w = new double[distances.length][];
        for (int i = 0; i < distances.length; i++) {
            double c = 1 - distances[i];
            u[i] = new double[] {1, 0};
            w[i] = new double[] {c, Math.sqrt(1 - c * c)};
        }
        return EmbeddingBatch.withLabels(v(labels), m(u), m(w));
    }

    /**
     * Positives at distances 0.1 and 0.6, negatives at 0.3 and 0.9, margin 0.5.
     * Hard negatives: d &lt; max(P) = 0.6 -> 0.3. Hard positives: d &gt; min(N) = 0.3 -> 0.6.
     * L = 0.6^2 + (0.5 - 0.3)^2 = 0.36 + 0.04 = 0.40 (a sum, no 0.5 factor).
     */
    @Test
    void handComputed() {
        EmbeddingBatch batch = withDistances(new double[] {0.1, 0.6, 0.3, 0.9}, new double[] {1, 1, 0, 0});
        LossValue value = new OnlineContrastiveLoss().compute(batch);
        assertEquals(0.40, value.loss(), 1e-12);
        // Unselected rows (the easy positive 0.1 and the easy negative 0.9) get no gradient.
        assertEquals(0.0, value.gradient(0).getRow(0).amaxNumber().doubleValue(), 0.0);
        assertEquals(0.0, value.gradient(1).getRow(3).amaxNumber().doubleValue(), 0.0);
    }

    /** The fallback thresholds of sentence-transformers: the mean of the same set when the other set has at most one element. */
    @Test
    void selectionRule() {
        // |P| = 1: negatives below mean(N) = 0.5 -> 0.2, 0.4; |N| = 3: positives above min(N) = 0.2 -> 0.5.
        assertArrayEquals(new double[] {1, -1, -1, 0},
                OnlineContrastiveLoss.select(new double[] {0.5, 0.2, 0.4, 0.9}, new double[] {1, 0, 0, 0}));
        // |N| = 1: positives above mean(P) = 0.5 -> 0.7; |P| = 3: negatives below max(P) = 0.7 -> 0.6.
        assertArrayEquals(new double[] {0, 0, 1, -1},
                OnlineContrastiveLoss.select(new double[] {0.3, 0.5, 0.7, 0.6}, new double[] {1, 1, 1, 0}));
        // No negatives: mean of nothing is NaN and selects nothing; a lone positive is never above its own mean.
        assertArrayEquals(new double[] {0}, OnlineContrastiveLoss.select(new double[] {0.4}, new double[] {1}));
        // Labels other than 0/1 are in neither set: P = {0.8, 0.3}, N = {0.1}; negatives below max(P) = 0.8 -> 0.1;
        // positives above mean(P) = 0.55 -> 0.8. Rows labelled 0.5 and 2 are skipped although their distances pass.
        assertArrayEquals(new double[] {0, 1, -1, 0, 0},
                OnlineContrastiveLoss.select(new double[] {0.9, 0.8, 0.1, 0.05, 0.3}, new double[] {0.5, 1, 0, 2, 1}));
        // Equal to the threshold is not selected (strict comparisons): |P| = 1, |N| = 1 -> both thresholds are the own value.
        assertArrayEquals(new double[] {0, 0}, OnlineContrastiveLoss.select(new double[] {0.8, 0.1}, new double[] {1, 0}));
    }

    @Test
    void finiteDifferences() {
        INDArray labels = v(1, 0, 1, 0, 0, 1, 1, 0);
        // The random batch must exercise the selection: some rows selected, some not, both kinds selected.
        INDArray[] cols = randomColumns(71, 2, 8, 3);
        double[] d = PairwiseDistance.forward(PairwiseDistance.Kind.COSINE, cols[0], cols[1], 0).distance().toDoubleVector();
        double[] selected = OnlineContrastiveLoss.select(d, labels.toDoubleVector());
        long positives = java.util.Arrays.stream(selected).filter(x -> x > 0).count();
        long negatives = java.util.Arrays.stream(selected).filter(x -> x < 0).count();
        assertTrue(positives > 0 && negatives > 0 && positives + negatives < 8,
                "selection " + java.util.Arrays.toString(selected) + " for distances " + java.util.Arrays.toString(d));
        assertGradientsMatchFiniteDifferences(new OnlineContrastiveLoss(SiameseDistanceMetric.COSINE_DISTANCE, 1.0),
                EmbeddingBatch.withLabels(labels, randomColumns(71, 2, 8, 3)));
        assertGradientsMatchFiniteDifferences(new OnlineContrastiveLoss(SiameseDistanceMetric.EUCLIDEAN, 2.5),
                EmbeddingBatch.withLabels(labels, randomColumns(72, 2, 8, 3)));
    }

    @Test
    void float32AgreesWithFloat64() {
        assertFloatMatchesDouble(new OnlineContrastiveLoss(SiameseDistanceMetric.COSINE_DISTANCE, 1.0),
                EmbeddingBatch.withLabels(v(1, 0, 1, 0, 0, 1, 1, 0), randomColumns(73, 2, 8, 16)));
    }
}

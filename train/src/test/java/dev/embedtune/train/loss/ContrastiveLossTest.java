package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class ContrastiveLossTest {

    /**
     * Cosine distance, margin 0.5. Pair 1 (label 1): u=(1,0), v=(0,1), d = 1: 0.5 * 1^2 = 0.5.
     * Pair 2 (label 0): u=(1,0), v=(1,1), d = 1 - 1/sqrt2: 0.5 * (0.5 - d)^2 = 0.5 * (1/sqrt2 - 0.5)^2.
     * Mean over 2 (size_average), or the sum.
     * Gradient of pair 1: dl/dd = y d / B = 1/2; d = 1 - cos, d cos/du = v - cos u = (0, 1), so
     * dL/du1 = -1/2 (0, 1) and dL/dv1 = -1/2 (1, 0).
     */
    @Test
    void handComputed() {
        INDArray u = m(new double[] {1, 0}, new double[] {1, 0});
        INDArray w = m(new double[] {0, 1}, new double[] {1, 1});
        EmbeddingBatch batch = EmbeddingBatch.withLabels(v(1, 0), u, w);
        double second = 0.5 * Math.pow(1 / Math.sqrt(2) - 0.5, 2);
        LossValue mean = new ContrastiveLoss().compute(batch);
        assertEquals((0.5 + second) / 2, mean.loss(), 1e-14);
        assertEquals(-0.5, mean.gradient(0).getDouble(0, 1), 1e-14);
        assertEquals(0.0, mean.gradient(0).getDouble(0, 0), 1e-14);
        assertEquals(-0.5, mean.gradient(1).getDouble(0, 0), 1e-14);
        LossValue sum = new ContrastiveLoss(SiameseDistanceMetric.COSINE_DISTANCE, 0.5, false).compute(batch);
        assertEquals(0.5 + second, sum.loss(), 1e-14);
    }

    /**
     * Euclidean with PyTorch's pairwise_distance offset: d = |x - y + 1e-6|. Pair (label 1) u=(3,0), v=(0,4):
     * d = |(3 + 1e-6, -4 + 1e-6)|; l = 0.5 d^2. Negative pair far beyond the margin contributes 0.
     */
    @Test
    void handComputedEuclidean() {
        INDArray u = m(new double[] {3, 0}, new double[] {0, 0});
        INDArray w = m(new double[] {0, 4}, new double[] {10, 0});
        double d2 = Math.pow(3 + 1e-6, 2) + Math.pow(-4 + 1e-6, 2);
        LossValue value = new ContrastiveLoss(SiameseDistanceMetric.EUCLIDEAN, 0.5, true).compute(EmbeddingBatch.withLabels(v(1, 0), u, w));
        assertEquals(0.5 * d2 / 2, value.loss(), 1e-13);
    }

    @Test
    void finiteDifferences() {
        INDArray labels = v(1, 0, 1, 0, 0, 1);
        for (SiameseDistanceMetric metric : SiameseDistanceMetric.values()) {
            double margin = metric == SiameseDistanceMetric.COSINE_DISTANCE ? 1.0 : 3.0;   // some negatives inside the margin
            assertGradientsMatchFiniteDifferences(new ContrastiveLoss(metric, margin, true), EmbeddingBatch.withLabels(labels, randomColumns(61, 2, 6, 4)));
        }
        assertGradientsMatchFiniteDifferences(new ContrastiveLoss(), EmbeddingBatch.withLabels(labels, randomColumns(62, 2, 6, 3)));
    }

    @Test
    void float32AgreesWithFloat64() {
        assertFloatMatchesDouble(new ContrastiveLoss(SiameseDistanceMetric.COSINE_DISTANCE, 1.0, true),
                EmbeddingBatch.withLabels(v(1, 0, 1, 0, 0, 1, 1, 0), randomColumns(63, 2, 8, 16)));
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ContrastiveLoss(SiameseDistanceMetric.COSINE_DISTANCE, Double.NaN, true));
        assertTrue(e.getMessage().contains("ContrastiveLoss: margin"), e.getMessage());
        INDArray[] c = randomColumns(64, 2, 2, 2);
        e = assertThrows(IllegalArgumentException.class, () -> new ContrastiveLoss().compute(EmbeddingBatch.of(c)));
        assertTrue(e.getMessage().contains("0/1 label"), e.getMessage());
    }
}

package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class TripletLossTest {

    /**
     * Euclidean, margin 5. Row 1: a=(0,0), p=(3,0), n=(0,4): max(3 - 4 + 5, 0) = 4.
     * Row 2: a=(0,0), p=(1,0), n=(0,10): max(1 - 10 + 5, 0) = 0. L = (4 + 0)/2 = 2.
     * Row 1 gradients (1/B = 1/2): dL/da = 1/2 ((a-p)/3 - (a-n)/4) = (-1/2, 1/2),
     * dL/dp = 1/2 (p-a)/3 = (1/2, 0), dL/dn = -1/2 (n-a)/4 = (0, -1/2). Row 2 is inactive: zeros.
     */
    @Test
    void handComputedEuclidean() {
        INDArray a = m(new double[] {0, 0}, new double[] {0, 0});
        INDArray p = m(new double[] {3, 0}, new double[] {1, 0});
        INDArray n = m(new double[] {0, 4}, new double[] {0, 10});
        LossValue value = new TripletLoss().compute(EmbeddingBatch.of(a, p, n));
        assertEquals(2.0, value.loss(), 1e-14);
        assertArrayClose(m(new double[] {-0.5, 0.5}, new double[] {0, 0}), value.gradient(0), 1e-14, "dL/da");
        assertArrayClose(m(new double[] {0.5, 0}, new double[] {0, 0}), value.gradient(1), 1e-14, "dL/dp");
        assertArrayClose(m(new double[] {0, -0.5}, new double[] {0, 0}), value.gradient(2), 1e-14, "dL/dn");
    }

    /**
     * Cosine, margin 0.5: a=(1,0), p=(0,1) (distance 1), n=(1,0) (distance 0): max(1 - 0 + 0.5, 0) = 1.5.
     * Manhattan, margin 1: a=(0,0), p=(1,2) (3), n=(2,0) (2): max(3 - 2 + 1, 0) = 2.
     */
    @Test
    void handComputedCosineAndManhattan() {
        INDArray a = m(new double[] {1, 0});
        LossValue cos = new TripletLoss(TripletDistanceMetric.COSINE, 0.5).compute(EmbeddingBatch.of(a, m(new double[] {0, 1}), m(new double[] {1, 0})));
        assertEquals(1.5, cos.loss(), 1e-14);
        LossValue l1 = new TripletLoss(TripletDistanceMetric.MANHATTAN, 1).compute(
                EmbeddingBatch.of(m(new double[] {0, 0}), m(new double[] {1, 2}), m(new double[] {2, 0})));
        assertEquals(2.0, l1.loss(), 1e-14);
    }

    /** Rows of the positive's gradient that are non-zero: the active triplets. */
    private static int activeRows(EmbeddingLoss loss, EmbeddingBatch batch) {
        INDArray g = loss.compute(batch).gradient(1);
        int active = 0;
        for (int i = 0; i < g.rows(); i++) {
            active += g.getRow(i).amaxNumber().doubleValue() > 0 ? 1 : 0;
        }
        return active;
    }

    /** Random batches with margins chosen so that some triplets are active and some not. */
    @Test
    void finiteDifferences() {
        int active = activeRows(new TripletLoss(TripletDistanceMetric.EUCLIDEAN, 0.5), EmbeddingBatch.of(randomColumns(52, 3, 6, 4)));
        assertTrue(active > 0 && active < 6, "the margin-0.5 batch should mix active and inactive triplets, active: " + active);
        active = activeRows(new TripletLoss(TripletDistanceMetric.COSINE, 0.3), EmbeddingBatch.of(randomColumns(53, 3, 6, 4)));
        assertTrue(active > 0 && active < 6, "the cosine batch should mix active and inactive triplets, active: " + active);
        assertGradientsMatchFiniteDifferences(new TripletLoss(), EmbeddingBatch.of(randomColumns(51, 3, 6, 4)));
        assertGradientsMatchFiniteDifferences(new TripletLoss(TripletDistanceMetric.EUCLIDEAN, 0.5), EmbeddingBatch.of(randomColumns(52, 3, 6, 4)));
        assertGradientsMatchFiniteDifferences(new TripletLoss(TripletDistanceMetric.COSINE, 0.3), EmbeddingBatch.of(randomColumns(53, 3, 6, 4)));
        assertGradientsMatchFiniteDifferences(new TripletLoss(TripletDistanceMetric.MANHATTAN, 1.0), EmbeddingBatch.of(randomColumns(54, 3, 6, 4)));
    }

    @Test
    void float32AgreesWithFloat64() {
        for (TripletDistanceMetric metric : TripletDistanceMetric.values()) {
            assertFloatMatchesDouble(new TripletLoss(metric, 1.0), EmbeddingBatch.of(randomColumns(55, 3, 8, 16)));
        }
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TripletLoss(TripletDistanceMetric.EUCLIDEAN, -1));
        assertTrue(e.getMessage().contains("margin must be a finite value >= 0, got -1.0"), e.getMessage());
        INDArray[] c = randomColumns(56, 2, 2, 2);
        e = assertThrows(IllegalArgumentException.class, () -> new TripletLoss().compute(EmbeddingBatch.of(c)));
        assertTrue(e.getMessage().contains("3 columns (anchor, positive, negative)"), e.getMessage());
    }
}

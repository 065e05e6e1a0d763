package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class MultipleNegativesRankingLossTest {

    private static final double E = Math.E;

    /**
     * Orthonormal pairs, scale 1: anchors a1=(1,0), a2=(0,1), positives p = a. The cosine matrix is the
     * identity, so each row is softmax over [1, 0] with target the 1:
     * L = log(e + 1) - 1 = log(1 + 1/e).
     * Gradients: cos(a1, p1) = 1 has zero gradient in a1 (d cos/du = v - cos u = 0); cos(a1, p2) has
     * gradient p2 - 0 * a1 = (0, 1) with weight softmax = 1/(e+1), times 1/B:
     * dL/da1 = (0, 1/(2(e+1))). p1 enters row 2 as a negative the same way: dL/dp1 = (0, 1/(2(e+1)));
     * by symmetry dL/da2 = dL/dp2 = (1/(2(e+1)), 0).
     */
    @Test
    void handComputedPairs() {
        INDArray a = m(new double[] {1, 0}, new double[] {0, 1});
        INDArray p = m(new double[] {1, 0}, new double[] {0, 1});
        LossValue value = new MultipleNegativesRankingLoss(1.0).compute(EmbeddingBatch.of(a, p));
        assertEquals(Math.log(1 + 1 / E), value.loss(), 1e-14);
        double g = 1 / (2 * (E + 1));
        INDArray expected = m(new double[] {0, g}, new double[] {g, 0});
        assertArrayClose(expected, value.gradient(0), 1e-14, "dL/danchor");
        assertArrayClose(expected, value.gradient(1), 1e-14, "dL/dpositive");
    }

    /**
     * With a negative column n_i = -a_i: anchor 1's candidates are p1, p2, n1, n2 with cosines
     * 1, 0, -1, 0; scale 20: L = log(e^20 + 2 + e^-20) - 20 = log(1 + 2e^-20 + e^-40) per row.
     * Unnormalised inputs (times 3 and 0.5) give the same value: only cosines enter.
     */
    @Test
    void handComputedWithNegativeColumn() {
        INDArray a = m(new double[] {3, 0}, new double[] {0, 3});
        INDArray p = m(new double[] {0.5, 0}, new double[] {0, 0.5});
        INDArray n = m(new double[] {-1, 0}, new double[] {0, -1});
        LossValue value = new MultipleNegativesRankingLoss().compute(EmbeddingBatch.of(a, p, n));
        double expected = Math.log1p(2 * Math.exp(-20) + Math.exp(-40));
        // Absolute 1e-14: the loss is logZ - s_ii with logZ near 20, so double round-off (ulp(20) = 3.6e-15)
        // is absolute, not relative to the tiny value 4.1e-9.
        assertEquals(expected, value.loss(), 1e-14);
        assertEquals(3, value.gradients().size());
    }

    @Test
    void finiteDifferencesPairsAndNegatives() {
        assertGradientsMatchFiniteDifferences(new MultipleNegativesRankingLoss(), EmbeddingBatch.of(randomColumns(1, 2, 4, 5)));
        // scale 2 keeps the softmax away from saturation, so every entry's gradient is sizeable.
        assertGradientsMatchFiniteDifferences(new MultipleNegativesRankingLoss(2.0), EmbeddingBatch.of(randomColumns(2, 4, 3, 4)));
    }

    @Test
    void float32AgreesWithFloat64() {
        assertFloatMatchesDouble(new MultipleNegativesRankingLoss(), EmbeddingBatch.of(randomColumns(3, 3, 8, 16)));
    }

    /** Extreme scores must not overflow: exp is taken after subtracting the row maximum. */
    @Test
    void largeScaleIsStable() {
        LossValue value = new MultipleNegativesRankingLoss(1e4).compute(EmbeddingBatch.of(randomColumns(4, 2, 4, 3)));
        assertTrue(Double.isFinite(value.loss()), "loss " + value.loss());
        for (INDArray g : value.gradients()) {
            assertTrue(Double.isFinite(g.sumNumber().doubleValue()), "gradient " + g);
        }
    }

    /**
     * An all-zero row (e.g. an empty text) has cosine 0 with everything because the norm is clamped
     * to 1e-12 (as F.normalize does): anchor row 2 scores [0, 0] -> log 2; row 1 (a1=(1,0), p1=(1,0),
     * p2=0) scores [20, 0] -> log(1 + e^-20). No NaN anywhere.
     */
    @Test
    void zeroRowsStayFinite() {
        INDArray a = m(new double[] {1, 0}, new double[] {0, 0});
        INDArray p = m(new double[] {1, 0}, new double[] {0, 0});
        LossValue value = new MultipleNegativesRankingLoss().compute(EmbeddingBatch.of(a, p));
        assertEquals((Math.log1p(Math.exp(-20)) + Math.log(2)) / 2, value.loss(), 1e-14);
        for (INDArray g : value.gradients()) {
            assertTrue(Double.isFinite(g.sumNumber().doubleValue()) && Double.isFinite(g.amaxNumber().doubleValue()), "gradient " + g);
        }
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MultipleNegativesRankingLoss(0));
        assertTrue(e.getMessage().contains("scale") && e.getMessage().contains("> 0"), e.getMessage());
        INDArray[] one = randomColumns(5, 1, 2, 3);
        e = assertThrows(IllegalArgumentException.class, () -> new MultipleNegativesRankingLoss().compute(EmbeddingBatch.of(one)));
        assertTrue(e.getMessage().contains("at least 2 columns") && e.getMessage().contains("found 1"), e.getMessage());
    }
}

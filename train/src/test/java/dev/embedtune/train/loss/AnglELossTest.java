package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class AnglELossTest {

    private static final double E = Math.E;

    /**
     * D = 2, so each vector is one complex number x = a + ib, y = c + id and
     * sim = |ac + bd + bc - ad| / (|x| |y|).
     * Pair 1: x=(1,0), y=(2,0): (2 + 0 + 0 - 0)/2 = 1. Pair 2: x=(1,0), y=(1,1): (1 + 0 + 0 - 1)/sqrt2 = 0
     * (its cosine is 1/sqrt2, so CoSENT would differ). Scores 0.9, 0.2: L = log(1 + exp(scale * (0 - 1))).
     */
    @Test
    void handComputed() {
        INDArray x = m(new double[] {1, 0}, new double[] {1, 0});
        INDArray y = m(new double[] {2, 0}, new double[] {1, 1});
        EmbeddingBatch batch = EmbeddingBatch.withLabels(v(0.9, 0.2), x, y);
        assertEquals(Math.log(1 + 1 / E), new AnglELoss(1.0).compute(batch).loss(), 1e-14);
        assertEquals(Math.log1p(Math.exp(-20)), new AnglELoss().compute(batch).loss(), 1e-15);
        double cosent = Math.log(1 + Math.exp(1 / Math.sqrt(2) - 1));
        assertEquals(cosent, new CoSENTLoss(1.0).compute(batch).loss(), 1e-14, "CoSENT on the same batch uses the cosine");
    }

    /**
     * D = 4: x = (a1, a2, b1, b2). x = (1,0,0,0), y = (0,0,0,1): ac = bd = bc = 0, -ad = -a1*d1 - a2*d2 = 0
     * -> sim 0. y' = (0,0,1,0): -a1*d1 = -1 -> sim |-1| = 1. Scores (0.2 for sim 1, 0.9 for sim 0):
     * the pair with the lower score has the higher similarity: L = log(1 + exp(1 * (1 - 0))) = log(1 + e).
     */
    @Test
    void handComputedFourDimensions() {
        INDArray x = m(new double[] {1, 0, 0, 0}, new double[] {1, 0, 0, 0});
        INDArray y = m(new double[] {0, 0, 0, 1}, new double[] {0, 0, 1, 0});
        LossValue value = new AnglELoss(1.0).compute(EmbeddingBatch.withLabels(v(0.9, 0.2), x, y));
        assertEquals(Math.log(1 + E), value.loss(), 1e-14);
    }

    @Test
    void finiteDifferencesEvenAndOddDimensions() {
        assertGradientsMatchFiniteDifferences(new AnglELoss(), EmbeddingBatch.withLabels(randomUniform(41, 5), randomColumns(41, 2, 5, 4)));
        assertGradientsMatchFiniteDifferences(new AnglELoss(2.0), EmbeddingBatch.withLabels(randomUniform(42, 4), randomColumns(42, 2, 4, 5)));
    }

    /** n-tuples: the pairs (anchor, positive) scored 1 and (anchor, negative_k) scored 0, one CoSENT objective. */
    @Test
    void tripletsEqualTheExpandedPairs() {
        INDArray[] c = randomColumns(43, 3, 4, 6);
        LossValue triplets = new AnglELoss().compute(EmbeddingBatch.of(c));
        INDArray left = org.nd4j.linalg.factory.Nd4j.concat(0, c[0], c[0]);
        INDArray right = org.nd4j.linalg.factory.Nd4j.concat(0, c[1], c[2]);
        LossValue pairs = new AnglELoss().compute(EmbeddingBatch.withLabels(v(1, 1, 1, 1, 0, 0, 0, 0), left, right));
        assertEquals(pairs.loss(), triplets.loss(), 1e-12);
        assertGradientsMatchFiniteDifferences(new AnglELoss(), EmbeddingBatch.of(randomColumns(44, 4, 3, 4)));
        assertGradientsMatchFiniteDifferences(new AnglELoss(), EmbeddingBatch.withLabels(randomUniform(45, 3), randomColumns(45, 3, 3, 3)));
    }

    @Test
    void float32AgreesWithFloat64() {
        assertFloatMatchesDouble(new AnglELoss(), EmbeddingBatch.withLabels(randomUniform(46, 8), randomColumns(46, 2, 8, 15)));
    }

    @Test
    void pairsNeedLabels() {
        INDArray[] c = randomColumns(47, 2, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AnglELoss().compute(EmbeddingBatch.of(c)));
        assertTrue(e.getMessage().contains("AnglELoss") && e.getMessage().contains("found no labels"), e.getMessage());
    }
}

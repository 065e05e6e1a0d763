package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class MultipleNegativesSymmetricRankingLossTest {

    private static final double E = Math.E;

    /**
     * Anchors a1=(1,0), a2=(0,1), positives p = a, negatives n = -a, scale 1.
     * Forward row i: candidates p1, p2, n1, n2 with cosines (1, 0, -1, 0) (row 2 the same up to order):
     * log(e + 2 + 1/e) - 1. Backward row j: positive p_j against anchors a1, a2, cosines (1, 0):
     * log(e + 1) - 1; the negatives take no part. L = (forward + backward) / 2.
     */
    @Test
    void handComputedWithNegativeIgnoredInBackwardTerm() {
        INDArray a = m(new double[] {1, 0}, new double[] {0, 1});
        INDArray p = m(new double[] {1, 0}, new double[] {0, 1});
        INDArray n = m(new double[] {-1, 0}, new double[] {0, -1});
        double forward = Math.log(E + 2 + 1 / E) - 1;
        double backward = Math.log(E + 1) - 1;
        LossValue value = new MultipleNegativesSymmetricRankingLoss(1.0).compute(EmbeddingBatch.of(a, p, n));
        assertEquals((forward + backward) / 2, value.loss(), 1e-14);
    }

    /** Pairs only: the backward term of an anchor/positive identity equals the forward one, so L = MNRL. */
    @Test
    void handComputedPairs() {
        INDArray a = m(new double[] {1, 0}, new double[] {0, 1});
        LossValue value = new MultipleNegativesSymmetricRankingLoss(1.0).compute(EmbeddingBatch.of(a, a.dup()));
        assertEquals(Math.log(1 + 1 / E), value.loss(), 1e-14);
    }

    /** Forward + backward halves: twice the symmetric loss minus MNRL is the backward term, which is MNRL with the columns swapped. */
    @Test
    void equalsMeanOfBothDirectionsOnRandomPairs() {
        INDArray[] cols = randomColumns(11, 2, 5, 4);
        double symmetric = new MultipleNegativesSymmetricRankingLoss().compute(EmbeddingBatch.of(cols)).loss();
        double forward = new MultipleNegativesRankingLoss().compute(EmbeddingBatch.of(cols[0], cols[1])).loss();
        double backward = new MultipleNegativesRankingLoss().compute(EmbeddingBatch.of(cols[1], cols[0])).loss();
        assertEquals((forward + backward) / 2, symmetric, 1e-12);
    }

    @Test
    void finiteDifferences() {
        assertGradientsMatchFiniteDifferences(new MultipleNegativesSymmetricRankingLoss(), EmbeddingBatch.of(randomColumns(12, 2, 4, 3)));
        assertGradientsMatchFiniteDifferences(new MultipleNegativesSymmetricRankingLoss(3.0), EmbeddingBatch.of(randomColumns(13, 3, 3, 5)));
    }

    @Test
    void float32AgreesWithFloat64() {
        assertFloatMatchesDouble(new MultipleNegativesSymmetricRankingLoss(), EmbeddingBatch.of(randomColumns(14, 3, 8, 16)));
    }
}

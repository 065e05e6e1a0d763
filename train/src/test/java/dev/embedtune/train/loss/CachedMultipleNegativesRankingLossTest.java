package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class CachedMultipleNegativesRankingLossTest {

    /**
     * Same value and gradients as MultipleNegativesRankingLoss on the same batch, for mini-batch
     * sizes that divide B, do not divide it, are 1, and exceed B. Tolerance in DOUBLE: 1e-12
     * (only the summation order differs).
     */
    @Test
    void equalsMultipleNegativesRankingLoss() {
        EmbeddingBatch batch = EmbeddingBatch.of(randomColumns(21, 4, 7, 6));   // anchor, positive, 2 negatives
        LossValue reference = new MultipleNegativesRankingLoss().compute(batch);
        for (int mini : new int[] {1, 3, 7, 32}) {
            LossValue cached = new CachedMultipleNegativesRankingLoss(20.0, mini).compute(batch);
            assertEquals(reference.loss(), cached.loss(), 1e-12, "loss, mini-batch " + mini);
            for (int c = 0; c < 4; c++) {
                assertArrayClose(reference.gradient(c), cached.gradient(c), 1e-12, "column " + c + " gradient, mini-batch " + mini);
            }
        }
    }

    /** Hand case of MultipleNegativesRankingLossTest.handComputedPairs: L = log(1 + 1/e) with scale 1, mini-batch 1. */
    @Test
    void handComputedPairs() {
        INDArray a = m(new double[] {1, 0}, new double[] {0, 1});
        LossValue value = new CachedMultipleNegativesRankingLoss(1.0, 1).compute(EmbeddingBatch.of(a, a.dup()));
        assertEquals(Math.log(1 + 1 / Math.E), value.loss(), 1e-14);
        double g = 1 / (2 * (Math.E + 1));
        assertArrayClose(m(new double[] {0, g}, new double[] {g, 0}), value.gradient(0), 1e-14, "dL/danchor");
    }

    @Test
    void finiteDifferences() {
        assertGradientsMatchFiniteDifferences(new CachedMultipleNegativesRankingLoss(20.0, 2), EmbeddingBatch.of(randomColumns(22, 3, 5, 3)));
    }

    @Test
    void float32AgreesWithFloat64() {
        assertFloatMatchesDouble(new CachedMultipleNegativesRankingLoss(20.0, 3), EmbeddingBatch.of(randomColumns(23, 3, 8, 16)));
    }

    /** The loss declares its GradCache mini-batch; a Matryoshka wrapper declares the wrapped loss's; others none. */
    @Test
    void declaresItsMiniBatchesThroughWrappers() {
        assertEquals(3, new CachedMultipleNegativesRankingLoss(20.0, 3).gradCacheMiniBatchSize());
        assertEquals(3, new MatryoshkaLoss(new CachedMultipleNegativesRankingLoss(20.0, 3), 8, 8, 4).gradCacheMiniBatchSize());
        assertEquals(0, new MatryoshkaLoss(new MultipleNegativesRankingLoss(), 8, 8, 4).gradCacheMiniBatchSize());
        assertEquals(0, new MultipleNegativesRankingLoss().gradCacheMiniBatchSize());
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CachedMultipleNegativesRankingLoss(20, 0));
        assertTrue(e.getMessage().contains("miniBatchSize must be >= 1, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new CachedMultipleNegativesRankingLoss(-1, 4));
        assertTrue(e.getMessage().contains("scale"), e.getMessage());
    }
}

package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class MatryoshkaLossTest {

    /** E[:, :d] divided by its row norms, computed independently of RowNormalization. */
    private static INDArray truncateAndNormalize(INDArray e, int d) {
        INDArray t = e.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)).dup();
        INDArray norms = t.norm2(1).reshape(t.size(0), 1);
        return t.divColumnVector(norms);
    }

    private static EmbeddingBatch truncated(EmbeddingBatch batch, int d) {
        List<INDArray> cols = new ArrayList<>();
        for (INDArray c : batch.columns()) {
            cols.add(truncateAndNormalize(c, d));
        }
        return batch.withColumns(cols);
    }

    /**
     * Hand case with TripletLoss (Euclidean, margin 5), D = 3, dims [3, 1], weights [1, 2]:
     * a = (1,0,0), p = (0,3,0), n = (0,0,2). Normalised at 3 dims: a, p, n are orthonormal, d(a,p) = d(a,n)
     * = sqrt2, term = 5. Truncated to 1 dim and normalised: a = (1), p = (0) (norm 0, clamped, stays 0),
     * n = (0): d(a,p) = d(a,n) = 1, term = 5. L = 1 * 5 + 2 * 5 = 15. Without the normalisation it
     * would be max(sqrt10 - sqrt5 + 5, 0) + 2 * 5, so the value proves the truncated rows are renormalised.
     */
    @Test
    void handComputedTripletRenormalises() {
        EmbeddingBatch batch = EmbeddingBatch.of(m(new double[] {1, 0, 0}), m(new double[] {0, 3, 0}), m(new double[] {0, 0, 2}));
        MatryoshkaLoss loss = new MatryoshkaLoss(new TripletLoss(), 3, new int[] {1, 3}, new double[] {2, 1}, -1, 0);
        assertArrayEquals(new int[] {3, 1}, loss.matryoshkaDims(), "dims sorted descending");
        assertArrayEquals(new double[] {1, 2}, loss.matryoshkaWeights(), 0.0, "weights follow their dims");
        assertEquals(15.0, loss.compute(batch).loss(), 1e-14);
    }

    /** The value is the weighted sum of the inner loss on the truncated, renormalised embeddings, and so are the gradients (zero beyond dim 4). */
    @Test
    void equalsWeightedSumOfInnerLoss() {
        EmbeddingBatch batch = EmbeddingBatch.of(randomColumns(81, 3, 5, 6));
        EmbeddingLoss inner = new TripletLoss(TripletDistanceMetric.EUCLIDEAN, 1.0);
        MatryoshkaLoss loss = new MatryoshkaLoss(inner, 6, new int[] {2, 4}, new double[] {0.5, 1.5}, -1, 0);
        LossValue value = loss.compute(batch);
        double expected = 1.5 * inner.compute(truncated(batch, 4)).loss() + 0.5 * inner.compute(truncated(batch, 2)).loss();
        assertEquals(expected, value.loss(), 1e-12);
        for (int c = 0; c < 3; c++) {
            INDArray beyond = value.gradient(c).get(NDArrayIndex.all(), NDArrayIndex.interval(4, 6));
            assertEquals(0.0, beyond.amaxNumber().doubleValue(), 0.0, "gradient of column " + c + " beyond the largest dim");
        }
        assertGradientsMatchFiniteDifferences(loss, batch);
    }

    @Test
    void finiteDifferencesAroundRankingAndPairLosses() {
        assertGradientsMatchFiniteDifferences(new MatryoshkaLoss(new MultipleNegativesRankingLoss(), 5, 5, 3, 1),
                EmbeddingBatch.of(randomColumns(82, 3, 4, 5)));
        assertGradientsMatchFiniteDifferences(new MatryoshkaLoss(new CoSENTLoss(), 4, 4, 2),
                EmbeddingBatch.withLabels(randomUniform(83, 4), randomColumns(83, 2, 4, 4)));
    }

    /** Wrapping the cached loss gives the same as wrapping MNRL (the use the trainer will make of it). */
    @Test
    void wrapsCachedLossLikeMnrl() {
        EmbeddingBatch batch = EmbeddingBatch.of(randomColumns(84, 2, 6, 8));
        LossValue plain = new MatryoshkaLoss(new MultipleNegativesRankingLoss(), 8, 8, 4, 2).compute(batch);
        LossValue cached = new MatryoshkaLoss(new CachedMultipleNegativesRankingLoss(20, 4), 8, 8, 4, 2).compute(batch);
        assertEquals(plain.loss(), cached.loss(), 1e-12);
        for (int c = 0; c < 2; c++) {
            assertArrayClose(plain.gradient(c), cached.gradient(c), 1e-12, "column " + c);
        }
    }

    /**
     * nDimsPerStep = 2 of 4 dims, seed 7: a twin instance with the same seed replays the draw, each
     * step equals the weighted sum over the drawn dims, the draws are not all the same, and a third
     * instance with the same seed reproduces the losses exactly.
     */
    @Test
    void nDimsPerStepIsSeededAndDeterministic() {
        EmbeddingBatch batch = EmbeddingBatch.of(randomColumns(85, 2, 4, 8));
        EmbeddingLoss inner = new MultipleNegativesRankingLoss();
        int[] dims = {8, 6, 4, 2};
        double[] weights = {1, 2, 3, 4};
        MatryoshkaLoss loss = new MatryoshkaLoss(inner, 8, dims, weights, 2, 7);
        MatryoshkaLoss twin = new MatryoshkaLoss(inner, 8, dims, weights, 2, 7);
        MatryoshkaLoss again = new MatryoshkaLoss(inner, 8, dims, weights, 2, 7);
        Set<String> draws = new HashSet<>();
        for (int step = 0; step < 6; step++) {
            int[] drawn = twin.nextDimIndices();
            assertEquals(2, drawn.length);
            assertNotEquals(drawn[0], drawn[1]);
            draws.add(drawn[0] + "," + drawn[1]);
            double expected = 0;
            for (int i : drawn) {
                expected += weights[i] * inner.compute(truncated(batch, dims[i])).loss();
            }
            double actual = loss.compute(batch).loss();
            assertEquals(expected, actual, 1e-12, "step " + step);
            assertEquals(actual, again.compute(batch).loss(), 0.0, "same seed, same step " + step);
        }
        assertTrue(draws.size() > 1, "six steps drew the same dims every time: " + draws);
    }

    @Test
    void float32AgreesWithFloat64() {
        assertFloatMatchesDouble(new MatryoshkaLoss(new MultipleNegativesRankingLoss(), 16, 16, 8, 4),
                EmbeddingBatch.of(randomColumns(86, 2, 8, 16)));
    }

    @Test
    void rejectsBadArguments() {
        EmbeddingLoss inner = new MultipleNegativesRankingLoss();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MatryoshkaLoss(inner, 384, 768, 256));
        assertTrue(e.getMessage().contains("dimension 768") && e.getMessage().contains("cannot exceed the model's embedding dimension of 384"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MatryoshkaLoss(inner, 384, new int[] {384, 64}, new double[] {1}, -1, 0));
        assertTrue(e.getMessage().contains("same length as matryoshkaDims (2), got 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MatryoshkaLoss(inner, 384));
        assertTrue(e.getMessage().contains("at least one dimension"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MatryoshkaLoss(inner, 384, 0, 64));
        assertTrue(e.getMessage().contains(">= 1, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MatryoshkaLoss(inner, 384, new int[] {64}, null, 0, 0));
        assertTrue(e.getMessage().contains("nDimsPerStep must be -1 (all dims) or >= 1, got 0"), e.getMessage());
        MatryoshkaLoss loss = new MatryoshkaLoss(inner, 8, 8, 4);
        e = assertThrows(IllegalArgumentException.class, () -> loss.compute(EmbeddingBatch.of(randomColumns(87, 2, 3, 6))));
        assertTrue(e.getMessage().contains("expected embeddings of dimension 8") && e.getMessage().contains("found 6"), e.getMessage());
    }
}

package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Comparisons of last_hidden_state at real tokens only. The training encoders run over the packed
 * real tokens and write 0 at padding; reference graphs compute something at padded positions that
 * nothing reads (pooling masks it).
 */
final class RealTokens {
    private RealTokens() {
    }

    /** {@code hidden} [B, T, H] with every padded position set to 0 (a copy). */
    static INDArray only(INDArray hidden, int[][] attentionMask) {
        INDArray out = hidden.dup();
        for (int b = 0; b < attentionMask.length; b++) {
            for (int t = 0; t < attentionMask[b].length; t++) {
                if (attentionMask[b][t] == 0) {
                    out.get(NDArrayIndex.point(b), NDArrayIndex.point(t), NDArrayIndex.all()).assign(0);
                }
            }
        }
        return out;
    }

    /** Asserts the packed engine's output is exactly 0 at every padded position. */
    static void assertZeroAtPadding(INDArray hidden, int[][] attentionMask) {
        assertEquals(0.0, hidden.sub(only(hidden, attentionMask)).amaxNumber().doubleValue(), 0.0,
                "last_hidden_state at padding is 0");
    }
}

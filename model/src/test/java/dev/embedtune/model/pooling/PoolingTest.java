package dev.embedtune.model.pooling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.embedtune.model.st.PoolingConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every pooling mode on one hand-computed case: two real tokens (1, 2) and (3, 4), then a padded
 * position holding (100, 100) that must never count. Tolerance 1e-6 (float32).
 */
class PoolingTest {
    private static final INDArray HIDDEN = Nd4j.createFromArray(new float[][][] {{{1, 2}, {3, 4}, {100, 100}}});
    private static final INDArray MASK = Nd4j.createFromArray(new int[][] {{1, 1, 0}});

    private static float[] pool(PoolingConfig c, int promptLength) {
        return Pooling.pool(c, HIDDEN, MASK, promptLength).toFloatVector();
    }

    private static PoolingConfig only(PoolingConfig.Mode mode) {
        return PoolingConfig.of(mode, 2);
    }

    @Test
    void eachModeByHand() {
        assertArrayEquals(new float[] {1, 2}, pool(only(PoolingConfig.Mode.CLS), 0), 1e-6f);
        assertArrayEquals(new float[] {2, 3}, pool(only(PoolingConfig.Mode.MEAN), 0), 1e-6f);          // (1+3)/2, (2+4)/2
        assertArrayEquals(new float[] {3, 4}, pool(only(PoolingConfig.Mode.MAX), 0), 1e-6f);           // padding excluded
        assertArrayEquals(new float[] {(float) (4 / Math.sqrt(2)), (float) (6 / Math.sqrt(2))},
                pool(only(PoolingConfig.Mode.MEAN_SQRT_LEN_TOKENS), 0), 1e-6f);                        // sum / √2
        assertArrayEquals(new float[] {7f / 3, 10f / 3}, pool(only(PoolingConfig.Mode.WEIGHTEDMEAN), 0), 1e-6f); // weights 1, 2
        assertArrayEquals(new float[] {3, 4}, pool(only(PoolingConfig.Mode.LASTTOKEN), 0), 1e-6f);     // last real token
    }

    @Test
    void severalModesConcatenateInSentenceTransformersOrder() {
        PoolingConfig clsAndMean = new PoolingConfig(2, true, true, false, false, false, false, true);
        assertArrayEquals(new float[] {1, 2, 2, 3}, pool(clsAndMean, 0), 1e-6f);
    }

    @Test
    void excludingThePromptMasksItsTokens() {
        PoolingConfig meanNoPrompt = new PoolingConfig(2, false, true, false, false, false, false, false);
        assertArrayEquals(new float[] {3, 4}, pool(meanNoPrompt, 1), 1e-6f);   // token 0 is the prompt
        assertArrayEquals(new float[] {2, 3}, pool(only(PoolingConfig.Mode.MEAN), 1), 1e-6f);   // include_prompt true
    }

    @Test
    void normalizeDividesByTheL2Norm() {
        assertArrayEquals(new float[] {0.6f, 0.8f},
                Pooling.normalize(Nd4j.createFromArray(new float[][] {{3, 4}})).toFloatVector(), 1e-6f);
        assertArrayEquals(new float[] {0, 0},
                Pooling.normalize(Nd4j.createFromArray(new float[][] {{0, 0}})).toFloatVector(), 0f);   // eps 1e-12, no NaN
    }
}

package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** clip_grad_norm_ semantics on gradients whose global norm is 13 (= sqrt(3² + 4² + 12²)); tolerance 1e-12. */
class GradientClippingTest {

    @Test
    void scalesAllGradientsByOneFactorAndReturnsThePreClipNorm() {
        INDArray a = Nd4j.createFromArray(3.0, 4.0);
        INDArray b = Nd4j.createFromArray(new double[][] {{12.0}});
        double norm = GradientClipping.clip(List.of(a, b), 1.0);
        assertEquals(13.0, norm, 1e-12);
        double coef = 1.0 / (13.0 + 1e-6);
        assertArrayEquals(new double[] {3 * coef, 4 * coef}, a.toDoubleVector(), 1e-12);
        assertEquals(12 * coef, b.getDouble(0, 0), 1e-12);
        assertEquals(1.0, GradientClipping.globalNorm(List.of(a, b)), 1e-6);
    }

    @Test
    void belowTheLimitOrDisabledLeavesGradientsAlone() {
        INDArray a = Nd4j.createFromArray(3.0f, 4.0f);
        assertEquals(5.0, GradientClipping.clip(List.of(a), 5.1), 1e-6);
        assertArrayEquals(new float[] {3f, 4f}, a.toFloatVector(), 0f);
        assertEquals(5.0, GradientClipping.clip(List.of(a), 0), 1e-6);   // max_grad_norm 0: off, norm still reported
        assertArrayEquals(new float[] {3f, 4f}, a.toFloatVector(), 0f);
    }
}

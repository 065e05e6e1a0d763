package dev.embedtune.train.loss;

import static dev.embedtune.train.loss.LossTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class CoSENTLossTest {

    private static final double E = Math.E;

    /**
     * Pair 1: u=(1,0), v=(1,0), cos 1, score 0.9. Pair 2: u=(1,0), v=(0,1), cos 0, score 0.2.
     * Only (i=2, j=1) has y_i &lt; y_j: L = log(1 + exp(scale * (0 - 1))).
     * Scale 1: log(1 + 1/e). dL/dcos2 = (1/e)/(1 + 1/e) = 1/(1+e); d cos2/du2 = v2 - cos2 u2 = (0, 1),
     * d cos2/dv2 = u2 - cos2 v2 = (1, 0); cos1 = 1 has zero gradient (u1 = v1).
     */
    @Test
    void handComputed() {
        INDArray u = m(new double[] {1, 0}, new double[] {1, 0});
        INDArray v = m(new double[] {1, 0}, new double[] {0, 1});
        LossValue value = new CoSENTLoss(1.0).compute(EmbeddingBatch.withLabels(v(0.9, 0.2), u, v));
        assertEquals(Math.log(1 + 1 / E), value.loss(), 1e-14);
        double g = 1 / (1 + E);
        assertArrayClose(m(new double[] {0, 0}, new double[] {0, g}), value.gradient(0), 1e-14, "dL/du");
        assertArrayClose(m(new double[] {0, 0}, new double[] {g, 0}), value.gradient(1), 1e-14, "dL/dv");
        // Default scale 20: log(1 + e^-20).
        assertEquals(Math.log1p(Math.exp(-20)), new CoSENTLoss().compute(EmbeddingBatch.withLabels(v(0.9, 0.2), u, v)).loss(), 1e-15);
        // Only the order of labels matters; equal labels give log(1) = 0.
        assertEquals(Math.log(1 + 1 / E), new CoSENTLoss(1.0).compute(EmbeddingBatch.withLabels(v(5, -3), u, v)).loss(), 1e-14);
        assertEquals(0.0, new CoSENTLoss(1.0).compute(EmbeddingBatch.withLabels(v(0.5, 0.5), u, v)).loss(), 1e-15);
    }

    @Test
    void finiteDifferences() {
        assertGradientsMatchFiniteDifferences(new CoSENTLoss(), EmbeddingBatch.withLabels(randomUniform(31, 5), randomColumns(31, 2, 5, 4)));
        assertGradientsMatchFiniteDifferences(new CoSENTLoss(2.0), EmbeddingBatch.withLabels(randomUniform(32, 4), randomColumns(32, 2, 4, 3)));
    }

    @Test
    void float32AgreesWithFloat64() {
        assertFloatMatchesDouble(new CoSENTLoss(), EmbeddingBatch.withLabels(randomUniform(33, 8), randomColumns(33, 2, 8, 16)));
    }

    @Test
    void rejectsMissingLabelsAndExtraColumns() {
        INDArray[] cols = randomColumns(34, 3, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CoSENTLoss().compute(EmbeddingBatch.of(cols[0], cols[1])));
        assertTrue(e.getMessage().contains("CoSENTLoss") && e.getMessage().contains("labels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new CoSENTLoss().compute(EmbeddingBatch.withLabels(v(1, 0), cols)));
        assertTrue(e.getMessage().contains("found 3 embedding columns"), e.getMessage());
    }
}

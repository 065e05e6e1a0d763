package dev.embedtune.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU fast path of {@link AdamUpdate} gives the same bits as its portable ND4J ops, step after
 * step (tolerance 0, compared as float bits: it does the same float operations in the same order), and its first step
 * equals the AdamW rule worked out in double for one element (1e-6 relative: float rounding).
 */
class AdamUpdateTest {
    private static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

    @Test
    void fastPathEqualsThePortableOpsBitForBit() {
        assumeTrue(KernelPath.cpuBackend(), "the CPU fast path is off (not the CPU backend)");
        Nd4j.getRandom().setSeed(11);
        INDArray p = Nd4j.randn(DataType.FLOAT, 16, 384), m = Nd4j.zeros(DataType.FLOAT, 16, 384),
                v = Nd4j.zeros(DataType.FLOAT, 16, 384);
        INDArray pp = p.dup(), pm = m.dup(), pv = v.dup(), scratch = p.ulike();
        for (int t = 1; t <= 5; t++) {
            INDArray g = Nd4j.randn(DataType.FLOAT, 16, 384).muli(t == 3 ? 1e-6 : 0.3);
            double lr = 2e-4 * t, decay = t % 2 == 0 ? 1 : 1 - lr * 0.01;
            double bc2 = Math.sqrt(1 - Math.pow(BETA2, t)), stepSize = lr / (1 - Math.pow(BETA1, t));
            AdamUpdate.apply(p, g, m, v, scratch, decay, BETA1, BETA2, bc2, EPS, stepSize);
            AdamUpdate.portable(pp, g, pm, pv, scratch, decay, BETA1, BETA2, bc2, EPS, stepSize);
            assertArrayEquals(pp.data().asFloat(), p.data().asFloat(), "parameter bits after step " + t);
            assertArrayEquals(pm.data().asFloat(), m.data().asFloat(), "first moment bits after step " + t);
            assertArrayEquals(pv.data().asFloat(), v.data().asFloat(), "second moment bits after step " + t);
        }
    }

    @Test
    void firstStepFollowsTheRule() {
        INDArray p = Nd4j.createFromArray(new float[] {0.5f, -1.25f}), g = Nd4j.createFromArray(new float[] {0.2f, -0.04f});
        INDArray m = p.ulike().assign(0), v = p.ulike().assign(0);
        double lr = 1e-3, wd = 0.01, bc2 = Math.sqrt(1 - BETA2), stepSize = lr / (1 - BETA1);
        AdamUpdate.apply(p, g, m, v, p.ulike(), 1 - lr * wd, BETA1, BETA2, bc2, EPS, stepSize);
        double[] p0 = {0.5, -1.25}, g0 = {0.2, -0.04};
        for (int i = 0; i < 2; i++) {
            double mi = (1 - BETA1) * g0[i], vi = (1 - BETA2) * g0[i] * g0[i];
            double expected = p0[i] * (1 - lr * wd) - stepSize * mi / (Math.sqrt(vi) / bc2 + EPS);
            assertEquals(expected, p.getDouble(i), 1e-6 * Math.abs(expected), "p[" + i + "]");
            assertEquals(mi, m.getDouble(i), 1e-6 * Math.abs(mi), "m[" + i + "]");
            assertEquals(vi, v.getDouble(i), 1e-6 * Math.abs(vi), "v[" + i + "]");
        }
    }
}

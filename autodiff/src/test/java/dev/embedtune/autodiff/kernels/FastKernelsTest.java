package dev.embedtune.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU fast paths equal the portable ND4J-ops versions. Fresh random inputs each run (the seed
 * is printed on failure). Tolerance: GELU 2e-6 absolute per unit of max(1, |u|) — the erf
 * approximation's 1.5e-7 plus float32 rounding. The fused kernels are checked in {@link FusedKernelsTest}.
 */
class FastKernelsTest {
    private long seed;

    @BeforeEach
    void fastPathIsOn() {
        assumeTrue(KernelPath.cpuVector(),
                "the CPU fast path is off (not the CPU backend, or no --add-modules jdk.incubator.vector)");
        seed = System.nanoTime();
        Nd4j.getRandom().setSeed(seed);
    }

    @Test
    void geluForwardAndBackwardEqualThePortableVersion() {
        // 4·1003 elements: whole vectors and a scalar tail; values up to ±12 reach both erf tails
        INDArray u = Nd4j.randn(DataType.FLOAT, 4, 1003).muli(4), dy = Nd4j.randn(DataType.FLOAT, 4, 1003);
        u.putScalar(0, 0, 0f);
        u.putScalar(0, 1, -12f);
        u.putScalar(0, 2, 12f);
        INDArray fast = u.ulike(), portable = u.ulike();
        Gelu.forward(u, fast);
        Gelu.forwardPortable(u, portable);
        assertGeluClose(u, fast, portable, "forward");

        INDArray fastGrad = dy.dup();
        Gelu.backward(u, fastGrad, fastGrad, u.ulike());                  // in place, as the layer calls it
        INDArray portableGrad = u.ulike();
        Gelu.backwardPortable(u, dy, portableGrad, u.ulike());
        assertGeluClose(u, fastGrad, portableGrad, "backward");
    }

    private void assertGeluClose(INDArray u, INDArray fast, INDArray portable, String what) {
        float[] x = u.reshape(-1).toFloatVector(), a = fast.reshape(-1).toFloatVector(), b = portable.reshape(-1).toFloatVector();
        for (int i = 0; i < a.length; i++) {
            double tolerance = 2e-6 * Math.max(1, Math.abs(x[i]));
            assertTrue(Math.abs(a[i] - b[i]) <= tolerance,
                    "GELU " + what + " at u=" + x[i] + ": fast " + a[i] + ", portable " + b[i] + " (seed " + seed + ")");
        }
    }

    private void assertClose(INDArray a, INDArray b, double tolerance, String what) {
        double diff = a.sub(b).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance, what + ": max |fast − portable| = " + diff + " > " + tolerance + " (seed " + seed + ")");
    }
}

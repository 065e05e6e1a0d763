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
 * is printed on failure). Tolerances: GELU 2e-6 absolute per unit of max(1, |u|) — the erf
 * approximation's 1.5e-7 plus float32 rounding; softmax probabilities 1e-6 absolute; softmax
 * gradients 1e-6 relative to the largest gradient.
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

    @Test
    void maskedSoftmaxForwardAndBackwardEqualThePortableVersion() {
        // T = 37: two 16-lane vectors (AVX-512) or four 8-lane ones, plus a scalar tail;
        // one item unpadded, one with 34 padded keys
        int b = 2, n = 3, t = 37;
        INDArray mask = Nd4j.ones(DataType.FLOAT, b, t);
        for (int j = 3; j < t; j++) {
            mask.putScalar(1, j, 0);
        }
        INDArray scores = Nd4j.randn(DataType.FLOAT, b, n, t, t).muli(5);
        INDArray fast = scores.ulike(), portable = scores.ulike();
        MaskedSoftmax.forward(scores, mask, 0.125, fast);
        MaskedSoftmax.forwardPortable(scores, mask, 0.125, portable);
        assertClose(fast, portable, 1e-6, "probabilities");
        for (int h = 0; h < n; h++) {
            for (int i = 0; i < t; i++) {
                for (int j = 3; j < t; j++) {
                    assertTrue(fast.getFloat(1, h, i, j) == 0f, "a padded key has probability exactly 0");
                }
            }
        }

        INDArray dProbs = Nd4j.randn(DataType.FLOAT, b, n, t, t);
        INDArray fastGrad = dProbs.dup(), portableGrad = scores.ulike();
        MaskedSoftmax.backward(portable, fastGrad, 0.125, fastGrad);      // in place, as attention calls it
        MaskedSoftmax.backwardPortable(portable, dProbs, 0.125, portableGrad);
        double largest = portableGrad.amaxNumber().doubleValue();
        assertClose(fastGrad, portableGrad, 1e-6 * largest, "gradients");
    }

    @Test
    void perQueryMaskedSoftmaxEqualsThePortableVersionAndHidesMaskedKeys() {
        // A [B, T, T] mask as ModernBERT's local layers build it: keys within ±4 of the query and not
        // padded; a padded query sees itself only. T = 37 as above.
        int b = 2, n = 3, t = 37, reach = 4, length1 = 20;
        INDArray mask = Nd4j.zeros(DataType.FLOAT, b, t, t);
        for (int i = 0; i < b; i++) {
            int length = i == 0 ? t : length1;
            for (int q = 0; q < t; q++) {
                for (int k = 0; k < t; k++) {
                    boolean visible = k < length && Math.abs(q - k) <= reach || q == k && q >= length;
                    mask.putScalar(new int[] {i, q, k}, visible ? 1 : 0);
                }
            }
        }
        INDArray scores = Nd4j.randn(DataType.FLOAT, b, n, t, t).muli(5);
        INDArray fast = scores.ulike(), portable = scores.ulike();
        MaskedSoftmax.forward(scores, mask, 0.125, fast);
        MaskedSoftmax.forwardPortable(scores, mask, 0.125, portable);
        assertClose(fast, portable, 1e-6, "probabilities");
        for (int i = 0; i < b; i++) {
            for (int h = 0; h < n; h++) {
                for (int q = 0; q < t; q++) {
                    double rowSum = 0;
                    for (int k = 0; k < t; k++) {
                        rowSum += fast.getFloat(i, h, q, k);
                        if (mask.getFloat(i, q, k) == 0) {
                            assertTrue(fast.getFloat(i, h, q, k) == 0f && portable.getFloat(i, h, q, k) == 0f,
                                    "masked key " + k + " of query " + q + " has probability exactly 0");
                        }
                    }
                    assertTrue(Math.abs(rowSum - 1) < 1e-5, "row sums to 1 within 1e-5: " + rowSum);
                }
            }
        }
    }

    /**
     * The per-head products of attention equal the batched GEMMs on views: T = 37 (two or four whole
     * vectors and a tail), heads of 32 (whole vectors) and of 24 (a vector and a tail of 8), weights
     * with exact zeros (masked keys are skipped by the fast path). Tolerance 1e-5 of the largest
     * output: sums of 37 products of order 1 in another order.
     */
    @Test
    void headProductsEqualTheBatchedGemms() {
        for (int headDim : new int[] {32, 24}) {
            int b = 2, n = 3, t = 37, h = n * headDim;
            INDArray x = Nd4j.randn(DataType.FLOAT, b * t, h), y = Nd4j.randn(DataType.FLOAT, b * t, h);
            INDArray p = Nd4j.rand(DataType.FLOAT, b, n, t, t);
            for (int j = 30; j < t; j++) {
                p.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(j)).assign(0);
            }
            INDArray fast = Nd4j.create(DataType.FLOAT, b, n, t, t), portable = fast.ulike();
            HeadProducts.scores(x, y, b, t, n, fast);
            HeadProducts.scoresPortable(x, y, b, t, n, portable);
            assertClose(fast, portable, 1e-5 * portable.amaxNumber().doubleValue(), "scores, D = " + headDim);
            for (boolean transposed : new boolean[] {false, true}) {
                INDArray c = Nd4j.create(DataType.FLOAT, b * t, h), cp = c.ulike();
                HeadProducts.weighted(p, y, transposed, b, t, n, c);
                HeadProducts.weightedPortable(p, y, transposed, b, t, n, cp);
                assertClose(c, cp, 1e-5 * cp.amaxNumber().doubleValue(), "weighted, transposed " + transposed + ", D = " + headDim);
            }
        }
    }

    private void assertClose(INDArray a, INDArray b, double tolerance, String what) {
        double diff = a.sub(b).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance, what + ": max |fast − portable| = " + diff + " > " + tolerance + " (seed " + seed + ")");
    }
}

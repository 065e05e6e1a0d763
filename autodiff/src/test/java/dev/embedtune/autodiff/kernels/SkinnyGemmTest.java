package dev.embedtune.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LoRA's low-rank products on the CPU fast path ({@link SkinnyGemm}, through {@link Gemm#gemm}) equal
 * an exact product computed here in double precision, and so does the portable path (ND4J's GEMM) on
 * the same inputs. Tolerance: 1e-5 · Σ_p |a_ip·b_pj| + 1e-5 · |β·c_ij| per element (float32
 * accumulation over k ≤ 4,096 terms: rounding grows like √k · 6e-8 ≈ 4e-6 of that sum). Shapes cover
 * both layouts, row tails (m not a multiple of 8), column tails (n not a multiple of the vector),
 * ranks that are not a multiple of 16, strided row views of a wider matrix, and α, β ≠ 0. Fresh
 * random inputs each run (the seed is printed on failure).
 */
class SkinnyGemmTest {
    private long seed;

    @BeforeEach
    void fastPathIsOn() {
        assumeTrue(KernelPath.cpuVector(),
                "the CPU fast path is off (not the CPU backend, or no --add-modules jdk.incubator.vector)");
        seed = System.nanoTime();
        Nd4j.getRandom().setSeed(seed);
    }

    @Test
    void narrowOutputsEqualTheExactProduct() {
        // x·Aᵀ (forward's x·A_iᵀ), dy·B (the backward's dy_i·B_i), ranks 16, 8, 24, 32, rows with tails
        check(4096, 16, 384, false, true, 1, 0, false);
        check(1000, 16, 1536, false, false, 1, 0, false);
        check(523, 8, 384, false, true, 1, 0, true);
        check(300, 24, 100, false, false, 0.5f, 1, true);
        check(777, 32, 64, false, true, 2, 0.25f, false);
    }

    @Test
    void outerSumsEqualTheExactProduct() {
        // dA = (dy·B)ᵀ·x: m narrow; dB = dyᵀ·(x·Aᵀ): n narrow, written transposed
        check(16, 384, 4096, true, false, 0.5f, 1, false);
        check(384, 16, 4096, true, false, 0.5f, 1, true);
        check(1536, 16, 1000, true, false, 2, 0, false);
        check(8, 100, 300, true, false, 1, 0, true);
        check(27, 45, 257, true, false, 1, 0.5f, false);
        check(1152, 32, 512, true, false, 1, 1, true);
    }

    @Test
    void lowRankUpdatesEqualTheExactProduct() {
        // the merge W + s·B·A: B [out, r], A [r, in]
        check(384, 384, 16, false, false, 2, 1, false);
        check(1536, 384, 16, false, false, 0.5f, 1, true);
        check(100, 1000, 8, false, false, 1, 0, true);
        check(64, 77, 32, false, false, 1, 0.5f, false);
    }

    @Test
    void operandsBeyondTwoGigabytesGoToOpenBlas() {
        // shapes only: a ByteBuffer reaches 2^31 − 1 bytes; 2^29 floats are 2^31 bytes
        INDArray small = Nd4j.create(DataType.FLOAT, 16, 16);
        assertTrue(SkinnyGemm.addressable(small, small, small));
        assertTrue(SkinnyGemm.addressable(1, 1 << 29, (1 << 29) - 1));
        assertTrue(!SkinnyGemm.addressable(1, 1 << 29, 1 << 29));
        assertTrue(!SkinnyGemm.addressable(65_536, 16_384, 16));      // a column of a [65,536, 16,384] matrix: 4 GB apart
        assertTrue(SkinnyGemm.addressable(16_384, 2_304, 16));
    }

    @Test
    void twoCallsGiveTheSameBits() {
        INDArray a = Nd4j.randn(DataType.FLOAT, 2048, 384), b = Nd4j.randn(DataType.FLOAT, 2048, 16);
        INDArray c1 = Nd4j.create(DataType.FLOAT, 16, 384), c2 = Nd4j.create(DataType.FLOAT, 16, 384);
        Gemm.gemm(b, a, c1, true, false, 1, 0);
        Gemm.gemm(b, a, c2, true, false, 1, 0);
        assertArrayEquals(c1.reshape(-1).toFloatVector(), c2.reshape(-1).toFloatVector());
    }

    /** C [m, n] = α·op(A)·op(B) + β·C, with A, B and C optionally column ranges (strided rows) of wider matrices. */
    private void check(int m, int n, int k, boolean transposeA, boolean transposeB, float alpha, float beta, boolean views) {
        assertTrue(SkinnyGemm.applies(m, n, k, transposeA, transposeB), "the fast path takes " + m + "×" + n + "×" + k);
        INDArray a = matrix(transposeA ? k : m, transposeA ? m : k, views);
        INDArray b = matrix(transposeB ? n : k, transposeB ? k : n, views);
        INDArray c = matrix(m, n, views);
        double[][] expected = exact(a, b, c, transposeA, transposeB, alpha, beta);
        double[][] bound = bound(a, b, c, transposeA, transposeB, beta);
        INDArray portable = c.dup();
        Gemm.gemm(a, b, c, transposeA, transposeB, alpha, beta);
        Gemm.portable(a, b, portable, transposeA, transposeB, alpha, beta);
        String shape = (transposeA ? "Aᵀ" : "A") + "·" + (transposeB ? "Bᵀ" : "B") + " " + m + "×" + n + "×" + k
                + (views ? " (views)" : "") + " α " + alpha + " β " + beta + ", seed " + seed;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double fast = c.getFloat(i, j), blas = portable.getFloat(i, j);
                assertTrue(Math.abs(fast - expected[i][j]) <= bound[i][j],
                        "fast path at (" + i + ", " + j + "): " + fast + ", exact " + expected[i][j] + ": " + shape);
                assertTrue(Math.abs(blas - expected[i][j]) <= bound[i][j],
                        "portable path at (" + i + ", " + j + "): " + blas + ", exact " + expected[i][j] + ": " + shape);
            }
        }
    }

    /** A random [rows, columns] matrix, or such a column range of a wider one (rows strided). */
    private static INDArray matrix(int rows, int columns, boolean view) {
        if (!view) {
            return Nd4j.randn(DataType.FLOAT, rows, columns);
        }
        INDArray wide = Nd4j.randn(DataType.FLOAT, rows, columns + 7);
        return wide.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 3 + columns));
    }

    private static double[][] exact(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, float alpha, float beta) {
        return products(a, b, c, ta, tb, alpha, beta, false);
    }

    private static double[][] bound(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, float beta) {
        return products(a, b, c, ta, tb, 1, beta, true);
    }

    private static double[][] products(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, float alpha, float beta,
            boolean absolute) {
        double[][] x = ta ? a.transpose().toDoubleMatrix() : a.toDoubleMatrix();
        double[][] y = tb ? b.transpose().toDoubleMatrix() : b.toDoubleMatrix();
        double[][] z = c.toDoubleMatrix();
        int m = x.length, k = y.length, n = y[0].length;
        double[][] out = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += absolute ? Math.abs(x[i][p] * y[p][j]) : x[i][p] * y[p][j];
                }
                out[i][j] = absolute ? 1e-5 * Math.abs(alpha) * sum + 1e-5 * Math.abs(beta * z[i][j]) + 1e-30
                        : alpha * sum + beta * z[i][j];
            }
        }
        return out;
    }
}

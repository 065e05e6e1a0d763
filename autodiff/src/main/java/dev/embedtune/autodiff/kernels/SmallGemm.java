package dev.embedtune.autodiff.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small row-major matrix products on heap arrays for the attention fast path, where one (sequence,
 * head) block is tens of KB and sits in L2: OpenBLAS's packing costs more than the product at
 * these sizes, and a call through ND4J more still. Two shapes cover every product of attention:
 * <pre>
 *   ab:   C (=|+=) A · B        A [m, k], B [k, n]        (Q·Kᵀ with Kᵀ stored, P·V, dC·Vᵀ, dS·K)
 *   atb:  C += Aᵀ · B           A [k, m], B [k, n]        (Pᵀ·dC, dSᵀ·Q)
 * </pre>
 * n must be a multiple of the vector length ({@link #LANES}; callers pad their scratch with zero
 * columns). Four output rows by two vectors of columns are held in registers, so each loaded vector
 * of B feeds four FMAs; the sum over k runs in order, so results are deterministic.
 */
final class SmallGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector: the unit row lengths are padded to. */
    static final int LANES = S.length();

    private SmallGemm() {
    }

    /** n rounded up to a multiple of {@link #LANES}. */
    static int padded(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /** C[i][j] (=|+=) Σ_p A[i][p] · B[p][j] for i &lt; m, j &lt; n, p &lt; k. */
    static void ab(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int m, int n,
            int k, boolean accumulate) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int a0 = aOff + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            int c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
            int j = 0;
            for (; j + 2 * LANES <= n; j += 2 * LANES) {
                FloatVector x00, x01, x10, x11, x20, x21, x30, x31;
                if (accumulate) {
                    x00 = FloatVector.fromArray(S, c, c0 + j);
                    x01 = FloatVector.fromArray(S, c, c0 + j + LANES);
                    x10 = FloatVector.fromArray(S, c, c1 + j);
                    x11 = FloatVector.fromArray(S, c, c1 + j + LANES);
                    x20 = FloatVector.fromArray(S, c, c2 + j);
                    x21 = FloatVector.fromArray(S, c, c2 + j + LANES);
                    x30 = FloatVector.fromArray(S, c, c3 + j);
                    x31 = FloatVector.fromArray(S, c, c3 + j + LANES);
                } else {
                    x00 = x01 = x10 = x11 = x20 = x21 = x30 = x31 = FloatVector.zero(S);
                }
                for (int p = 0; p < k; p++) {
                    int bp = bOff + p * ldb + j;
                    FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + LANES);
                    FloatVector v0 = FloatVector.broadcast(S, a[a0 + p]), v1 = FloatVector.broadcast(S, a[a1 + p]),
                            v2 = FloatVector.broadcast(S, a[a2 + p]), v3 = FloatVector.broadcast(S, a[a3 + p]);
                    x00 = b0.fma(v0, x00);
                    x01 = b1.fma(v0, x01);
                    x10 = b0.fma(v1, x10);
                    x11 = b1.fma(v1, x11);
                    x20 = b0.fma(v2, x20);
                    x21 = b1.fma(v2, x21);
                    x30 = b0.fma(v3, x30);
                    x31 = b1.fma(v3, x31);
                }
                x00.intoArray(c, c0 + j);
                x01.intoArray(c, c0 + j + LANES);
                x10.intoArray(c, c1 + j);
                x11.intoArray(c, c1 + j + LANES);
                x20.intoArray(c, c2 + j);
                x21.intoArray(c, c2 + j + LANES);
                x30.intoArray(c, c3 + j);
                x31.intoArray(c, c3 + j + LANES);
            }
            for (; j < n; j += LANES) {
                FloatVector x0, x1, x2, x3;
                if (accumulate) {
                    x0 = FloatVector.fromArray(S, c, c0 + j);
                    x1 = FloatVector.fromArray(S, c, c1 + j);
                    x2 = FloatVector.fromArray(S, c, c2 + j);
                    x3 = FloatVector.fromArray(S, c, c3 + j);
                } else {
                    x0 = x1 = x2 = x3 = FloatVector.zero(S);
                }
                for (int p = 0; p < k; p++) {
                    FloatVector b0 = FloatVector.fromArray(S, b, bOff + p * ldb + j);
                    x0 = b0.fma(FloatVector.broadcast(S, a[a0 + p]), x0);
                    x1 = b0.fma(FloatVector.broadcast(S, a[a1 + p]), x1);
                    x2 = b0.fma(FloatVector.broadcast(S, a[a2 + p]), x2);
                    x3 = b0.fma(FloatVector.broadcast(S, a[a3 + p]), x3);
                }
                x0.intoArray(c, c0 + j);
                x1.intoArray(c, c1 + j);
                x2.intoArray(c, c2 + j);
                x3.intoArray(c, c3 + j);
            }
        }
        for (; i < m; i++) {
            int a0 = aOff + i * lda, c0 = cOff + i * ldc;
            for (int j = 0; j < n; j += LANES) {
                FloatVector x0 = accumulate ? FloatVector.fromArray(S, c, c0 + j) : FloatVector.zero(S);
                for (int p = 0; p < k; p++) {
                    x0 = FloatVector.fromArray(S, b, bOff + p * ldb + j).fma(FloatVector.broadcast(S, a[a0 + p]), x0);
                }
                x0.intoArray(c, c0 + j);
            }
        }
    }

    /** C[i][j] += Σ_p A[p][i] · B[p][j] for i &lt; m, j &lt; n, p &lt; k. */
    static void atb(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int m, int n,
            int k) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int c0 = cOff + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
            int j = 0;
            for (; j + 2 * LANES <= n; j += 2 * LANES) {
                FloatVector x00 = FloatVector.fromArray(S, c, c0 + j), x01 = FloatVector.fromArray(S, c, c0 + j + LANES),
                        x10 = FloatVector.fromArray(S, c, c1 + j), x11 = FloatVector.fromArray(S, c, c1 + j + LANES),
                        x20 = FloatVector.fromArray(S, c, c2 + j), x21 = FloatVector.fromArray(S, c, c2 + j + LANES),
                        x30 = FloatVector.fromArray(S, c, c3 + j), x31 = FloatVector.fromArray(S, c, c3 + j + LANES);
                for (int p = 0; p < k; p++) {
                    int bp = bOff + p * ldb + j, ap = aOff + p * lda + i;
                    FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + LANES);
                    FloatVector v0 = FloatVector.broadcast(S, a[ap]), v1 = FloatVector.broadcast(S, a[ap + 1]),
                            v2 = FloatVector.broadcast(S, a[ap + 2]), v3 = FloatVector.broadcast(S, a[ap + 3]);
                    x00 = b0.fma(v0, x00);
                    x01 = b1.fma(v0, x01);
                    x10 = b0.fma(v1, x10);
                    x11 = b1.fma(v1, x11);
                    x20 = b0.fma(v2, x20);
                    x21 = b1.fma(v2, x21);
                    x30 = b0.fma(v3, x30);
                    x31 = b1.fma(v3, x31);
                }
                x00.intoArray(c, c0 + j);
                x01.intoArray(c, c0 + j + LANES);
                x10.intoArray(c, c1 + j);
                x11.intoArray(c, c1 + j + LANES);
                x20.intoArray(c, c2 + j);
                x21.intoArray(c, c2 + j + LANES);
                x30.intoArray(c, c3 + j);
                x31.intoArray(c, c3 + j + LANES);
            }
            for (; j < n; j += LANES) {
                FloatVector x0 = FloatVector.fromArray(S, c, c0 + j), x1 = FloatVector.fromArray(S, c, c1 + j),
                        x2 = FloatVector.fromArray(S, c, c2 + j), x3 = FloatVector.fromArray(S, c, c3 + j);
                for (int p = 0; p < k; p++) {
                    int ap = aOff + p * lda + i;
                    FloatVector b0 = FloatVector.fromArray(S, b, bOff + p * ldb + j);
                    x0 = b0.fma(FloatVector.broadcast(S, a[ap]), x0);
                    x1 = b0.fma(FloatVector.broadcast(S, a[ap + 1]), x1);
                    x2 = b0.fma(FloatVector.broadcast(S, a[ap + 2]), x2);
                    x3 = b0.fma(FloatVector.broadcast(S, a[ap + 3]), x3);
                }
                x0.intoArray(c, c0 + j);
                x1.intoArray(c, c1 + j);
                x2.intoArray(c, c2 + j);
                x3.intoArray(c, c3 + j);
            }
        }
        for (; i < m; i++) {
            int c0 = cOff + i * ldc;
            for (int j = 0; j < n; j += LANES) {
                FloatVector x0 = FloatVector.fromArray(S, c, c0 + j);
                for (int p = 0; p < k; p++) {
                    x0 = FloatVector.fromArray(S, b, bOff + p * ldb + j).fma(FloatVector.broadcast(S, a[aOff + p * lda + i]), x0);
                }
                x0.intoArray(c, c0 + j);
            }
        }
    }
}

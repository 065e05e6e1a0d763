package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The per-head matrix products of attention in the portable version of {@link PackedAttention}, on
 * padded {@code [B·T, H]} projections (H = N·D, the heads side by side in each row) and
 * {@code [B, N, T, T]} score or probability arrays, as one batched {@link Mmul} on rank-4 permuted
 * views (no copies; every backend):
 * <pre>
 *   scores:              S[b,n] = X[b,n] · Y[b,n]ᵀ          (Q·Kᵀ, dC·Vᵀ)
 *   weighted:            C[b,n] = P[b,n] · Y[b,n]            (P·V, dS·K)
 *   weighted transposed: C[b,n] = P[b,n]ᵀ · Y[b,n]           (Pᵀ·dC, dSᵀ·Q)
 * </pre>
 */
public final class HeadProducts {
    private HeadProducts() {
    }

    /** out [B, N, T, T] = X·Yᵀ per head; x, y [B·T, H]. */
    public static void scoresPortable(INDArray x, INDArray y, int batch, int tokens, int heads, INDArray out) {
        mmul(headsView(x, batch, tokens, heads), headsView(y, batch, tokens, heads), out, false, true);
    }

    /** out [B·T, H] = P·Y per head ({@code transposed}: Pᵀ·Y); p [B, N, T, T], y [B·T, H]. */
    public static void weightedPortable(INDArray p, INDArray y, boolean transposed, int batch, int tokens, int heads,
            INDArray out) {
        mmul(p, headsView(y, batch, tokens, heads), headsView(out, batch, tokens, heads), transposed, false);
    }

    /** [B·T, H] as the [B, N, T, D] view of the same buffer. */
    private static INDArray headsView(INDArray x, int batch, int tokens, int heads) {
        long h = x.size(1);
        return x.reshape('c', batch, tokens, heads, h / heads).permute(0, 2, 1, 3);
    }

    private static void mmul(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB) {
        Nd4j.exec(new Mmul(a, b, c, 1.0, 0.0,
                MMulTranspose.builder().transposeA(transposeA).transposeB(transposeB).build()));
    }
}

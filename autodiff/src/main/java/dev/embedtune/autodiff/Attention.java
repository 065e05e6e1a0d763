package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.MaskedSoftmax;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scaled dot-product attention over N heads with a key padding mask, on {@code [M, H]} projections
 * (M = B·T, H = N·D) viewed as {@code [B, N, T, D]} without copies, with optional dropout on the
 * probabilities (BERT's {@code attention_probs_dropout_prob}; m holds 0 or 1/(1−p)):
 * <pre>
 *   P = softmax(Q·Kᵀ/√D + mask)        [B, N, T, T]
 *   P' = P ⊙ m   (P' = P without dropout)
 *   C = P'·V
 * backward:
 *   dP' = dC·Vᵀ,  dV = P'ᵀ·dC,  dP = dP' ⊙ m,  dS = P ⊙ (dP − rowsum(dP ⊙ P)) / √D,  dQ = dS·K,  dK = dSᵀ·Q
 * </pre>
 * P' lives in the backward's dProbs buffer (free during the forward) and is rebuilt there in the
 * backward, so dropout costs one more [B, N, T, T] buffer (m) only.
 * All products are single {@link Mmul} ops on rank-4 permuted views (ND4J-NOTES: batched GEMMs on
 * views are faster than copying heads apart).
 */
public final class Attention {
    private final int heads;

    public Attention(int heads) {
        this.heads = heads;
    }

    /** [M, H] as the [B, N, T, D] view of the same buffer. */
    private INDArray headsView(INDArray x, long batch, long tokens) {
        long h = x.size(1);
        return x.reshape('c', batch, tokens, heads, h / heads).permute(0, 2, 1, 3);
    }

    private static void mmul(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha,
            double beta) {
        Nd4j.exec(new Mmul(a, b, c, alpha, beta,
                MMulTranspose.builder().transposeA(transposeA).transposeB(transposeB).build()));
    }

    /**
     * @param q, k, v [M, H] projections
     * @param keyMask [B, T] 1 for tokens, 0 for padding
     * @param probs [B, N, T, T] receives P (saved for backward)
     * @param context [M, H] receives C
     */
    public void forward(INDArray q, INDArray k, INDArray v, INDArray keyMask, INDArray probs, INDArray context) {
        forward(q, k, v, keyMask, probs, context, null, null);
    }

    /**
     * @param drop [B, N, T, T] dropout mask m, or null for none
     * @param dropped [B, N, T, T] receives P' (the backward's dProbs buffer; unused without a mask)
     */
    public void forward(INDArray q, INDArray k, INDArray v, INDArray keyMask, INDArray probs, INDArray context,
            INDArray drop, INDArray dropped) {
        long batch = keyMask.size(0), tokens = keyMask.size(1);
        double scale = 1 / Math.sqrt(q.size(1) / (double) heads);
        mmul(headsView(q, batch, tokens), headsView(k, batch, tokens), probs, false, true, 1.0, 0.0);
        MaskedSoftmax.forward(probs, keyMask, scale, probs);
        INDArray p = drop == null ? probs : probs.mul(drop, dropped);
        mmul(p, headsView(v, batch, tokens), headsView(context, batch, tokens), false, false, 1.0, 0.0);
    }

    /**
     * @param dContext [M, H] dL/dC
     * @param dProbs [B, N, T, T] work buffer
     * @param dq, dk, dv [M, H] receive the gradients of the projections
     */
    public void backward(INDArray q, INDArray k, INDArray v, INDArray probs, INDArray dContext, INDArray dProbs,
            INDArray dq, INDArray dk, INDArray dv) {
        backward(q, k, v, probs, null, dContext, dProbs, dq, dk, dv);
    }

    /** @param drop the forward's dropout mask, or null */
    public void backward(INDArray q, INDArray k, INDArray v, INDArray probs, INDArray drop, INDArray dContext,
            INDArray dProbs, INDArray dq, INDArray dk, INDArray dv) {
        long batch = probs.size(0), tokens = probs.size(2);
        double scale = 1 / Math.sqrt(q.size(1) / (double) heads);
        INDArray dc = headsView(dContext, batch, tokens);
        INDArray p = drop == null ? probs : probs.mul(drop, dProbs);    // P' again, before dProbs is overwritten
        mmul(p, dc, headsView(dv, batch, tokens), true, false, 1.0, 0.0);
        mmul(dc, headsView(v, batch, tokens), dProbs, false, true, 1.0, 0.0);
        if (drop != null) {
            dProbs.muli(drop);
        }
        MaskedSoftmax.backward(probs, dProbs, scale, dProbs);
        mmul(dProbs, headsView(k, batch, tokens), headsView(dq, batch, tokens), false, false, 1.0, 0.0);
        mmul(dProbs, headsView(q, batch, tokens), headsView(dk, batch, tokens), true, false, 1.0, 0.0);
    }
}

package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.HeadProducts;
import dev.embedtune.autodiff.kernels.MaskedSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;

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
 * The per-head products are {@link HeadProducts}: batched GEMMs on rank-4 permuted views (portable),
 * or the CPU fast path beside them.
 */
public final class Attention {
    private final int heads;

    public Attention(int heads) {
        this.heads = heads;
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
        int batch = (int) keyMask.size(0), tokens = (int) keyMask.size(1);
        double scale = 1 / Math.sqrt(q.size(1) / (double) heads);
        HeadProducts.scores(q, k, batch, tokens, heads, probs);
        MaskedSoftmax.forward(probs, keyMask, scale, probs);
        INDArray p = drop == null ? probs : probs.mul(drop, dropped);
        HeadProducts.weighted(p, v, false, batch, tokens, heads, context);
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
        int batch = (int) probs.size(0), tokens = (int) probs.size(2);
        double scale = 1 / Math.sqrt(q.size(1) / (double) heads);
        INDArray p = drop == null ? probs : probs.mul(drop, dProbs);    // P' again, before dProbs is overwritten
        HeadProducts.weighted(p, dContext, true, batch, tokens, heads, dv);
        HeadProducts.scores(dContext, v, batch, tokens, heads, dProbs);
        if (drop != null) {
            dProbs.muli(drop);
        }
        MaskedSoftmax.backward(probs, dProbs, scale, dProbs);
        HeadProducts.weighted(dProbs, k, false, batch, tokens, heads, dq);
        HeadProducts.weighted(dProbs, q, true, batch, tokens, heads, dk);
    }
}

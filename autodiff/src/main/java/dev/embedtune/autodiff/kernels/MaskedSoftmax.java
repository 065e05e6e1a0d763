package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax over the keys of attention scores {@code [B, N, T, T]} with padded keys masked out, in
 * ND4J ops: the portable version of {@link PackedAttention} (the CPU fast path does its softmax per
 * (sequence, head) block in {@link VectorAttention}).
 */
public final class MaskedSoftmax {
    private MaskedSoftmax() {
    }

    /**
     * probs = softmax(scale · scores + mask) over the last axis; masked keys get probability 0.
     * {@code probs} may be {@code scores}. Every row needs one unmasked key.
     *
     * @param mask 1 visible, 0 masked: {@code [B, T]} per key (padding), or {@code [B, T, T]} per query
     *             and key (e.g. padding plus a sliding window)
     */
    public static void forwardPortable(INDArray scores, INDArray mask, double scale, INDArray probs) {
        INDArray additive = mask.castTo(scores.dataType()).rsub(1).muli(-1e30);        // [B, T] or [B, T, T]
        INDArray scaled = probs == scores ? scores.muli(scale) : scores.mul(scale, probs);
        int[] axes = mask.rank() == 3 ? new int[] {0, 2, 3} : new int[] {0, 3};
        Nd4j.exec(new BroadcastAddOp(scaled, additive, scaled, axes));
        Nd4j.exec(new SoftMax(scaled, scaled, 3));
    }

    /** dScores = scale · probs ⊙ (dProbs − Σ_keys dProbs ⊙ probs); {@code dScores} may be {@code dProbs}. */
    public static void backwardPortable(INDArray probs, INDArray dProbs, double scale, INDArray dScores) {
        INDArray rowDot = Nd4j.create(probs.dataType(), probs.size(0), probs.size(1), probs.size(2));
        Nd4j.exec(new Dot(dProbs, probs, rowDot, 3));
        Nd4j.exec(new BroadcastSubOp(dProbs, rowDot, dScores, 0, 1, 2));
        dScores.muli(probs).muli(scale);
    }
}

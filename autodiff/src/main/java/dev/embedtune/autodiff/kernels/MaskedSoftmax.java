package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax over the keys of attention scores {@code [B, N, T, T]} with padded keys masked out: the
 * portable version in ND4J ops, and {@link VectorSoftmax} on the CPU when {@link KernelPath} allows
 * it (libnd4j's SoftMax plus the broadcast mask cost about twice the fused kernel here).
 */
public final class MaskedSoftmax {
    private MaskedSoftmax() {
    }

    /**
     * probs = softmax(scale · scores + mask) over the last axis; masked keys get probability exactly 0.
     * {@code probs} may be {@code scores}. Every row needs one unmasked key.
     *
     * @param mask 1 visible, 0 masked: {@code [B, T]} per key (padding), or {@code [B, T, T]} per query
     *             and key (e.g. padding plus a sliding window)
     */
    public static void forward(INDArray scores, INDArray mask, double scale, INDArray probs) {
        if (KernelPath.fast(scores, probs)) {
            boolean perQuery = mask.rank() == 3;
            float[][] rows = (perQuery ? mask.reshape(mask.size(0) * mask.size(1), mask.size(2)) : mask)
                    .castTo(DataType.FLOAT).toFloatMatrix();
            for (float[] row : rows) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = row[j] != 0 ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
            VectorSoftmax.forward(KernelPath.bytes(scores), rows, perQuery, (int) scores.size(1), (int) scores.size(3),
                    (float) scale, KernelPath.bytes(probs));
        } else {
            forwardPortable(scores, mask, scale, probs);
        }
    }

    public static void forwardPortable(INDArray scores, INDArray mask, double scale, INDArray probs) {
        INDArray additive = mask.castTo(scores.dataType()).rsub(1).muli(-1e30);        // [B, T] or [B, T, T]
        INDArray scaled = probs == scores ? scores.muli(scale) : scores.mul(scale, probs);
        int[] axes = mask.rank() == 3 ? new int[] {0, 2, 3} : new int[] {0, 3};
        Nd4j.exec(new BroadcastAddOp(scaled, additive, scaled, axes));
        Nd4j.exec(new SoftMax(scaled, scaled, 3));
    }

    /** dScores = scale · probs ⊙ (dProbs − Σ_keys dProbs ⊙ probs); {@code dScores} may be {@code dProbs}. */
    public static void backward(INDArray probs, INDArray dProbs, double scale, INDArray dScores) {
        if (KernelPath.fast(probs, dProbs, dScores)) {
            VectorSoftmax.backward(KernelPath.bytes(probs), KernelPath.bytes(dProbs), (float) scale,
                    (int) (probs.length() / probs.size(3)), (int) probs.size(3), KernelPath.bytes(dScores));
        } else {
            backwardPortable(probs, dProbs, scale, dScores);
        }
    }

    /** The portable backward: only a [B, N, T] row-sum is allocated, no [B, N, T, T] temporary. */
    public static void backwardPortable(INDArray probs, INDArray dProbs, double scale, INDArray dScores) {
        INDArray rowDot = Nd4j.create(probs.dataType(), probs.size(0), probs.size(1), probs.size(2));
        Nd4j.exec(new Dot(dProbs, probs, rowDot, 3));
        Nd4j.exec(new BroadcastSubOp(dProbs, rowDot, dScores, 0, 1, 2));
        dScores.muli(probs).muli(scale);
    }
}

package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;

/** Softmax over the keys of attention scores with padded keys masked out. Portable ND4J ops. */
public final class MaskedSoftmax {
    private MaskedSoftmax() {
    }

    /**
     * probs = softmax(scale · scores + mask) over the last axis of [B, N, T, T]; padded keys
     * ({@code keyMask} 0) get probability exactly 0. {@code probs} may be {@code scores}.
     */
    public static void forward(INDArray scores, INDArray keyMask, double scale, INDArray probs) {
        INDArray additive = keyMask.castTo(scores.dataType()).rsub(1).muli(-1e30);                 // [B, T]
        INDArray scaled = probs == scores ? scores.muli(scale) : scores.mul(scale, probs);
        Nd4j.exec(new BroadcastAddOp(scaled, additive, scaled, 0, 3));
        Nd4j.exec(new SoftMax(scaled, scaled, 3));
    }

    /** dScores = scale · probs ⊙ (dProbs − Σ_keys dProbs ⊙ probs); {@code dScores} may be {@code dProbs}. */
    public static void backward(INDArray probs, INDArray dProbs, double scale, INDArray dScores) {
        INDArray rowDot = dProbs.mul(probs).sum(true, 3);                                           // [B, N, T, 1]
        INDArray centered = dProbs.sub(rowDot.broadcast(dProbs.shape()));
        centered.muli(probs).muli(scale);
        dScores.assign(centered);
    }
}

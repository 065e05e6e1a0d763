package dev.embedtune.train.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * L2 normalisation of the rows of a matrix, {@code u = x / max(|x|, eps)}, forward and backward
 * (PyTorch's {@code F.normalize(x, p=2, dim=-1)}, which sentence-transformers' {@code cos_sim},
 * {@code pairwise_cos_sim} and Matryoshka truncation use).
 *
 * <p>Backward: where {@code |x| > eps}, {@code du/dx = (I - u u^T) / |x|}, so
 * {@code dx = (du - u (u . du)) / |x|}; where the norm is clamped to {@code eps} the map is linear
 * and {@code dx = du / eps}.
 */
final class RowNormalization {

    /** PyTorch's default {@code eps} of {@code F.normalize}. */
    static final double EPS = 1e-12;

    /**
     * What the backward needs.
     *
     * @param unit the normalised rows, [N, D]
     * @param norm {@code max(|x|, eps)}, [N, 1]
     * @param unclamped 1 where {@code |x| > eps}, else 0, [N, 1]
     */
    record Saved(INDArray unit, INDArray norm, INDArray unclamped) {}

    private RowNormalization() {}

    static Saved forward(INDArray x) { // x: [N, D]
        long n = x.size(0);
        INDArray rawNorm = x.norm2(1).reshape(n, 1);               // [N, 1]
        INDArray unclamped = rawNorm.gt(EPS).castTo(x.dataType());   // [N, 1]
        INDArray norm = Transforms.max(rawNorm, EPS, true);         // [N, 1]
        return new Saved(x.divColumnVector(norm), norm, unclamped);
    }

    /** dL/dx from dL/du, [N, D]. */
    static INDArray backward(Saved saved, INDArray dUnit) {
        long n = dUnit.size(0);
        INDArray radial = saved.unit.mul(dUnit).sum(1).reshape(n, 1).muli(saved.unclamped); // [N, 1]
        return dUnit.sub(saved.unit.mulColumnVector(radial)).diviColumnVector(saved.norm);
    }
}

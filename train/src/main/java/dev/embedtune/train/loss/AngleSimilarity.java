package dev.embedtune.train.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * sentence-transformers' {@code pairwise_angle_sim}, forward and backward.
 *
 * <p>Each embedding (zero-padded to even length) is read as a complex vector {@code z = a + i b}
 * from its two halves; for {@code x = (a, b)} and {@code y = (c, d)} sentence-transformers computes
 * {@code re = (a.c + b.d) / (|x| |y|)} and {@code im = (b.c - a.d) / (|x| |y|)} element-wise and
 * returns {@code |sum(re) + sum(im)|}. With unit vectors {@code u = x/|x|}, {@code v = y/|y|} that is
 * <pre>
 *   sim = | u^T M v |,   M = [[I, -I], [I, I]]   (blocks of size D/2)
 * </pre>
 * so {@code d sim / d u = sign(t) M v = sign(t) [v_c - v_d ; v_c + v_d]} and
 * {@code d sim / d v = sign(t) M^T u = sign(t) [u_a + u_b ; u_b - u_a]}, {@code t = u^T M v}.
 */
final class AngleSimilarity {

    record Saved(RowNormalization.Saved x, RowNormalization.Saved y, INDArray mv, INDArray mtu, INDArray sign,
            boolean padded) {}

    private AngleSimilarity() {}

    /** Returns the similarities [N] and what the backward needs. */
    static Saved forward(INDArray x, INDArray y) { // x, y: [N, D]
        boolean padded = x.size(1) % 2 != 0;
        RowNormalization.Saved nx = RowNormalization.forward(padded ? padZeroColumn(x) : x);
        RowNormalization.Saved ny = RowNormalization.forward(padded ? padZeroColumn(y) : y);
        INDArray mv = applyM(ny.unit(), false);
        INDArray mtu = applyM(nx.unit(), true);
        INDArray t = nx.unit().mul(mv).sum(1);                                       // [N]
        return new Saved(nx, ny, mv, mtu, Transforms.sign(t, true), padded);
    }

    static INDArray similarity(Saved s) {
        return s.x.unit().mul(s.mv).sum(1).muli(s.sign);                             // |t|, [N]
    }

    /** {dL/dx, dL/dy} from dL/dsim ([N]). */
    static INDArray[] backward(Saved s, INDArray dSim) {
        long n = dSim.length();
        INDArray dt = dSim.reshape(n, 1).mul(s.sign.reshape(n, 1));                 // [N, 1]
        INDArray dx = RowNormalization.backward(s.x, s.mv.mulColumnVector(dt));
        INDArray dy = RowNormalization.backward(s.y, s.mtu.mulColumnVector(dt));
        if (s.padded) {
            long d = dx.size(1) - 1;
            dx = dx.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)).dup();
            dy = dy.get(NDArrayIndex.all(), NDArrayIndex.interval(0, d)).dup();
        }
        return new INDArray[] {dx, dy};
    }

    /** M w = [w1 - w2 ; w1 + w2] or, transposed, M^T w = [w1 + w2 ; w2 - w1], for w = [w1 ; w2]. */
    private static INDArray applyM(INDArray w, boolean transposed) {
        long h = w.size(1) / 2;
        INDArray w1 = w.get(NDArrayIndex.all(), NDArrayIndex.interval(0, h));
        INDArray w2 = w.get(NDArrayIndex.all(), NDArrayIndex.interval(h, 2 * h));
        return transposed ? Nd4j.hstack(w1.add(w2), w2.sub(w1)) : Nd4j.hstack(w1.sub(w2), w1.add(w2));
    }

    private static INDArray padZeroColumn(INDArray x) {
        return Nd4j.hstack(x, Nd4j.zeros(x.dataType(), x.size(0), 1));
    }
}

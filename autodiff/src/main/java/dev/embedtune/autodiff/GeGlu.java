package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.Gelu;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * ModernBERT's gated MLP activation on the output of {@code Wi} ({@code [M, 2I]}): the first half is
 * the input a, the second the gate g,
 * <pre>
 *   y = gelu(a) ⊙ g                      [M, I]
 * backward:
 *   da = dy ⊙ g ⊙ gelu'(a),   dg = dy ⊙ gelu(a)
 * </pre>
 */
public final class GeGlu {
    private GeGlu() {
    }

    private static INDArray half(INDArray u, boolean second) {
        long i = u.size(1) / 2;
        return u.get(NDArrayIndex.all(), second ? NDArrayIndex.interval(i, 2 * i) : NDArrayIndex.interval(0, i));
    }

    /**
     * @param u [M, 2I] the projection
     * @param geluA [M, I] receives gelu(a) (saved for backward)
     * @param y [M, I] receives the output
     */
    public static void forward(INDArray u, INDArray geluA, INDArray y) {
        INDArray a = half(u, false).dup('c');
        Gelu.forward(a, geluA);
        y.assign(geluA).muli(half(u, true));
    }

    /**
     * @param du [M, 2I] receives dL/du
     * @param work [M, I] scratch
     */
    public static void backward(INDArray u, INDArray geluA, INDArray dy, INDArray du, INDArray work) {
        INDArray a = half(u, false).dup('c');
        INDArray dyGate = dy.mul(half(u, true));
        Gelu.backward(a, dyGate, dyGate, work);
        half(du, false).assign(dyGate);
        half(du, true).assign(dy).muli(geluA);
    }
}

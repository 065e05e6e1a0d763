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
     * @param input [M, I] work buffer: receives a (a dense copy, as the GELU kernels read)
     * @param geluA [M, I] receives gelu(a) (saved for backward)
     * @param y [M, I] receives the output
     */
    public static void forward(INDArray u, INDArray input, INDArray geluA, INDArray y) {
        input.assign(half(u, false));
        Gelu.forward(input, geluA);
        y.assign(geluA).muli(half(u, true));
    }

    /**
     * Nothing is allocated: the caller's buffers hold the intermediates.
     *
     * @param dy [M, I] dL/dy, overwritten (used as scratch once read)
     * @param du [M, 2I] receives dL/du
     * @param input [M, I] work buffer (receives a again)
     * @param work [M, I] work buffer
     */
    public static void backward(INDArray u, INDArray geluA, INDArray dy, INDArray du, INDArray input, INDArray work) {
        half(du, true).assign(dy).muli(geluA);                  // dg = dy ⊙ gelu(a)
        work.assign(dy).muli(half(u, true));                     // dy ⊙ g
        input.assign(half(u, false));
        Gelu.backward(input, work, work, dy);                    // da = dy ⊙ g ⊙ gelu'(a); dy is free now
        half(du, false).assign(work);
    }
}

package dev.embedtune.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A frozen linear layer {@code y = x·Wᵀ + b} with an optional LoRA adapter:
 * {@code y = x·(W + s·B·A)ᵀ + b}, {@code s = alpha/r} (or {@code alpha/√r} for rsLoRA), A {@code [r, in]},
 * B {@code [out, r]}.
 *
 * <p>Forward and backward merge the adapter into the (dequantised) weight in a shared scratch buffer,
 * so each direction costs one large GEMM; the adapter's gradients come from low-rank products only:
 * <pre>
 *   dx = dy · (W + s·B·A)
 *   dB += s · dyᵀ · (x·Aᵀ)          [out, r]
 *   dA += s · (dy·B)ᵀ · x           [r, in]
 * </pre>
 * W and b are never differentiated. Inputs are {@code [M, in]} matrices (M = batch × tokens).
 */
public final class LoraLinear {
    private final FrozenWeight weight;
    private final INDArray bias;
    private final INDArray a, b, gradA, gradB;
    private final double scale;
    private final WeightScratch scratch;

    /**
     * @param weight the frozen base weight [out, in]
     * @param bias [out] or null
     * @param a LoRA A [r, in], or null for a layer without adapter
     * @param b LoRA B [out, r], or null
     * @param gradA the buffer dA accumulates into (same shape as A), or null
     * @param gradB the buffer dB accumulates into, or null
     * @param scale s
     */
    public LoraLinear(FrozenWeight weight, INDArray bias, INDArray a, INDArray b, INDArray gradA, INDArray gradB,
            double scale, WeightScratch scratch) {
        this.weight = weight;
        this.bias = bias;
        this.a = a;
        this.b = b;
        this.gradA = gradA;
        this.gradB = gradB;
        this.scale = scale;
        this.scratch = scratch;
    }

    public long in() {
        return weight.columns();
    }

    public long out() {
        return weight.rows();
    }

    public boolean adapted() {
        return a != null;
    }

    public long rank() {
        return a == null ? 0 : a.size(0);
    }

    /** The effective weight W + s·B·A in the scratch buffer (valid until the next layer uses it). */
    public INDArray effectiveWeight() {
        INDArray w = scratch.get(weight.rows(), weight.columns());
        weight.writeTo(w);
        if (a != null) {
            Nd4j.gemm(b, a, w, false, false, scale, 1.0);
        }
        return w;
    }

    /**
     * y = x·W_effᵀ + b.
     *
     * @param x [M, in]
     * @param y [M, out], overwritten
     * @param xa [M, r] receives x·Aᵀ for the backward pass (ignored without adapter; may be null then)
     */
    public void forward(INDArray x, INDArray y, INDArray xa) {
        Nd4j.gemm(x, effectiveWeight(), y, false, true, 1.0, 0.0);
        if (bias != null) {
            y.addiRowVector(bias);
        }
        if (a != null) {
            Nd4j.gemm(x, a, xa, false, true, 1.0, 0.0);
        }
    }

    /**
     * Adds the adapter gradients into gradA/gradB and writes (or adds) the input gradient.
     *
     * @param x the forward input [M, in]
     * @param xa x·Aᵀ saved by forward [M, r]
     * @param dy dL/dy [M, out]
     * @param dx [M, in] receives dL/dx, or null when no gradient needs to flow further back
     * @param accumulate add into dx instead of overwriting it
     * @param scale extra factor on the adapter gradients (1 in normal use)
     * @param dyB a [M, r] work buffer (ignored without adapter)
     */
    public void backward(INDArray x, INDArray xa, INDArray dy, INDArray dx, boolean accumulate, INDArray dyB) {
        if (a != null) {
            Nd4j.gemm(dy, xa, gradB, true, false, scale, 1.0);
            Nd4j.gemm(dy, b, dyB, false, false, 1.0, 0.0);
            Nd4j.gemm(dyB, x, gradA, true, false, scale, 1.0);
        }
        if (dx != null) {
            Nd4j.gemm(dy, effectiveWeight(), dx, false, false, 1.0, accumulate ? 1.0 : 0.0);
        }
    }
}

package dev.embedtune.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A frozen linear layer {@code y = x·Wᵀ + b} with an optional LoRA adapter:
 * {@code y = x·(W + s·B·A)ᵀ + b}, {@code s = alpha/r} (or {@code alpha/√r} for rsLoRA), A {@code [r, in]},
 * B {@code [out, r]}.
 *
 * <p>Without LoRA dropout, forward and backward merge the adapter into the (dequantised) weight in a
 * shared scratch buffer, so each direction costs one large GEMM; the adapter's gradients come from
 * low-rank products only:
 * <pre>
 *   dx = dy · (W + s·B·A)
 *   dB += s · dyᵀ · (x·Aᵀ)          [out, r]
 *   dA += s · (dy·B)ᵀ · x           [r, in]
 * </pre>
 * With LoRA dropout (PEFT: {@code y = x·Wᵀ + b + s·(drop(x)·Aᵀ)·Bᵀ}, a mask m of 0 and 1/(1−p) per
 * entry) only the adapter sees the dropped input, so it cannot be merged into W; the low-rank path
 * runs beside the base GEMM:
 * <pre>
 *   xd = x ⊙ m;   y = x·Wᵀ + b + s·(xd·Aᵀ)·Bᵀ
 *   dx = dy·W + m ⊙ s·(dy·B)·A
 *   dB += s · dyᵀ · (xd·Aᵀ);   dA += s · (dy·B)ᵀ · xd
 * </pre>
 * W is never differentiated; b only when a bias gradient buffer is given ({@code db += Σ_rows dy}).
 * Inputs are {@code [M, in]} matrices (M = batch × tokens).
 */
public final class LoraLinear {
    private final FrozenWeight weight;
    private final INDArray bias, gradBias;
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
        this(weight, bias, null, a, b, gradA, gradB, scale, scratch);
    }

    /** @param gradBias [out] the bias gradient accumulates into (a trainable bias), or null for a frozen one */
    public LoraLinear(FrozenWeight weight, INDArray bias, INDArray gradBias, INDArray a, INDArray b, INDArray gradA,
            INDArray gradB, double scale, WeightScratch scratch) {
        if (gradBias != null && bias == null) {
            throw new IllegalArgumentException("a bias gradient buffer needs a bias");
        }
        this.weight = weight;
        this.bias = bias;
        this.gradBias = gradBias;
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
        INDArray w = baseWeight();
        if (a != null) {
            Nd4j.gemm(b, a, w, false, false, scale, 1.0);
        }
        return w;
    }

    /** The frozen W alone in the scratch buffer. */
    private INDArray baseWeight() {
        INDArray w = scratch.get(weight.rows(), weight.columns());
        weight.writeTo(w);
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
        forward(x, y, xa, null, null);
    }

    /**
     * y = x·Wᵀ + b + s·(drop(x)·Aᵀ)·Bᵀ; the merged forward when {@code mask} is null (no LoRA dropout).
     *
     * @param mask [M, in] LoRA dropout mask (0 or 1/(1−p)), or null; without adapter it is ignored
     * @param work [M, in] scratch, overwritten (only with a mask)
     */
    public void forward(INDArray x, INDArray y, INDArray xa, INDArray mask, INDArray work) {
        if (mask == null || a == null) {
            Nd4j.gemm(x, effectiveWeight(), y, false, true, 1.0, 0.0);
            if (a != null) {
                Nd4j.gemm(x, a, xa, false, true, 1.0, 0.0);
            }
        } else {
            Nd4j.gemm(x, baseWeight(), y, false, true, 1.0, 0.0);
            INDArray xd = x.mul(mask, work);
            Nd4j.gemm(xd, a, xa, false, true, 1.0, 0.0);
            Nd4j.gemm(xa, b, y, false, true, scale, 1.0);
        }
        if (bias != null) {
            y.addiRowVector(bias);
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
     * @param dyB a [M, r] work buffer (ignored without adapter)
     */
    public void backward(INDArray x, INDArray xa, INDArray dy, INDArray dx, boolean accumulate, INDArray dyB) {
        backward(x, xa, dy, dx, accumulate, dyB, null, null);
    }

    /**
     * The backward of {@link #forward(INDArray, INDArray, INDArray, INDArray, INDArray)} with the same
     * {@code mask} (null: the merged path), {@code work} [M, in] scratch.
     */
    public void backward(INDArray x, INDArray xa, INDArray dy, INDArray dx, boolean accumulate, INDArray dyB,
            INDArray mask, INDArray work) {
        if (gradBias != null) {
            gradBias.addi(dy.sum(0));
        }
        boolean dropped = mask != null && a != null;
        if (a != null) {
            Nd4j.gemm(dy, xa, gradB, true, false, scale, 1.0);
            Nd4j.gemm(dy, b, dyB, false, false, 1.0, 0.0);
            Nd4j.gemm(dyB, dropped ? x.mul(mask, work) : x, gradA, true, false, scale, 1.0);
        }
        if (dx == null) {
            return;
        }
        if (!dropped) {
            Nd4j.gemm(dy, effectiveWeight(), dx, false, false, 1.0, accumulate ? 1.0 : 0.0);
        } else {
            Nd4j.gemm(dy, baseWeight(), dx, false, false, 1.0, accumulate ? 1.0 : 0.0);
            Nd4j.gemm(dyB, a, work, false, false, scale, 0.0);
            dx.addi(work.muli(mask));
        }
    }
}

package dev.embedtune.autodiff;

import dev.embedtune.autodiff.kernels.ResidualNorm;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LayerNorm over the last axis of {@code [N, H]} token rows (β null for a norm without bias, as
 * ModernBERT's), optionally fused with the residual join before it:
 * <pre>
 *   s = (a + b) ⊙ m + x      (the join: bias, dropout mask, residual; each optional)
 *   x̂ = (s − mean) / √(var + eps),   y = x̂·γ + β
 * backward:
 *   g = dy·γ;   ds = rstd · (g − mean(g) − x̂ · mean(g·x̂));   da = ds ⊙ m
 *   dγ += Σ_rows dy ⊙ x̂;   dβ += Σ_rows dy          (only when γ, β train)
 * </pre>
 * The arithmetic is {@link ResidualNorm}'s (one pass per row on the CPU, ND4J ops elsewhere); this
 * class holds the parameters and their gradient buffers.
 */
public final class LayerNorm {
    private final INDArray gamma, beta, gradGamma, gradBeta;
    private final double eps;

    /** A frozen LayerNorm. */
    public LayerNorm(INDArray gamma, INDArray beta, double eps) {
        this(gamma, beta, null, null, eps);
    }

    /**
     * @param gradGamma, gradBeta [H] buffers the parameter gradients accumulate into, or null when frozen
     *                  (gradBeta also null when there is no β)
     */
    public LayerNorm(INDArray gamma, INDArray beta, INDArray gradGamma, INDArray gradBeta, double eps) {
        if (gradGamma == null ? gradBeta != null : (gradBeta == null) != (beta == null)) {
            throw new IllegalArgumentException("γ and β train together: give both gradient buffers (β's only when there is a β) or neither");
        }
        this.gamma = gamma;
        this.beta = beta;
        this.gradGamma = gradGamma;
        this.gradBeta = gradBeta;
        this.eps = eps;
    }

    public boolean trainable() {
        return gradGamma != null;
    }

    /**
     * y = LN(x).
     *
     * @param xHat [N, H] receives x̂ (saved for backward), or null in a forward-only pass; rstd [N, 1] receives 1/√(var + eps)
     * @param y [N, H] output (may be x)
     */
    public void forward(INDArray x, INDArray xHat, INDArray rstd, INDArray y) {
        ResidualNorm.forward(x, null, null, null, gamma, beta, eps, xHat, rstd, null, y);
    }

    /**
     * y = LN((a + bias) ⊙ mask + residual).
     *
     * @param bias [H], mask [N, H], residual [N, H]: each optional
     * @param sum [N, H] receives the joined s (a pre-norm layer's next residual), or null
     */
    public void forward(INDArray a, INDArray bias, INDArray mask, INDArray residual, INDArray xHat, INDArray rstd,
            INDArray sum, INDArray y) {
        ResidualNorm.forward(a, bias, mask, residual, gamma, beta, eps, xHat, rstd, sum, y);
    }

    /**
     * @param dy [N, H] dL/dy
     * @param dx [N, H] receives dL/dx (must not be dy), or null when only γ and β need gradients
     * @param work unused (kept for callers of the unfused form)
     */
    public void backward(INDArray xHat, INDArray rstd, INDArray dy, INDArray dx, INDArray work) {
        ResidualNorm.backward(xHat, rstd, gamma, dy, dx, false, null, null, gradGamma, gradBeta, null);
    }

    /**
     * The backward of the joined forward.
     *
     * @param ds [N, H] receives (or, with {@code accumulate}, adds) dL/ds, the residual's gradient
     * @param mask the forward's dropout mask, or null
     * @param dBranch [N, H] receives dL/da = ds ⊙ mask, or null (not with {@code accumulate})
     */
    public void backward(INDArray xHat, INDArray rstd, INDArray dy, INDArray ds, boolean accumulate, INDArray mask,
            INDArray dBranch) {
        ResidualNorm.backward(xHat, rstd, gamma, dy, ds, accumulate, mask, dBranch, gradGamma, gradBeta, null);
    }
}

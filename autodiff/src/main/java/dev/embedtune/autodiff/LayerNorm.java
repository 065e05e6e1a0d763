package dev.embedtune.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * LayerNorm over the last axis of {@code [M, H]} (β null for a norm without bias, as ModernBERT's):
 * {@code x̂ = (x − mean) / √(var + eps)}, {@code y = x̂·γ + β}. Backward:
 * <pre>
 *   g = dy·γ;   dx = rstd · (g − mean(g) − x̂ · mean(g·x̂))
 *   dγ += Σ_rows dy ⊙ x̂;   dβ += Σ_rows dy          (only when γ, β train)
 * </pre>
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
     * @param x [M, H] input (left unchanged unless it is {@code xHat})
     * @param xHat [M, H] receives x̂ (saved for backward)
     * @param rstd [M, 1] receives 1/√(var + eps)
     * @param y [M, H] output (may be x)
     */
    public void forward(INDArray x, INDArray xHat, INDArray rstd, INDArray y) {
        INDArray mean = x.mean(true, 1);
        xHat.assign(x).subiColumnVector(mean);
        INDArray variance = (y == x ? xHat.mul(xHat) : xHat.mul(xHat, y)).mean(true, 1);   // y as scratch when free
        rstd.assign(variance.addi(eps));
        Transforms.sqrt(rstd, false).rdivi(1);
        xHat.muliColumnVector(rstd);
        y.assign(xHat).muliRowVector(gamma);
        if (beta != null) {
            y.addiRowVector(beta);
        }
    }

    /**
     * @param xHat, rstd as saved by forward
     * @param dy [M, H] dL/dy
     * @param dx [M, H] receives dL/dx (must not be dy), or null when only γ and β need gradients
     * @param work [M, H] scratch, overwritten
     */
    public void backward(INDArray xHat, INDArray rstd, INDArray dy, INDArray dx, INDArray work) {
        if (gradGamma != null) {
            gradGamma.addi(work.assign(dy).muli(xHat).sum(0));
            if (gradBeta != null) {
                gradBeta.addi(dy.sum(0));
            }
        }
        if (dx == null) {
            return;
        }
        INDArray g = dx.assign(dy).muliRowVector(gamma);
        INDArray meanG = g.mean(true, 1);
        INDArray meanGx = work.assign(g).muli(xHat).mean(true, 1);
        g.subiColumnVector(meanG);
        g.subi(work.assign(xHat).muliColumnVector(meanGx));
        g.muliColumnVector(rstd);
    }
}

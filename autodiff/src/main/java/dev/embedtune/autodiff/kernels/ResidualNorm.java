package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A branch's output joined to the residual stream and normalised, in one pass over each row
 * (rows {@code [N, H]}; bias, mask and residual each optional):
 * <pre>
 *   s = (a + b) ⊙ m + x                     (m: dropout mask, 0 or 1/(1−p))
 *   y = x̂ · γ + β,   x̂ = (s − mean(s)) · rstd,   rstd = 1/√(var(s) + eps)
 * backward, for dL/dy:
 *   ds = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)),   g = dy ⊙ γ       (dL/ds: the residual's gradient)
 *   da = ds ⊙ m                                                     (the branch's gradient)
 *   dγ += Σ_rows dy ⊙ x̂,   dβ += Σ_rows dy,   db += Σ_rows da       (where they train)
 * </pre>
 * BERT's post-LN layers use it twice a layer ({@code LN(x + drop(dense(c) + b))}); ModernBERT's
 * pre-norm layers use it with the residual sum kept ({@code s} is the next residual). The CPU fast
 * path ({@link VectorResidualNorm}) reads each row once and writes x̂ and y; parameter gradients are
 * summed over fixed chunks of rows and the chunks in order, so they do not depend on the threads.
 */
public final class ResidualNorm {
    private ResidualNorm() {
    }

    /**
     * @param a [N, H] the branch output (bias not yet added)
     * @param bias [H] or null; mask [N, H] or null; residual [N, H] or null
     * @param beta [H] or null (a norm without bias)
     * @param xHat [N, H] receives x̂, or null when no backward follows (inference); rstd [N, 1] receives rstd
     * @param sum [N, H] receives s, or null
     * @param y [N, H] receives the output (may be {@code a} or {@code residual}, not xHat or sum)
     */
    public static void forward(INDArray a, INDArray bias, INDArray mask, INDArray residual, INDArray gamma, INDArray beta,
            double eps, INDArray xHat, INDArray rstd, INDArray sum, INDArray y) {
        if (KernelPath.fast(a, bias, mask, residual, gamma, beta, xHat, rstd, sum, y)) {
            VectorResidualNorm.forward(a, bias, mask, residual, gamma, beta, (float) eps, xHat, rstd, sum, y);
        } else {
            forwardPortable(a, bias, mask, residual, gamma, beta, eps, xHat, rstd, sum, y);
        }
    }

    public static void forwardPortable(INDArray a, INDArray bias, INDArray mask, INDArray residual, INDArray gamma,
            INDArray beta, double eps, INDArray xHat, INDArray rstd, INDArray sum, INDArray y) {
        if (xHat == null) {
            xHat = y.ulike();
        }
        INDArray s = (sum != null ? sum : xHat).assign(a);
        if (bias != null) {
            s.addiRowVector(bias);
        }
        if (mask != null) {
            s.muli(mask);
        }
        if (residual != null) {
            s.addi(residual);
        }
        INDArray mean = s.mean(true, 1);
        if (xHat != s) {
            xHat.assign(s);
        }
        xHat.subiColumnVector(mean);
        rstd.assign(xHat.mul(xHat).mean(true, 1).addi(eps));
        Transforms.sqrt(rstd, false).rdivi(1);
        xHat.muliColumnVector(rstd);
        y.assign(xHat).muliRowVector(gamma);
        if (beta != null) {
            y.addiRowVector(beta);
        }
    }

    /**
     * @param dy [N, H] dL/dy (left unchanged)
     * @param ds [N, H] receives dL/ds (or adds it, with {@code accumulate}); null when only the
     *           parameter gradients are wanted
     * @param mask the forward's dropout mask, or null
     * @param dBranch [N, H] receives ds ⊙ mask, or null (without a mask the branch's gradient is ds)
     * @param gradGamma, gradBeta, gradBias [H] gradient buffers added into, or null when frozen
     */
    public static void backward(INDArray xHat, INDArray rstd, INDArray gamma, INDArray dy, INDArray ds, boolean accumulate,
            INDArray mask, INDArray dBranch, INDArray gradGamma, INDArray gradBeta, INDArray gradBias) {
        if (accumulate && dBranch != null) {
            throw new IllegalArgumentException("an accumulated ds has no branch gradient of its own");
        }
        if (KernelPath.fast(xHat, rstd, gamma, dy, ds, mask, dBranch, gradGamma, gradBeta, gradBias)) {
            VectorResidualNorm.backward(xHat, rstd, gamma, dy, ds, accumulate, mask, dBranch, gradGamma, gradBeta, gradBias);
        } else {
            backwardPortable(xHat, rstd, gamma, dy, ds, accumulate, mask, dBranch, gradGamma, gradBeta, gradBias);
        }
    }

    public static void backwardPortable(INDArray xHat, INDArray rstd, INDArray gamma, INDArray dy, INDArray ds,
            boolean accumulate, INDArray mask, INDArray dBranch, INDArray gradGamma, INDArray gradBeta, INDArray gradBias) {
        if (gradGamma != null) {
            gradGamma.addi(dy.mul(xHat).sum(0));
        }
        if (gradBeta != null) {
            gradBeta.addi(dy.sum(0));
        }
        INDArray g = dy.mulRowVector(gamma);
        INDArray meanG = g.mean(true, 1), meanGx = g.mul(xHat).mean(true, 1);
        g.subiColumnVector(meanG).subi(xHat.mulColumnVector(meanGx)).muliColumnVector(rstd);
        if (ds != null) {
            if (accumulate) {
                ds.addi(g);
            } else {
                ds.assign(g);
            }
        }
        INDArray branch = mask == null ? g : g.mul(mask);
        if (dBranch != null) {
            dBranch.assign(branch);
        }
        if (gradBias != null) {
            gradBias.addi(branch.sum(0));
        }
    }
}

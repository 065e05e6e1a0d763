package dev.embedtune.train.trainer;

import java.util.Collection;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Clipping by global L2 norm, as {@code torch.nn.utils.clip_grad_norm_}: the norm of all gradients
 * together decides one factor for all of them, so the update keeps its direction. HF logs the norm
 * before clipping as {@code grad_norm}.
 */
public final class GradientClipping {

    /** torch's guard against dividing by a zero norm. */
    static final double EPS = 1e-6;

    private GradientClipping() {
    }

    /** {@code sqrt(Σ ‖g‖²)} over all gradients, accumulated in double. */
    public static double globalNorm(Collection<INDArray> gradients) {
        double sumSquares = 0;
        for (INDArray g : gradients) {
            double n = g.norm2Number().doubleValue();
            sumSquares += n * n;
        }
        return Math.sqrt(sumSquares);
    }

    /**
     * Scales every gradient in place by {@code maxNorm / (total + 1e-6)} when that is below 1.
     *
     * @param maxNorm the largest allowed global norm; {@code <= 0} turns clipping off (the norm is still returned)
     * @return the global norm before clipping (possibly NaN or infinite; the caller decides)
     */
    public static double clip(Collection<INDArray> gradients, double maxNorm) {
        double total = globalNorm(gradients);
        if (maxNorm > 0 && Double.isFinite(total)) {
            double coef = maxNorm / (total + EPS);
            if (coef < 1) {
                for (INDArray g : gradients) {
                    g.muli(coef);
                }
            }
        }
        return total;
    }
}

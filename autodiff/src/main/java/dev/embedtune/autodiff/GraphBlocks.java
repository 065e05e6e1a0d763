package dev.embedtune.autodiff;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * SameDiff building blocks that M2.1 lacks or gets wrong, shared by the encoder graphs
 * (see ../shared/ND4J-NOTES.md): its {@code layerNorm} takes no epsilon, its {@code gelu} is the
 * sigmoid approximation and {@code preciseGelu} is wrong.
 */
public final class GraphBlocks {
    private GraphBlocks() {
    }

    /**
     * LayerNorm over axis {@code axis} with {@code eps}; {@code beta} may be null (no bias). Give the
     * axis as a non-negative index: M2.1's keep-dims mean over −1 computes a wrong result.
     */
    public static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable gamma, SDVariable beta, double eps, int axis) {
        SDVariable centered = x.sub(x.mean(true, axis));
        SDVariable variance = centered.mul(centered).mean(true, axis);
        SDVariable y = centered.div(sd.math().sqrt(variance.add(eps))).mul(gamma);
        return beta == null ? y : y.add(beta);
    }

    /** Exact GELU: u · (1 + erf(u / √2)) / 2. */
    public static SDVariable gelu(SameDiff sd, SDVariable u) {
        return u.mul(sd.math().erf(u.mul(1.0 / Math.sqrt(2.0))).add(1.0)).mul(0.5);
    }
}

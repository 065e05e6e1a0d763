package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The bias of a linear layer and the exact (erf) GELU after it, in one pass over the GEMM's output
 * (BERT's intermediate dense: {@code [N, I]}):
 * <pre>
 *   u = z + b   (in place: z becomes u, saved for the backward)
 *   g = gelu(u) = u · (1 + erf(u/√2)) / 2
 * backward:
 *   du = dg ⊙ gelu'(u) = dg ⊙ (Φ(u) + u·φ(u)),   db += Σ_rows du   (when the bias trains)
 * </pre>
 * The CPU fast path runs {@link VectorGelu}'s formulas row by row over {@link Parallel}; the
 * portable version is {@link Gelu}'s ND4J ops after a broadcast add.
 */
public final class BiasGelu {
    private BiasGelu() {
    }

    /**
     * @param z [N, I] the GEMM output; becomes u = z + b
     * @param bias [I] or null
     * @param g [N, I] receives gelu(u)
     */
    public static void forward(INDArray z, INDArray bias, INDArray g) {
        forward(z, bias, g, true);
    }

    /**
     * As {@link #forward(INDArray, INDArray, INDArray)}; with {@code keepInput} false (no backward
     * follows) the fast path leaves z as it was and only writes g, saving a pass over [N, I].
     */
    public static void forward(INDArray z, INDArray bias, INDArray g, boolean keepInput) {
        if (KernelPath.fast(z, bias, g)) {
            VectorBiasGelu.forward(z, bias, g, keepInput);
        } else {
            if (bias != null) {
                z.addiRowVector(bias);
            }
            Gelu.forwardPortable(z, g);
        }
    }

    /**
     * @param u [N, I] as the forward left it
     * @param dg [N, I] dL/dg
     * @param du [N, I] receives dL/du (may be dg)
     * @param gradBias [I] added into, or null
     * @param work [N, I] scratch for the portable version (may be null on the fast path)
     */
    public static void backward(INDArray u, INDArray dg, INDArray du, INDArray gradBias, INDArray work) {
        if (KernelPath.fast(u, dg, du, gradBias)) {
            VectorBiasGelu.backward(u, dg, du, gradBias);
        } else {
            Gelu.backwardPortable(u, dg, du, work);
            if (gradBias != null) {
                gradBias.addi(du.sum(0));
            }
        }
    }
}

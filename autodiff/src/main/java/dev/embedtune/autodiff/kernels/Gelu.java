package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Exact (erf) GELU and its derivative, written into preallocated arrays: the portable version in
 * ND4J ops (libnd4j has no exact-GELU op in M2.1), and {@link VectorGelu} on the CPU when
 * {@link KernelPath} allows it (libnd4j's Erf is about 10× slower than a Vector API kernel here).
 */
public final class Gelu {
    private static final double INV_SQRT2 = 1 / Math.sqrt(2), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private Gelu() {
    }

    /** out = u · (1 + erf(u/√2)) / 2. {@code out} must not be {@code u}. */
    public static void forward(INDArray u, INDArray out) {
        if (KernelPath.fast(u, out)) {
            VectorGelu.forward(KernelPath.bytes(u), KernelPath.bytes(out), (int) u.length());
        } else {
            forwardPortable(u, out);
        }
    }

    public static void forwardPortable(INDArray u, INDArray out) {
        u.mul(INV_SQRT2, out);
        Nd4j.exec(new Erf(out, out));
        out.addi(1).muli(u).muli(0.5);
    }

    /**
     * du = dy · (Φ(u) + u·φ(u)); {@code du} may be {@code dy}. {@code work} ([same shape], overwritten)
     * is used only by the portable version.
     */
    public static void backward(INDArray u, INDArray dy, INDArray du, INDArray work) {
        if (KernelPath.fast(u, dy, du)) {
            VectorGelu.backward(KernelPath.bytes(u), KernelPath.bytes(dy), KernelPath.bytes(du), (int) u.length());
        } else {
            backwardPortable(u, dy, du, work);
        }
    }

    public static void backwardPortable(INDArray u, INDArray dy, INDArray du, INDArray work) {
        // du = dy·Φ(u) + dy·u·φ(u), accumulated so that du may alias dy
        u.mul(u, work).muli(-0.5);
        Nd4j.exec(new Exp(work, work));
        work.muli(u).muli(INV_SQRT_2PI);                       // u·φ(u)
        INDArray pdfTerm = work.muli(dy);                      // dy·u·φ(u)
        INDArray cdf = u.mul(INV_SQRT2);
        Nd4j.exec(new Erf(cdf, cdf));
        cdf.addi(1).muli(0.5);
        dy.mul(cdf, du).addi(pdfTerm);
    }
}

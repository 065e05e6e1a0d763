package dev.embedtune.autodiff.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.factory.Nd4j;

/** Exact (erf) GELU and its derivative, written into preallocated arrays. Portable ND4J ops. */
public final class Gelu {
    private static final double INV_SQRT2 = 1 / Math.sqrt(2), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private Gelu() {
    }

    /** out = u · (1 + erf(u/√2)) / 2. {@code out} must not be {@code u}. */
    public static void forward(INDArray u, INDArray out) {
        Nd4j.exec(new Erf(u.mul(INV_SQRT2), out));
        out.addi(1).muli(u).muli(0.5);
    }

    /** du = dy · (Φ(u) + u·φ(u)); {@code du} may be {@code dy}. */
    public static void backward(INDArray u, INDArray dy, INDArray du) {
        INDArray cdf = Nd4j.exec(new Erf(u.mul(INV_SQRT2), u.ulike()));
        cdf.addi(1).muli(0.5);
        INDArray pdf = u.mul(u).muli(-0.5);
        Nd4j.exec(new Exp(pdf, pdf));
        pdf.muli(u).muli(INV_SQRT_2PI).addi(cdf);
        dy.mul(pdf, du);
    }
}

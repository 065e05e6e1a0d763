package dev.embedtune.autodiff.kernels;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code C = alpha · op(A) · op(B) + beta · C} on 2-D row-major arrays, any of which may be a block
 * view of a larger matrix (a range of columns, e.g. the key block of a fused [N, 3H] projection):
 * rows contiguous, the row stride free.
 *
 * <p>The CPU fast path calls OpenBLAS's {@code cblas_sgemm} directly on the arrays' host memory, the
 * row stride as leading dimension: no copy of a view, and none of ND4J's per-op overhead (an op
 * name, a context, a profiling hook: 8–30 µs a call). It is the same OpenBLAS that ND4J calls;
 * OpenBLAS splits the output among its threads, never the sum over K, so results do not depend on
 * the thread count. LoRA's low-rank products (one side of the result the adapter rank) go to
 * {@link SkinnyGemm} instead, 2–5× OpenBLAS's rate on them, equal to it within float rounding
 * (SkinnyGemmTest). The portable version is {@code Nd4j.gemm} on dense arrays and one {@link Mmul}
 * op on views (every backend).
 */
public final class Gemm {
    private Gemm() {
    }

    /**
     * @param a [M, K] (or [K, M] with {@code transposeA})
     * @param b [K, N] (or [N, K] with {@code transposeB})
     * @param c [M, N], written; must not overlap a or b
     */
    public static void gemm(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha,
            double beta) {
        long m = transposeA ? a.size(1) : a.size(0), k = transposeA ? a.size(0) : a.size(1);
        long n = transposeB ? b.size(0) : b.size(1), kb = transposeB ? b.size(1) : b.size(0);
        if (k != kb || c.size(0) != m || c.size(1) != n) {
            throw new IllegalArgumentException("gemm shapes: op(A) [" + m + ", " + k + "], op(B) [" + kb + ", " + n
                    + "], C " + java.util.Arrays.toString(c.shape()));
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (fast(a, b, c)) {
            if (KernelPath.cpuVector() && SkinnyGemm.applies(m, n, k, transposeA, transposeB) && SkinnyGemm.addressable(a, b, c)) {
                SkinnyGemm.gemm(a, b, c, transposeA, transposeB, (float) alpha, (float) beta);
                return;
            }
            openblas(a, b, c, transposeA, transposeB, alpha, beta);
        } else {
            portable(a, b, c, transposeA, transposeB, alpha, beta);
        }
    }

    /** OpenBLAS's cblas_sgemm on the arrays' host memory (CPU; arrays as {@link #fast} checks). */
    static void openblas(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha,
            double beta) {
        long m = transposeA ? a.size(1) : a.size(0), k = transposeA ? a.size(0) : a.size(1);
        long n = transposeB ? b.size(0) : b.size(1);
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transposeA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transposeB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                (int) m, (int) n, (int) k, (float) alpha, pointer(a), (int) a.stride(0), pointer(b), (int) b.stride(0),
                (float) beta, pointer(c), (int) c.stride(0));
    }

    public static void portable(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double alpha,
            double beta) {
        if (!a.isView() && !b.isView() && !c.isView()) {
            Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
        } else {
            Nd4j.exec(new Mmul(a, b, c, alpha, beta, MMulTranspose.builder().transposeA(transposeA).transposeB(transposeB).build()));
        }
    }

    /** CPU backend, FLOAT, row-major with contiguous rows, and no empty dimension. */
    static boolean fast(INDArray... arrays) {
        if (!KernelPath.cpuBackend()) {
            return false;
        }
        for (INDArray x : arrays) {
            if (x.dataType() != DataType.FLOAT || x.rank() != 2 || x.ordering() != 'c' || x.stride(1) != 1
                    && x.size(1) != 1 || x.stride(0) < x.size(1)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The address of the array's first element. Built from the host buffer ({@link KernelPath#bytes},
     * the original buffer positioned at the array's offset): a view's own {@code addressPointer()}
     * already includes its offset, so adding {@code offset()} to it would count the offset twice.
     */
    private static FloatPointer pointer(INDArray x) {
        return new FloatPointer(KernelPath.bytes(x).asFloatBuffer());
    }
}

package dev.embedtune.autodiff.kernels;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whole rows copied between the packed token layout and the padded one (see
 * {@link dev.embedtune.autodiff.TokenLayout}): {@code dst[i] = src[rows[i]]} (gather) and
 * {@code dst[rows[i]] = src[i]} (scatter). The CPU fast path copies host memory row by row; the
 * portable version is one Gather op.
 */
public final class RowCopy {
    private RowCopy() {
    }

    /** dst [n, W] ← rows of src [S, W]. */
    public static void gather(INDArray src, int[] rows, INDArray dst) {
        check(src, dst, rows.length, dst.size(0));
        if (KernelPath.fast(src, dst)) {
            FloatBuffer s = KernelPath.floats(src), d = KernelPath.floats(dst);
            int w = (int) src.size(1);
            float[] row = new float[w];
            for (int i = 0; i < rows.length; i++) {
                s.get(rows[i] * w, row, 0, w);
                d.put(i * w, row, 0, w);
            }
        } else {
            Gather g = new Gather(src, Nd4j.createFromArray(rows), 0);
            g.addOutputArgument(dst);
            Nd4j.exec(g);
        }
    }

    /** Rows of dst [D, W] ← src [n, W]; other rows of dst are left as they are. */
    public static void scatter(INDArray src, int[] rows, INDArray dst) {
        check(src, dst, rows.length, src.size(0));
        if (KernelPath.fast(src, dst)) {
            FloatBuffer s = KernelPath.floats(src), d = KernelPath.floats(dst);
            int w = (int) src.size(1);
            float[] row = new float[w];
            for (int i = 0; i < rows.length; i++) {
                s.get(i * w, row, 0, w);
                d.put(rows[i] * w, row, 0, w);
            }
        } else {
            // one Gather from [src; dst]: row j of dst takes src's row that lands there, else its own
            int n = rows.length;
            int[] from = new int[(int) dst.size(0)];
            for (int j = 0; j < from.length; j++) {
                from[j] = n + j;
            }
            for (int i = 0; i < n; i++) {
                from[rows[i]] = i;
            }
            INDArray joined = Nd4j.concat(0, src, dst), out = dst.ulike();
            Gather g = new Gather(joined, Nd4j.createFromArray(from), 0);
            g.addOutputArgument(out);
            Nd4j.exec(g);
            dst.assign(out);
        }
    }

    private static void check(INDArray src, INDArray dst, int rows, long expected) {
        if (src.size(1) != dst.size(1) || rows != expected) {
            throw new IllegalArgumentException("row copy of " + rows + " rows between " + java.util.Arrays.toString(src.shape())
                    + " and " + java.util.Arrays.toString(dst.shape()));
        }
    }
}

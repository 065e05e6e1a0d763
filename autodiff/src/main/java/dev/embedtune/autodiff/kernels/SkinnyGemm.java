package dev.embedtune.autodiff.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CPU fast path of {@link Gemm} for LoRA's low-rank products, where one side of the result is the
 * adapter rank r (8–32) and the other thousands of token rows or features. OpenBLAS packs and splits
 * such products as if they were square and reaches 20–65 GFLOP/s on them here (a fifth of its rate on
 * the layers' GEMMs); they were a fifth of a MiniLM training step. Two shapes:
 * <pre>
 *   narrow output:  C [m, n] = α·A·op(B) + β·C,   n ≤ 32             x·Aᵀ (forward), dy·B (backward)
 *   outer sums:     C [m, n] = α·Aᵀ·B + β·C,      m or n ≤ 32        dBᵀ = (x·Aᵀ)ᵀ·dy, dA = (dy·B)ᵀ·x
 *   low-rank update: C [m, n] = α·A·B + β·C,      k ≤ 32             the merge W + s·B·A
 * </pre>
 * The narrow side is copied to the heap once (it is small: [k, r]) and held in registers; the wide
 * operand streams from native memory once. Each output element is one task's sum over k in order, so
 * the result depends neither on the thread count nor on the schedule.
 */
final class SkinnyGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** The largest narrow side of an outer sum (its rows are held as 16 accumulators, in blocks). */
    static final int MAX_NARROW = 32;
    /** Token rows per task of a narrow-output product. */
    private static final int ROWS_PER_TASK = 64;

    private SkinnyGemm() {
    }

    /** Whether {@link #gemm} takes this product (shapes as {@link Gemm#gemm}'s). */
    static boolean applies(long m, long n, long k, boolean transposeA, boolean transposeB) {
        if (!transposeA && !transposeB && k <= MAX_NARROW && m >= 64 && n >= 4L * LANES && (m + n) * k <= 1 << 17) {
            return true;                                   // low-rank update
        }
        if (!transposeA) {
            return n <= MAX_NARROW && m >= 2L * ROWS_PER_TASK && k * MAX_NARROW <= 1 << 17;
        }
        return !transposeB && Math.min(m, n) <= MAX_NARROW && Math.max(m, n) >= LANES && k >= 256
                && k * Math.min(m, n) <= 1 << 20;
    }

    /** Whether every operand spans less than 2 GB (a ByteBuffer's reach; larger ones go to OpenBLAS). */
    static boolean addressable(INDArray... arrays) {
        for (INDArray x : arrays) {
            if (!addressable(x.size(0), x.stride(0), x.size(1))) {
                return false;
            }
        }
        return true;
    }

    /** Whether a matrix of {@code rows} rows {@code rowStride} floats apart, {@code columns} each, spans less than 2 GB. */
    static boolean addressable(long rows, long rowStride, long columns) {
        long floats = rows == 0 ? 0 : (rows - 1) * rowStride + columns;
        return floats * Float.BYTES <= Integer.MAX_VALUE;
    }

    static void gemm(INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, float alpha, float beta) {
        if (!transposeA && !transposeB && a.size(1) <= MAX_NARROW && c.size(1) >= 4L * LANES) {
            lowRankUpdate(a, b, c, alpha, beta);
        } else if (!transposeA) {
            narrowOutput(a, b, c, transposeB, alpha, beta);
        } else if (c.size(0) <= c.size(1)) {
            outerSums(a, b, c, false, alpha, beta);      // m narrow: C = Aᵀ·B row by row
        } else {
            outerSums(b, a, c, true, alpha, beta);       // n narrow: Cᵀ = Bᵀ·A, written transposed
        }
    }

    /** The native memory of a row-major matrix whose rows may be strided: byte 0 is its first element. */
    private static ByteBuffer span(INDArray x) {
        long rows = x.size(0), columns = x.size(1), ld = x.stride(0);
        long floats = rows == 0 ? 0 : (rows - 1) * ld + columns;
        return new BytePointer(x.data().addressPointer()).capacity(floats * Float.BYTES).asByteBuffer().order(ORDER);
    }

    /**
     * The matrix (or its transpose) as a dense heap array [rows][width], width ≥ its columns, zero-padded:
     * {@code into} when it is large enough (a calling thread's scratch, reused call after call so that the
     * heap does not grow with the calls), else a new array.
     */
    private static float[] heap(INDArray x, boolean transpose, int width, float[] into) {
        int rows = (int) (transpose ? x.size(1) : x.size(0)), columns = (int) (transpose ? x.size(0) : x.size(1));
        int ld = (int) x.stride(0);
        ByteBuffer src = span(x);
        float[] out = into.length >= rows * width ? into : new float[rows * width];
        for (int i = 0; i < rows; i++) {
            if (!transpose) {
                load(src, i * ld, out, i * width, columns);
            } else {
                for (int j = 0; j < columns; j++) {
                    out[i * width + j] = src.getFloat((j * ld + i) * Float.BYTES);
                }
            }
            Arrays.fill(out, i * width + columns, (i + 1) * width, 0f);
        }
        return out;
    }

    private static final class Scratch {
        float[] rows = new float[0], out = new float[0];
        /** The calling thread's copies of the narrow operands (read by every task of its call). */
        float[] first = new float[0], second = new float[0];
        ByteBuffer column = ByteBuffer.allocate(0);

        float[] rows(int n) {
            if (rows.length < n) {
                rows = new float[n];
            }
            return rows;
        }

        float[] out(int n) {
            if (out.length < n) {
                out = new float[n];
            }
            return out;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    // ---- narrow output: C [m, n] = α·A [m, k]·op(B) [k, n] + β·C, n ≤ 32 -------------------------------

    private static void narrowOutput(INDArray a, INDArray b, INDArray c, boolean transposeB, float alpha, float beta) {
        int m = (int) a.size(0), k = (int) a.size(1), n = (int) c.size(1);
        int width = (n + LANES - 1) / LANES * LANES;
        Scratch caller = SCRATCH.get();
        float[] bk = caller.first = heap(b, transposeB, width, caller.first);     // op(B) as [k][width]
        ByteBuffer fa = span(a), fc = span(c);
        int lda = (int) a.stride(0), ldc = (int) c.stride(0);
        Parallel.forEachChunk(m, ROWS_PER_TASK, (task, from, to) -> {
            Scratch s = SCRATCH.get();
            float[] rows = s.rows(8 * k), out = s.out(8 * width);
            for (int i = from; i < to; i += 8) {
                int block = Math.min(8, to - i);
                for (int r = 0; r < block; r++) {
                    load(fa, (i + r) * lda, rows, r * k, k);
                }
                if (block == 8) {
                    int j = 0;
                    for (; j + 2 * LANES <= width; j += 2 * LANES) {
                        eightRowsTwoVectors(rows, k, bk, width, j, out);
                    }
                    if (j < width) {
                        eightRowsOneVector(rows, k, bk, width, j, out);
                    }
                } else {
                    for (int r = 0; r < block; r++) {
                        oneRow(rows, r * k, k, bk, width, out, r * width);
                    }
                }
                for (int r = 0; r < block; r++) {
                    store(out, r * width, fc, (i + r) * ldc, n, alpha, beta);
                }
            }
        });
    }

    /** Rows 0..7 of a, columns [j, j + LANES) of b [k][width], into out [8][width]. */
    private static void eightRowsOneVector(float[] a, int k, float[] b, int width, int j, float[] out) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int p = 0; p < k; p++) {
            FloatVector bv = FloatVector.fromArray(S, b, p * width + j);
            c0 = bv.fma(FloatVector.broadcast(S, a[p]), c0);
            c1 = bv.fma(FloatVector.broadcast(S, a[k + p]), c1);
            c2 = bv.fma(FloatVector.broadcast(S, a[2 * k + p]), c2);
            c3 = bv.fma(FloatVector.broadcast(S, a[3 * k + p]), c3);
            c4 = bv.fma(FloatVector.broadcast(S, a[4 * k + p]), c4);
            c5 = bv.fma(FloatVector.broadcast(S, a[5 * k + p]), c5);
            c6 = bv.fma(FloatVector.broadcast(S, a[6 * k + p]), c6);
            c7 = bv.fma(FloatVector.broadcast(S, a[7 * k + p]), c7);
        }
        c0.intoArray(out, j);
        c1.intoArray(out, width + j);
        c2.intoArray(out, 2 * width + j);
        c3.intoArray(out, 3 * width + j);
        c4.intoArray(out, 4 * width + j);
        c5.intoArray(out, 5 * width + j);
        c6.intoArray(out, 6 * width + j);
        c7.intoArray(out, 7 * width + j);
    }

    /** Rows 0..7 of a, columns [j, j + 2·LANES) of b [k][width], into out [8][width]. */
    private static void eightRowsTwoVectors(float[] a, int k, float[] b, int width, int j, float[] out) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
                c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < k; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, p * width + j), b1 = FloatVector.fromArray(S, b, p * width + j + LANES);
            FloatVector v = FloatVector.broadcast(S, a[p]);
            c00 = b0.fma(v, c00);
            c01 = b1.fma(v, c01);
            v = FloatVector.broadcast(S, a[k + p]);
            c10 = b0.fma(v, c10);
            c11 = b1.fma(v, c11);
            v = FloatVector.broadcast(S, a[2 * k + p]);
            c20 = b0.fma(v, c20);
            c21 = b1.fma(v, c21);
            v = FloatVector.broadcast(S, a[3 * k + p]);
            c30 = b0.fma(v, c30);
            c31 = b1.fma(v, c31);
            v = FloatVector.broadcast(S, a[4 * k + p]);
            c40 = b0.fma(v, c40);
            c41 = b1.fma(v, c41);
            v = FloatVector.broadcast(S, a[5 * k + p]);
            c50 = b0.fma(v, c50);
            c51 = b1.fma(v, c51);
            v = FloatVector.broadcast(S, a[6 * k + p]);
            c60 = b0.fma(v, c60);
            c61 = b1.fma(v, c61);
            v = FloatVector.broadcast(S, a[7 * k + p]);
            c70 = b0.fma(v, c70);
            c71 = b1.fma(v, c71);
        }
        int w = width;
        c00.intoArray(out, j);
        c01.intoArray(out, j + LANES);
        c10.intoArray(out, w + j);
        c11.intoArray(out, w + j + LANES);
        c20.intoArray(out, 2 * w + j);
        c21.intoArray(out, 2 * w + j + LANES);
        c30.intoArray(out, 3 * w + j);
        c31.intoArray(out, 3 * w + j + LANES);
        c40.intoArray(out, 4 * w + j);
        c41.intoArray(out, 4 * w + j + LANES);
        c50.intoArray(out, 5 * w + j);
        c51.intoArray(out, 5 * w + j + LANES);
        c60.intoArray(out, 6 * w + j);
        c61.intoArray(out, 6 * w + j + LANES);
        c70.intoArray(out, 7 * w + j);
        c71.intoArray(out, 7 * w + j + LANES);
    }

    /** One row: out[j] = Σ_p a[p]·b[p][j], in the same order as the blocked kernels (bit-equal to them). */
    private static void oneRow(float[] a, int aOff, int k, float[] b, int width, float[] out, int outOff) {
        for (int j = 0; j < width; j += LANES) {
            FloatVector acc = FloatVector.zero(S);
            for (int p = 0; p < k; p++) {
                acc = FloatVector.fromArray(S, b, p * width + j).fma(FloatVector.broadcast(S, a[aOff + p]), acc);
            }
            acc.intoArray(out, outOff + j);
        }
    }

    // ---- outer sums: C [s, w] = α·Σ_t N[t, :]ᵀ ⊗ W[t, :] + β·C (or C [w, s] = its transpose) ---------------------

    /**
     * @param narrow N [k, s], s ≤ {@link #MAX_NARROW}: copied to the heap
     * @param wide W [k, w]: streamed from native memory, one vector of columns per task
     * @param transposed write the result as C [w, s]
     */
    private static void outerSums(INDArray narrow, INDArray wide, INDArray c, boolean transposed, float alpha, float beta) {
        int k = (int) narrow.size(0), s = (int) narrow.size(1), w = (int) wide.size(1);
        int sPadded = (s + 15) / 16 * 16;
        Scratch caller = SCRATCH.get();
        float[] nk = caller.first = heap(narrow, false, sPadded, caller.first);   // [k][sPadded], zero-padded rows of 16
        ByteBuffer fw = span(wide), fc = span(c);
        int ldw = (int) wide.stride(0), ldc = (int) c.stride(0);
        int strips = (w + LANES - 1) / LANES;
        Parallel.forEach(strips, strip -> {
            int j = strip * LANES, columns = Math.min(LANES, w - j);
            Scratch scratch = SCRATCH.get();
            float[] out = scratch.out(sPadded * LANES);
            if (columns == LANES) {                       // whole vectors: read W's strip where it lies
                for (int i = 0; i < sPadded; i += 16) {
                    sixteenRows(nk, sPadded, i, fw, ldw, j, k, out, i * LANES);
                }
            } else {                                      // the last, partial strip: zero-padded in a heap buffer
                if (scratch.column.capacity() < k * LANES * Float.BYTES) {
                    scratch.column = ByteBuffer.allocate(k * LANES * Float.BYTES).order(ORDER);
                }
                ByteBuffer column = scratch.column;
                for (int t = 0; t < k; t++) {
                    for (int e = 0; e < LANES; e++) {
                        column.putFloat((t * LANES + e) * Float.BYTES, e < columns ? fw.getFloat((t * ldw + j + e) * Float.BYTES) : 0f);
                    }
                }
                for (int i = 0; i < sPadded; i += 16) {
                    sixteenRows(nk, sPadded, i, column, LANES, 0, k, out, i * LANES);
                }
            }
            for (int i = 0; i < s; i++) {
                for (int e = 0; e < columns; e++) {
                    int row = transposed ? j + e : i, col = transposed ? i : j + e;
                    int at = (row * ldc + col) * Float.BYTES;
                    float v = alpha * out[i * LANES + e];
                    fc.putFloat(at, beta == 0f ? v : v + beta * fc.getFloat(at));
                }
            }
        });
    }

    /** out[i][:] = Σ_t n[t][i0 + i]·W[t][j .. j + LANES) for 16 rows i (W's rows ldw floats apart). */
    private static void sixteenRows(float[] n, int ldn, int i0, ByteBuffer w, int ldw, int j, int k, float[] out, int outOff) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
                c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
        for (int t = 0; t < k; t++) {
            FloatVector v = FloatVector.fromByteBuffer(S, w, (t * ldw + j) * Float.BYTES, ORDER);
            int r = t * ldn + i0;
            c0 = v.fma(FloatVector.broadcast(S, n[r]), c0);
            c1 = v.fma(FloatVector.broadcast(S, n[r + 1]), c1);
            c2 = v.fma(FloatVector.broadcast(S, n[r + 2]), c2);
            c3 = v.fma(FloatVector.broadcast(S, n[r + 3]), c3);
            c4 = v.fma(FloatVector.broadcast(S, n[r + 4]), c4);
            c5 = v.fma(FloatVector.broadcast(S, n[r + 5]), c5);
            c6 = v.fma(FloatVector.broadcast(S, n[r + 6]), c6);
            c7 = v.fma(FloatVector.broadcast(S, n[r + 7]), c7);
            c8 = v.fma(FloatVector.broadcast(S, n[r + 8]), c8);
            c9 = v.fma(FloatVector.broadcast(S, n[r + 9]), c9);
            c10 = v.fma(FloatVector.broadcast(S, n[r + 10]), c10);
            c11 = v.fma(FloatVector.broadcast(S, n[r + 11]), c11);
            c12 = v.fma(FloatVector.broadcast(S, n[r + 12]), c12);
            c13 = v.fma(FloatVector.broadcast(S, n[r + 13]), c13);
            c14 = v.fma(FloatVector.broadcast(S, n[r + 14]), c14);
            c15 = v.fma(FloatVector.broadcast(S, n[r + 15]), c15);
        }
        c0.intoArray(out, outOff);
        c1.intoArray(out, outOff + LANES);
        c2.intoArray(out, outOff + 2 * LANES);
        c3.intoArray(out, outOff + 3 * LANES);
        c4.intoArray(out, outOff + 4 * LANES);
        c5.intoArray(out, outOff + 5 * LANES);
        c6.intoArray(out, outOff + 6 * LANES);
        c7.intoArray(out, outOff + 7 * LANES);
        c8.intoArray(out, outOff + 8 * LANES);
        c9.intoArray(out, outOff + 9 * LANES);
        c10.intoArray(out, outOff + 10 * LANES);
        c11.intoArray(out, outOff + 11 * LANES);
        c12.intoArray(out, outOff + 12 * LANES);
        c13.intoArray(out, outOff + 13 * LANES);
        c14.intoArray(out, outOff + 14 * LANES);
        c15.intoArray(out, outOff + 15 * LANES);
    }

    // ---- low-rank update: C [m, n] = α·A [m, k]·B [k, n] + β·C, k ≤ 32 (a LoRA merge W + s·B·A) --------------------

    private static void lowRankUpdate(INDArray a, INDArray b, INDArray c, float alpha, float beta) {
        int m = (int) a.size(0), k = (int) a.size(1), n = (int) c.size(1);
        int width = (n + LANES - 1) / LANES * LANES;
        Scratch caller = SCRATCH.get();
        float[] ak = caller.first = heap(a, false, k, caller.first);
        float[] bk = caller.second = heap(b, false, width, caller.second);
        ByteBuffer fc = span(c);
        int ldc = (int) c.stride(0);
        Parallel.forEachChunk(m, 16, (task, from, to) -> {
            float[] out = SCRATCH.get().out(width);
            for (int i = from; i < to; i++) {
                for (int j = 0; j < width; j += LANES) {
                    FloatVector acc = FloatVector.zero(S);
                    for (int p = 0; p < k; p++) {
                        acc = FloatVector.fromArray(S, bk, p * width + j).fma(FloatVector.broadcast(S, ak[i * k + p]), acc);
                    }
                    acc.intoArray(out, j);
                }
                if (n % LANES == 0) {
                    FloatVector va = FloatVector.broadcast(S, alpha), vb = FloatVector.broadcast(S, beta);
                    for (int j = 0; j < n; j += LANES) {
                        int at = (i * ldc + j) * Float.BYTES;
                        FloatVector v = FloatVector.fromArray(S, out, j).mul(va);
                        if (beta != 0f) {
                            v = v.add(FloatVector.fromByteBuffer(S, fc, at, ORDER).mul(vb));
                        }
                        v.intoByteBuffer(fc, at, ORDER);
                    }
                } else {
                    store(out, 0, fc, i * ldc, n, alpha, beta);
                }
            }
        });
    }

    // ---- rows between native memory and the heap ------------------------------------------------------------------

    private static void load(ByteBuffer src, int index, float[] dst, int at, int length) {
        int e = 0;
        for (int bound = S.loopBound(length); e < bound; e += LANES) {
            FloatVector.fromByteBuffer(S, src, (index + e) * Float.BYTES, ORDER).intoArray(dst, at + e);
        }
        for (; e < length; e++) {
            dst[at + e] = src.getFloat((index + e) * Float.BYTES);
        }
    }

    /** c[index .. index + n) = α·out + β·c (β = 0: c is not read, so NaN garbage in it does not leak). */
    private static void store(float[] out, int at, ByteBuffer c, int index, int n, float alpha, float beta) {
        for (int e = 0; e < n; e++) {
            int pos = (index + e) * Float.BYTES;
            float v = alpha * out[at + e];
            c.putFloat(pos, beta == 0f ? v : v + beta * c.getFloat(pos));
        }
    }
}

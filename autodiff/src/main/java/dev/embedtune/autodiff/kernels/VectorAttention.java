package dev.embedtune.autodiff.kernels;

import dev.embedtune.autodiff.TokenLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CPU fast path of {@link PackedAttention}: one task per (sequence, head) over {@link Parallel}. A
 * task copies its sequence's q (bias added, rotated, scaled by 1/√D), k and v rows into heap
 * scratch (k and v also transposed), then walks the queries in blocks of {@value #QUERY_BLOCK}: the
 * block's scores against the visible keys (all of the sequence's, or a band on local layers), a
 * softmax per row, and the products with v, all with {@link SmallGemm}. Only each row's
 * log-sum-exp is kept; the backward rebuilds P from it with the same products in the same order, so
 * the recomputed P equals the forward's bit for bit. Row lengths are padded with zero columns to the
 * vector length.
 */
final class VectorAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SmallGemm.LANES;
    private static final int QUERY_BLOCK = 64;

    /** One thread's scratch, grown on demand. */
    private static final class Scratch {
        float[] q = new float[0], k = new float[0], v = new float[0], kt = new float[0], vt = new float[0],
                dc = new float[0], c = new float[0], dq = new float[0], dk = new float[0], dv = new float[0],
                s = new float[0], p = new float[0], dp = new float[0], m = new float[0], row = new float[0];
        float[] rowDot = new float[0], lse = new float[0];

        static float[] fit(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }

        void fit(int length, int width, int ldt, int lds) {
            int rows = length * width, cols = width * ldt, block = QUERY_BLOCK * lds;
            q = fit(q, rows);
            k = fit(k, rows);
            v = fit(v, rows);
            dc = fit(dc, rows);
            c = fit(c, rows);
            dq = fit(dq, rows);
            dk = fit(dk, rows);
            dv = fit(dv, rows);
            kt = fit(kt, cols);
            vt = fit(vt, cols);
            s = fit(s, block);
            p = fit(p, block);
            dp = fit(dp, block);
            m = fit(m, block);
            row = fit(row, Math.max(width, 2 * LANES));
            rowDot = fit(rowDot, length);
            lse = fit(lse, length);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /**
     * dst[at, at + d) = the d floats of src from float index {@code index}. A head row is 32–64
     * floats: vector loads beat FloatBuffer's bulk get, whose per-call cost is most of such a copy.
     */
    private static void rowIn(ByteBuffer src, int index, float[] dst, int at, int d) {
        int e = 0;
        for (int bound = S.loopBound(d); e < bound; e += S.length()) {
            FloatVector.fromByteBuffer(S, src, (index + e) * Float.BYTES, ORDER).intoArray(dst, at + e);
        }
        for (; e < d; e++) {
            dst[at + e] = src.getFloat((index + e) * Float.BYTES);
        }
    }

    /** The d floats of src from {@code at} into dst at float index {@code index}. */
    private static void rowOut(float[] src, int at, ByteBuffer dst, int index, int d) {
        int e = 0;
        for (int bound = S.loopBound(d); e < bound; e += S.length()) {
            FloatVector.fromArray(S, src, at + e).intoByteBuffer(dst, (index + e) * Float.BYTES, ORDER);
        }
        for (; e < d; e++) {
            dst.putFloat((index + e) * Float.BYTES, src[at + e]);
        }
    }

    private VectorAttention() {
    }

    /** Shapes and tables shared by every task of one call. */
    private static final class Call {
        final TokenLayout layout;
        final AttentionSettings s;
        final int heads, h, d, dp, t;
        final float scale;
        final float[] bias;
        final float[][] cos, sin;
        final ByteBuffer qkv;

        Call(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings s) {
            this.layout = layout;
            this.s = s;
            this.heads = s.heads();
            this.h = (int) qkv.size(1) / 3;
            this.d = h / heads;
            this.dp = SmallGemm.padded(d);
            this.t = layout.paddedLength();
            this.scale = (float) (1 / Math.sqrt(d));
            this.bias = bias == null ? null : bias.toFloatVector();
            this.cos = s.rotary() ? s.cos().toFloatMatrix() : null;
            this.sin = s.rotary() ? s.sin().toFloatMatrix() : null;
            this.qkv = KernelPath.bytes(qkv);
        }

        /**
         * Loads block {@code which} (0 q, 1 k, 2 v) of head n for the sequence's rows into dst
         * [length, dp] (zero columns from d on): bias added, q and k rotated, q scaled.
         */
        void load(int which, int n, int start, int length, float[] dst, float[] row) {
            int column = which * h + n * d;
            for (int i = 0; i < length; i++) {
                int at = i * dp;
                rowIn(qkv, (start + i) * 3 * h + column, dst, at, d);
                if (bias != null) {
                    for (int e = 0; e < d; e++) {
                        dst[at + e] += bias[column + e];
                    }
                }
                if (cos != null && which < 2) {
                    rotate(dst, at, layout.position(start + i), false, row);
                }
                if (which == 0) {
                    for (int e = 0; e < d; e++) {
                        dst[at + e] *= scale;
                    }
                }
                Arrays.fill(dst, at + d, at + dp, 0f);
            }
        }

        /** Rotate-half RoPE of one head row at position pos (inverse: sin negated). */
        void rotate(float[] x, int at, int pos, boolean inverse, float[] tmp) {
            int half = d / 2;
            float[] c = cos[pos], sn = sin[pos];
            for (int e = 0; e < half; e++) {
                float x1 = x[at + e], x2 = x[at + half + e], si = inverse ? -sn[e] : sn[e];
                tmp[e] = x1 * c[e] - x2 * si;
                tmp[half + e] = x2 * c[e] + x1 * si;
            }
            System.arraycopy(tmp, 0, x, at, d);
        }

        /** The first key row a query row sees (rows before it are out of reach). */
        int firstKey(int start, int length, int query) {
            if (s.reach() == AttentionSettings.GLOBAL) {
                return 0;
            }
            int pos = layout.position(start + query), j = Math.max(0, query - s.reach());
            while (j < length && layout.position(start + j) < pos - s.reach()) {
                j++;
            }
            return j;
        }

        /** One past the last key row a query row sees. */
        int endKey(int start, int length, int query) {
            if (s.reach() == AttentionSettings.GLOBAL) {
                return length;
            }
            int pos = layout.position(start + query), j = (int) Math.min(length, (long) query + s.reach() + 1);
            while (j > 0 && layout.position(start + j - 1) > pos + s.reach()) {
                j--;
            }
            return j;
        }

        /** Fills mask rows [0, rows) × key columns [0, keys) (keys from key row ks) of a query block. */
        void dropMask(int b, int n, int start, int qs, int rows, int ks, int keys, float[] m, int lds) {
            long seed = DropoutMask.siteSeed(s.rowSeeds()[b], s.site());
            float keep = (float) (1 / (1 - s.dropout()));
            long threshold = DropoutMask.threshold(s.dropout());
            for (int i = 0; i < rows; i++) {
                long base = ((long) n * t + layout.position(start + qs + i)) * t;
                for (int j = 0; j < keys; j++) {
                    m[i * lds + j] = DropoutMask.keeps(seed, base + layout.position(start + ks + j), threshold) ? keep : 0f;
                }
            }
        }
    }

    static void forward(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings settings, INDArray context,
            INDArray logSumExp) {
        Call call = new Call(layout, qkv, bias, settings);
        ByteBuffer out = KernelPath.bytes(context);
        FloatBuffer lseOut = KernelPath.floats(logSumExp);
        int heads = call.heads, d = call.d, dp = call.dp, h = call.h;
        Parallel.forEach(layout.batch() * heads, task -> {
            int b = task / heads, n = task % heads;
            int start = layout.start(b), length = layout.length(b);
            int lp = SmallGemm.padded(length), ldt = lp + LANES, lds = lp + LANES;
            Scratch sc = SCRATCH.get();
            sc.fit(length, dp, ldt, lds);
            call.load(0, n, start, length, sc.q, sc.row);
            call.load(1, n, start, length, sc.k, sc.row);
            call.load(2, n, start, length, sc.v, sc.row);
            transpose(sc.k, length, dp, sc.kt, ldt);
            for (int qs = 0; qs < length; qs += QUERY_BLOCK) {
                int rows = Math.min(QUERY_BLOCK, length - qs);
                int ks = call.firstKey(start, length, qs), ke = call.endKey(start, length, qs + rows - 1);
                int keys = ke - ks, width = SmallGemm.padded(keys);
                SmallGemm.ab(sc.q, qs * dp, dp, sc.kt, ks, ldt, sc.s, 0, lds, rows, width, d, false);
                for (int i = 0; i < rows; i++) {
                    int lo = call.firstKey(start, length, qs + i) - ks, hi = call.endKey(start, length, qs + i) - ks;
                    sc.lse[qs + i] = softmax(sc.s, i * lds, lo, hi, width);
                }
                if (settings.dropping()) {
                    call.dropMask(b, n, start, qs, rows, ks, keys, sc.m, lds);
                    multiply(sc.s, sc.m, rows, keys, lds);
                }
                SmallGemm.ab(sc.s, 0, lds, sc.v, ks * dp, dp, sc.c, qs * dp, dp, rows, dp, keys, false);
            }
            for (int i = 0; i < length; i++) {
                rowOut(sc.c, i * dp, out, (start + i) * h + n * d, d);
                lseOut.put((start + i) * heads + n, sc.lse[i]);
            }
        });
    }

    static void backward(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings settings, INDArray context,
            INDArray logSumExp, INDArray dContext, INDArray dQkv) {
        Call call = new Call(layout, qkv, bias, settings);
        ByteBuffer c = KernelPath.bytes(context), dC = KernelPath.bytes(dContext), dOut = KernelPath.bytes(dQkv);
        FloatBuffer lse = KernelPath.floats(logSumExp);
        int heads = call.heads, d = call.d, dp = call.dp, h = call.h;
        Parallel.forEach(layout.batch() * heads, task -> {
            int b = task / heads, n = task % heads;
            int start = layout.start(b), length = layout.length(b);
            int lp = SmallGemm.padded(length), ldt = lp + LANES, lds = lp + LANES;
            Scratch sc = SCRATCH.get();
            sc.fit(length, dp, ldt, lds);
            call.load(0, n, start, length, sc.q, sc.row);
            call.load(1, n, start, length, sc.k, sc.row);
            call.load(2, n, start, length, sc.v, sc.row);
            transpose(sc.k, length, dp, sc.kt, ldt);
            transpose(sc.v, length, dp, sc.vt, ldt);
            for (int i = 0; i < length; i++) {
                int at = i * dp;
                rowIn(dC, (start + i) * h + n * d, sc.dc, at, d);
                rowIn(c, (start + i) * h + n * d, sc.c, at, d);
                Arrays.fill(sc.dc, at + d, at + dp, 0f);
                float dot = 0;
                for (int e = 0; e < d; e++) {
                    dot += sc.dc[at + e] * sc.c[at + e];
                }
                sc.rowDot[i] = dot;
                sc.lse[i] = lse.get((start + i) * heads + n);
            }
            Arrays.fill(sc.dk, 0, length * dp, 0f);
            Arrays.fill(sc.dv, 0, length * dp, 0f);
            for (int qs = 0; qs < length; qs += QUERY_BLOCK) {
                int rows = Math.min(QUERY_BLOCK, length - qs);
                int ks = call.firstKey(start, length, qs), ke = call.endKey(start, length, qs + rows - 1);
                int keys = ke - ks, width = SmallGemm.padded(keys);
                // P again, from the same product and the saved log-sum-exp
                SmallGemm.ab(sc.q, qs * dp, dp, sc.kt, ks, ldt, sc.s, 0, lds, rows, width, d, false);
                for (int i = 0; i < rows; i++) {
                    int lo = call.firstKey(start, length, qs + i) - ks, hi = call.endKey(start, length, qs + i) - ks;
                    probabilities(sc.s, i * lds, lo, hi, width, sc.lse[qs + i]);
                }
                float[] dropped = sc.s;
                if (settings.dropping()) {
                    call.dropMask(b, n, start, qs, rows, ks, keys, sc.m, lds);
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < width; j++) {
                            sc.p[i * lds + j] = j < keys ? sc.s[i * lds + j] * sc.m[i * lds + j] : 0f;
                        }
                    }
                    dropped = sc.p;
                }
                SmallGemm.atb(dropped, 0, lds, sc.dc, qs * dp, dp, sc.dv, ks * dp, dp, keys, dp, rows);     // dv += P'ᵀ·dC
                SmallGemm.ab(sc.dc, qs * dp, dp, sc.vt, ks, ldt, sc.dp, 0, lds, rows, width, d, false);     // dP' = dC·vᵀ
                for (int i = 0; i < rows; i++) {
                    int at = i * lds;
                    float rowDot = sc.rowDot[qs + i];
                    if (settings.dropping()) {
                        for (int j = 0; j < keys; j++) {
                            sc.dp[at + j] = sc.s[at + j] * (sc.dp[at + j] * sc.m[at + j] - rowDot);
                        }
                        Arrays.fill(sc.dp, at + keys, at + width, 0f);
                    } else {
                        softmaxBackward(sc.s, sc.dp, at, rowDot, width);
                    }
                }
                // dq (scaled q: S = (q/√D)·kᵀ, so dq = dS·k/√D) and dk = dSᵀ·(q/√D)
                SmallGemm.ab(sc.dp, 0, lds, sc.k, ks * dp, dp, sc.dq, qs * dp, dp, rows, dp, keys, false);
                SmallGemm.atb(sc.dp, 0, lds, sc.q, qs * dp, dp, sc.dk, ks * dp, dp, keys, dp, rows);
            }
            for (int i = 0; i < length; i++) {
                int at = i * dp, r = start + i;
                for (int e = 0; e < d; e++) {
                    sc.dq[at + e] *= call.scale;
                }
                if (call.cos != null) {
                    call.rotate(sc.dq, at, layout.position(r), true, sc.row);
                    call.rotate(sc.dk, at, layout.position(r), true, sc.row);
                }
                rowOut(sc.dq, at, dOut, r * 3 * h + n * d, d);
                rowOut(sc.dk, at, dOut, r * 3 * h + h + n * d, d);
                rowOut(sc.dv, at, dOut, r * 3 * h + 2 * h + n * d, d);
            }
        });
    }

    /** dst [dp, ldt] = src [rows, dp]ᵀ, columns from rows on zero (up to ldt). */
    private static void transpose(float[] src, int rows, int dp, float[] dst, int ldt) {
        for (int e = 0; e < dp; e++) {
            int base = e * ldt;
            for (int i = 0; i < rows; i++) {
                dst[base + i] = src[i * dp + e];
            }
            Arrays.fill(dst, base + rows, base + ldt, 0f);
        }
    }

    /**
     * Softmax of row s[at + lo, at + hi) in place, every other column of [at, at + width) set to 0;
     * returns log Σ exp (with the maximum taken out).
     */
    private static float softmax(float[] s, int at, int lo, int hi, int width) {
        float max = Float.NEGATIVE_INFINITY;
        int j = lo;
        if (hi - lo >= LANES) {
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; j + LANES <= hi; j += LANES) {
                m = m.max(FloatVector.fromArray(S, s, at + j));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; j < hi; j++) {
            max = Math.max(max, s[at + j]);
        }
        float sum = VectorMath.expInPlace(s, at, lo, hi, max);
        float inv = 1f / sum;
        j = lo;
        for (; j + LANES <= hi; j += LANES) {
            FloatVector.fromArray(S, s, at + j).mul(inv).intoArray(s, at + j);
        }
        for (; j < hi; j++) {
            s[at + j] *= inv;
        }
        Arrays.fill(s, at, at + lo, 0f);
        Arrays.fill(s, at + hi, at + width, 0f);
        return max + (float) StrictMath.log(sum);
    }

    /**
     * P = exp(S − lse) over [lo, hi), 0 elsewhere in [0, width). Equal to the forward's P up to the
     * rounding of lse; the forward's own division is not reproduced, but this P is the one the
     * backward differentiates consistently.
     */
    private static void probabilities(float[] s, int at, int lo, int hi, int width, float lse) {
        VectorMath.expInPlace(s, at, lo, hi, lse);
        Arrays.fill(s, at, at + lo, 0f);
        Arrays.fill(s, at + hi, at + width, 0f);
    }

    /** dS = P ⊙ (dP − rowDot) in place of dP over a row of {@code width} (P is 0 where masked). */
    private static void softmaxBackward(float[] p, float[] dp, int at, float rowDot, int width) {
        for (int j = 0; j < width; j += LANES) {
            FloatVector pv = FloatVector.fromArray(S, p, at + j);
            FloatVector.fromArray(S, dp, at + j).sub(rowDot).mul(pv).intoArray(dp, at + j);
        }
    }

    /** s ⊙= m over rows × keys of blocks with row stride lds. */
    private static void multiply(float[] s, float[] m, int rows, int keys, int lds) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < keys; j++) {
                s[i * lds + j] *= m[i * lds + j];
            }
        }
    }
}

package dev.embedtune.autodiff.kernels;

import dev.embedtune.autodiff.TokenLayout;
import java.nio.FloatBuffer;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CPU fast path of {@link PackedAttention}. A task takes one sequence and a group of its heads (all
 * of them when there are enough sequences to keep the cores busy): it reads the sequence's q, k and
 * v rows for the group as whole row segments (one bulk copy per row and block: a head's 32–64 floats
 * at a 3H stride were each a cache and TLB miss, and the loads half the kernel's time), adds the
 * bias, rotates, scales q by 1/√D, and spreads them per head into heap scratch. Per head, it walks
 * the queries in blocks of {@value #QUERY_BLOCK}: the block's scores against the visible keys (all of
 * the sequence's, or a band on local layers), exp(score − row max) in place, the product with v, and
 * the output rows divided by their sums (D columns instead of the row's T), all with
 * {@link SmallGemm}. Only each row's log-sum-exp is kept; the backward rebuilds P from it with the
 * same products in the same order, so the recomputed P equals the forward's bit for bit. Row lengths
 * are padded with zero columns to the vector length. A head's result does not depend on which group
 * or thread computed it, so the grouping (chosen from the batch and thread count) never changes a bit.
 */
final class VectorAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SmallGemm.LANES;
    private static final int QUERY_BLOCK = 64;
    /** At most this many floats per projection in a task's scratch: bounds the head group on long sequences. */
    private static final int GROUP_FLOATS = 1 << 19;

    /** One thread's scratch, grown on demand; per-head blocks [heads][length · dp]. */
    private static final class Scratch {
        float[] q = new float[0], k = new float[0], v = new float[0], c = new float[0], dc = new float[0],
                dq = new float[0], dk = new float[0], dv = new float[0], kt = new float[0], vt = new float[0],
                s = new float[0], p = new float[0], dp = new float[0], m = new float[0], row = new float[0],
                rot = new float[0], inv = new float[0], rowDot = new float[0], lse = new float[0];

        static float[] fit(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }

        void fit(int heads, int length, int d, int dp, int ldt, int lds, boolean backward) {
            int block = heads * length * dp, cols = dp * ldt, scores = QUERY_BLOCK * lds;
            q = fit(q, block);
            k = fit(k, block);
            v = fit(v, block);
            c = fit(c, block);
            if (backward) {
                dc = fit(dc, block);
                dq = fit(dq, block);
                dk = fit(dk, block);
                dv = fit(dv, block);
                vt = fit(vt, cols);
                p = fit(p, scores);
                this.dp = fit(this.dp, scores);
            }
            kt = fit(kt, cols);
            s = fit(s, scores);
            m = fit(m, scores);
            row = fit(row, 3 * heads * d);
            rot = fit(rot, d);
            inv = fit(inv, QUERY_BLOCK);
            rowDot = fit(rowDot, heads * length);
            lse = fit(lse, heads * length);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorAttention() {
    }

    /** Shapes and tables shared by every task of one call. */
    private static final class Call {
        final TokenLayout layout;
        final AttentionSettings s;
        final int heads, h, d, dp, t, group, groups;
        final float scale;
        final float[] bias;
        final float[][] cos, sin;
        final FloatBuffer qkv;

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
            this.qkv = KernelPath.floats(qkv);
            // whole sequences per task when they give every thread a few; else split the heads
            int g = 1;
            while (g < heads && ((long) layout.batch() * g < 4L * Parallel.threads()
                    || (long) ((heads + g - 1) / g) * t * dp > GROUP_FLOATS)) {
                g++;
            }
            this.group = (heads + g - 1) / g;
            this.groups = (heads + group - 1) / group;
        }

        int tasks() {
            return layout.batch() * groups;
        }

        /** The sequence of a task. */
        int sequence(int task) {
            return task / groups;
        }

        /** The first head of a task's group. */
        int firstHead(int task) {
            return task % groups * group;
        }

        /** The heads in a task's group (the last group may be smaller). */
        int groupHeads(int task) {
            return Math.min(group, heads - firstHead(task));
        }

        /**
         * Scores of query rows [qs, qs + rows) of the head block at {@code base} against the keys
         * from key row ks (kᵀ in sc.kt), {@code width} columns, into sc.s. The forward and the
         * backward's recomputation of P both call this, so they compute the same product.
         */
        void scores(Scratch sc, int base, int qs, int rows, int ks, int width, int ldt, int lds) {
            SmallGemm.ab(sc.q, base + qs * dp, dp, sc.kt, ks, ldt, sc.s, 0, lds, rows, width, d, false);
        }

        /**
         * Loads q, k and v of heads [h0, h0 + gh) for the sequence's rows into the scratch's
         * [gh][length, dp] blocks (zero columns from d on): bias added, q and k rotated, q scaled.
         * One bulk copy per row when the group is every head (q, k, v side by side), else three.
         */
        void load(int h0, int gh, int start, int length, Scratch sc) {
            float[] row = sc.row;
            int span = gh * d;
            for (int i = 0; i < length; i++) {
                int at = (start + i) * 3 * h;
                if (gh == heads) {
                    qkv.get(at, row, 0, 3 * h);
                } else {
                    for (int which = 0; which < 3; which++) {
                        qkv.get(at + which * h + h0 * d, row, which * span, span);
                    }
                }
                int pos = layout.position(start + i);
                for (int which = 0; which < 3; which++) {
                    float[] dst = which == 0 ? sc.q : which == 1 ? sc.k : sc.v;
                    boolean rotated = cos != null && which < 2;
                    float factor = which == 0 && !rotated ? scale : 1f;
                    for (int hh = 0; hh < gh; hh++) {
                        int to = (hh * length + i) * dp, from = which * span + hh * d, column = which * h + (h0 + hh) * d;
                        biasAndScale(row, from, bias, column, dst, to, d, factor);
                        if (rotated) {
                            rotate(dst, to, pos, false, sc.rot);
                            if (which == 0) {
                                biasAndScale(dst, to, null, 0, dst, to, d, scale);
                            }
                        }
                        Arrays.fill(dst, to + d, to + dp, 0f);
                    }
                }
            }
        }

        /** Reads [N, H] rows (context or its gradient) of heads [h0, h0 + gh) into dst [gh][length, dp]. */
        void loadContext(FloatBuffer src, int h0, int gh, int start, int length, float[] dst, float[] row) {
            for (int i = 0; i < length; i++) {
                src.get((start + i) * h + h0 * d, row, 0, gh * d);
                for (int hh = 0; hh < gh; hh++) {
                    int at = (hh * length + i) * dp;
                    System.arraycopy(row, hh * d, dst, at, d);
                    Arrays.fill(dst, at + d, at + dp, 0f);
                }
            }
        }

        /** Writes src [gh][length, dp] of heads [h0, h0 + gh) into row segments of dst at {@code column}, row stride {@code ld}. */
        void store(float[] src, int gh, int start, int length, FloatBuffer dst, int ld, int column, float[] row) {
            for (int i = 0; i < length; i++) {
                for (int hh = 0; hh < gh; hh++) {
                    System.arraycopy(src, (hh * length + i) * dp, row, hh * d, d);
                }
                dst.put((start + i) * ld + column, row, 0, gh * d);
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
        FloatBuffer out = KernelPath.floats(context), lseOut = KernelPath.floats(logSumExp);
        int heads = call.heads, d = call.d, dp = call.dp, h = call.h;
        Parallel.forEach(call.tasks(), task -> {
            int b = call.sequence(task), h0 = call.firstHead(task), gh = call.groupHeads(task);
            int start = layout.start(b), length = layout.length(b);
            int lp = SmallGemm.padded(length), ldt = lp + LANES, lds = lp + LANES;
            Scratch sc = SCRATCH.get();
            sc.fit(gh, length, d, dp, ldt, lds, false);
            call.load(h0, gh, start, length, sc);
            for (int hh = 0; hh < gh; hh++) {
                int n = h0 + hh, base = hh * length * dp;
                transpose(sc.k, base, length, dp, sc.kt, ldt);
                for (int qs = 0; qs < length; qs += QUERY_BLOCK) {
                    int rows = Math.min(QUERY_BLOCK, length - qs);
                    int ks = call.firstKey(start, length, qs), ke = call.endKey(start, length, qs + rows - 1);
                    int keys = ke - ks, width = SmallGemm.padded(keys);
                    call.scores(sc, base, qs, rows, ks, width, ldt, lds);
                    for (int i = 0; i < rows; i++) {
                        int lo = call.firstKey(start, length, qs + i) - ks, hi = call.endKey(start, length, qs + i) - ks;
                        float max = rowMax(sc.s, i * lds, lo, hi);
                        float sum = exponentials(sc.s, i * lds, lo, hi, width, max);
                        sc.inv[i] = 1f / sum;
                        sc.lse[hh * length + qs + i] = max + (float) StrictMath.log(sum);
                    }
                    if (settings.dropping()) {
                        call.dropMask(b, n, start, qs, rows, ks, keys, sc.m, lds);
                        multiply(sc.s, sc.m, rows, keys, lds);
                    }
                    SmallGemm.ab(sc.s, 0, lds, sc.v, base + ks * dp, dp, sc.c, base + qs * dp, dp, rows, dp, keys, false);
                    for (int i = 0; i < rows; i++) {
                        scaleRow(sc.c, base + (qs + i) * dp, dp, sc.inv[i]);      // softmax's division, on D columns
                    }
                }
            }
            call.store(sc.c, gh, start, length, out, h, h0 * d, sc.row);
            for (int i = 0; i < length; i++) {
                for (int hh = 0; hh < gh; hh++) {
                    sc.row[hh] = sc.lse[hh * length + i];
                }
                lseOut.put((start + i) * heads + h0, sc.row, 0, gh);
            }
        });
    }

    static void backward(TokenLayout layout, INDArray qkv, INDArray bias, AttentionSettings settings, INDArray context,
            INDArray logSumExp, INDArray dContext, INDArray dQkv) {
        Call call = new Call(layout, qkv, bias, settings);
        FloatBuffer c = KernelPath.floats(context), dC = KernelPath.floats(dContext), dOut = KernelPath.floats(dQkv),
                lse = KernelPath.floats(logSumExp);
        int heads = call.heads, d = call.d, dp = call.dp, h = call.h;
        Parallel.forEach(call.tasks(), task -> {
            int b = call.sequence(task), h0 = call.firstHead(task), gh = call.groupHeads(task);
            int start = layout.start(b), length = layout.length(b);
            int lp = SmallGemm.padded(length), ldt = lp + LANES, lds = lp + LANES;
            Scratch sc = SCRATCH.get();
            sc.fit(gh, length, d, dp, ldt, lds, true);
            call.load(h0, gh, start, length, sc);
            call.loadContext(dC, h0, gh, start, length, sc.dc, sc.row);
            call.loadContext(c, h0, gh, start, length, sc.c, sc.row);
            for (int i = 0; i < length; i++) {
                lse.get((start + i) * heads + h0, sc.row, 0, gh);
                for (int hh = 0; hh < gh; hh++) {
                    int at = (hh * length + i) * dp;
                    float dot = 0;
                    for (int e = 0; e < d; e++) {
                        dot += sc.dc[at + e] * sc.c[at + e];
                    }
                    sc.rowDot[hh * length + i] = dot;
                    sc.lse[hh * length + i] = sc.row[hh];
                }
            }
            Arrays.fill(sc.dk, 0, gh * length * dp, 0f);
            Arrays.fill(sc.dv, 0, gh * length * dp, 0f);
            for (int hh = 0; hh < gh; hh++) {
                int n = h0 + hh, base = hh * length * dp;
                transpose(sc.k, base, length, dp, sc.kt, ldt);
                transpose(sc.v, base, length, dp, sc.vt, ldt);
                for (int qs = 0; qs < length; qs += QUERY_BLOCK) {
                    int rows = Math.min(QUERY_BLOCK, length - qs);
                    int ks = call.firstKey(start, length, qs), ke = call.endKey(start, length, qs + rows - 1);
                    int keys = ke - ks, width = SmallGemm.padded(keys);
                    // P again, from the same product and the saved log-sum-exp
                    call.scores(sc, base, qs, rows, ks, width, ldt, lds);
                    for (int i = 0; i < rows; i++) {
                        int lo = call.firstKey(start, length, qs + i) - ks, hi = call.endKey(start, length, qs + i) - ks;
                        exponentials(sc.s, i * lds, lo, hi, width, sc.lse[hh * length + qs + i]);
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
                    SmallGemm.atb(dropped, 0, lds, sc.dc, base + qs * dp, dp, sc.dv, base + ks * dp, dp, keys, dp, rows); // dv += P'ᵀ·dC
                    SmallGemm.ab(sc.dc, base + qs * dp, dp, sc.vt, ks, ldt, sc.dp, 0, lds, rows, width, d, false);    // dP' = dC·vᵀ
                    for (int i = 0; i < rows; i++) {
                        int at = i * lds;
                        float rowDot = sc.rowDot[hh * length + qs + i];
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
                    SmallGemm.ab(sc.dp, 0, lds, sc.k, base + ks * dp, dp, sc.dq, base + qs * dp, dp, rows, dp, keys, false);
                    SmallGemm.atb(sc.dp, 0, lds, sc.q, base + qs * dp, dp, sc.dk, base + ks * dp, dp, keys, dp, rows);
                }
                for (int i = 0; i < length; i++) {
                    int at = base + i * dp, r = start + i;
                    for (int e = 0; e < d; e++) {
                        sc.dq[at + e] *= call.scale;
                    }
                    if (call.cos != null) {
                        call.rotate(sc.dq, at, layout.position(r), true, sc.rot);
                        call.rotate(sc.dk, at, layout.position(r), true, sc.rot);
                    }
                }
            }
            call.store(sc.dq, gh, start, length, dOut, 3 * h, h0 * d, sc.row);
            call.store(sc.dk, gh, start, length, dOut, 3 * h, h + h0 * d, sc.row);
            call.store(sc.dv, gh, start, length, dOut, 3 * h, 2 * h + h0 * d, sc.row);
        });
    }

    /** dst [dp, ldt] = src [rows, dp]ᵀ (src from {@code from}), columns from rows on zero (up to ldt). */
    private static void transpose(float[] src, int from, int rows, int dp, float[] dst, int ldt) {
        for (int e = 0; e < dp; e++) {
            int base = e * ldt;
            for (int i = 0; i < rows; i++) {
                dst[base + i] = src[from + i * dp + e];
            }
            Arrays.fill(dst, base + rows, base + ldt, 0f);
        }
    }

    /** The largest of s[at + lo, at + hi). */
    private static float rowMax(float[] s, int at, int lo, int hi) {
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
        return max;
    }

    /**
     * exp(s − shift) in place over [lo, hi), 0 elsewhere in [0, width); returns the sum. With the row
     * max as shift the forward's unnormalised softmax; with the saved log-sum-exp the backward's P,
     * equal to the forward's P up to the rounding of the log-sum-exp and the forward's division
     * (which the forward applies to the output rows instead).
     */
    private static float exponentials(float[] s, int at, int lo, int hi, int width, float shift) {
        float sum = VectorMath.expInPlace(s, at, lo, hi, shift);
        Arrays.fill(s, at, at + lo, 0f);
        Arrays.fill(s, at + hi, at + width, 0f);
        return sum;
    }

    /**
     * dst[to + e] = (src[from + e] + bias[column + e]) · factor for e in [0, n) (no bias when null;
     * factor 1 multiplies by one, which changes no bit): the scalar order of operations, vectorised.
     */
    private static void biasAndScale(float[] src, int from, float[] bias, int column, float[] dst, int to, int n,
            float factor) {
        int e = 0;
        for (int bound = S.loopBound(n); e < bound; e += LANES) {
            FloatVector x = FloatVector.fromArray(S, src, from + e);
            if (bias != null) {
                x = x.add(FloatVector.fromArray(S, bias, column + e));
            }
            x.mul(factor).intoArray(dst, to + e);
        }
        for (; e < n; e++) {
            dst[to + e] = (bias != null ? src[from + e] + bias[column + e] : src[from + e]) * factor;
        }
    }

    /** x[at, at + n) ·= f, n a multiple of the vector length. */
    private static void scaleRow(float[] x, int at, int n, float f) {
        for (int j = 0; j < n; j += LANES) {
            FloatVector.fromArray(S, x, at + j).mul(f).intoArray(x, at + j);
        }
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

package dev.embedtune.autodiff.kernels;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * CPU fast path of {@link HeadProducts}: the per-head products of attention on the {@code [B·T, H]}
 * projections (heads side by side in each row, H = N·D) and the {@code [B, N, T, T]} score rows, one
 * (batch item, head) block per task over the common fork-join pool. Each block is copied into heap
 * arrays (a few tens of KB, so in L2), multiplied with vector FMAs, four output rows at a time so
 * that each loaded vector feeds four FMAs, and copied back.
 */
final class VectorHeadProducts {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int ROWS = 4;

    /** Per-thread block buffers, grown on demand. */
    private static final class Blocks {
        float[] a = new float[0], b = new float[0], out = new float[0], extra = new float[0];

        float[] a(int n) {
            return a.length >= n ? a : (a = new float[n]);
        }

        float[] b(int n) {
            return b.length >= n ? b : (b = new float[n]);
        }

        float[] out(int n) {
            return out.length >= n ? out : (out = new float[n]);
        }

        float[] extra(int n) {
            return extra.length >= n ? extra : (extra = new float[n]);
        }
    }

    private static final ThreadLocal<Blocks> BLOCKS = ThreadLocal.withInitial(Blocks::new);

    private VectorHeadProducts() {
    }

    /** Copies head n of batch item b from a [B·T, N·D] projection into dst as [T, D]. */
    private static void readHead(FloatBuffer x, int b, int n, int tokens, int heads, int headDim, float[] dst) {
        for (int t = 0; t < tokens; t++) {
            x.get(((b * tokens + t) * heads + n) * headDim, dst, t * headDim, headDim);
        }
    }

    private static void writeHead(FloatBuffer x, int b, int n, int tokens, int heads, int headDim, float[] src) {
        for (int t = 0; t < tokens; t++) {
            x.put(((b * tokens + t) * heads + n) * headDim, src, t * headDim, headDim);
        }
    }

    /** out[b, n, i, j] = Σ_d x[b, i, n, d] · y[b, j, n, d]. */
    static void scores(ByteBuffer xBytes, ByteBuffer yBytes, int batch, int tokens, int heads, int headDim,
            ByteBuffer outBytes) {
        FloatBuffer x = xBytes.asFloatBuffer(), y = yBytes.asFloatBuffer(), out = outBytes.asFloatBuffer();
        IntStream.range(0, batch * heads).parallel().forEach(block -> {
            int b = block / heads, n = block % heads;
            Blocks buf = BLOCKS.get();
            float[] xs = buf.a(tokens * headDim), ys = buf.b(tokens * headDim), yt = buf.out(headDim * tokens);
            readHead(x, b, n, tokens, heads, headDim, xs);
            readHead(y, b, n, tokens, heads, headDim, ys);
            for (int j = 0; j < tokens; j++) {                  // y as [D, T]: keys contiguous
                for (int d = 0; d < headDim; d++) {
                    yt[d * tokens + j] = ys[j * headDim + d];
                }
            }
            float[] s = buf.extra(tokens * tokens);
            scoresBlock(xs, yt, tokens, headDim, s);
            out.put(block * tokens * tokens, s, 0, tokens * tokens);
        });
    }

    /** s [T, T] = xs [T, D] · yt [D, T]. */
    private static void scoresBlock(float[] xs, float[] yt, int tokens, int headDim, float[] s) {
        int bound = S.loopBound(tokens), step = S.length();
        int i = 0;
        for (; i + ROWS <= tokens; i += ROWS) {
            int x0 = i * headDim, x1 = x0 + headDim, x2 = x1 + headDim, x3 = x2 + headDim;
            for (int j = 0; j < bound; j += step) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < headDim; d++) {
                    FloatVector k = FloatVector.fromArray(S, yt, d * tokens + j);
                    a0 = k.fma(FloatVector.broadcast(S, xs[x0 + d]), a0);
                    a1 = k.fma(FloatVector.broadcast(S, xs[x1 + d]), a1);
                    a2 = k.fma(FloatVector.broadcast(S, xs[x2 + d]), a2);
                    a3 = k.fma(FloatVector.broadcast(S, xs[x3 + d]), a3);
                }
                a0.intoArray(s, i * tokens + j);
                a1.intoArray(s, (i + 1) * tokens + j);
                a2.intoArray(s, (i + 2) * tokens + j);
                a3.intoArray(s, (i + 3) * tokens + j);
            }
        }
        for (int r = 0; r < tokens; r++) {                       // the tails: columns past the vectors, rows past the fours
            for (int j = r < i ? bound : 0; j < tokens; j++) {
                float sum = 0;
                for (int d = 0; d < headDim; d++) {
                    sum += xs[r * headDim + d] * yt[d * tokens + j];
                }
                s[r * tokens + j] = sum;
            }
        }
    }

    /**
     * out[b, i, n, :] = Σ_j p[b, n, i, j] · y[b, j, n, :] ({@code transposed} false), or
     * out[b, j, n, :] = Σ_i p[b, n, i, j] · y[b, i, n, :] ({@code transposed} true).
     */
    static void weighted(ByteBuffer pBytes, ByteBuffer yBytes, boolean transposed, int batch, int tokens, int heads,
            int headDim, ByteBuffer outBytes) {
        FloatBuffer p = pBytes.asFloatBuffer(), y = yBytes.asFloatBuffer(), out = outBytes.asFloatBuffer();
        IntStream.range(0, batch * heads).parallel().forEach(block -> {
            int b = block / heads, n = block % heads;
            Blocks buf = BLOCKS.get();
            float[] ps = buf.a(tokens * tokens), ys = buf.b(tokens * headDim), cs = buf.out(tokens * headDim);
            p.get(block * tokens * tokens, ps, 0, tokens * tokens);
            if (transposed) {
                transposeInPlace(ps, tokens);
            }
            readHead(y, b, n, tokens, heads, headDim, ys);
            weightedBlock(ps, ys, tokens, headDim, cs);
            writeHead(out, b, n, tokens, heads, headDim, cs);
        });
    }

    private static void transposeInPlace(float[] m, int n) {
        for (int r = 0; r < n; r++) {
            for (int c = r + 1; c < n; c++) {
                float t = m[r * n + c];
                m[r * n + c] = m[c * n + r];
                m[c * n + r] = t;
            }
        }
    }

    /** cs [T, D] = ps [T, T] · ys [T, D]. */
    private static void weightedBlock(float[] ps, float[] ys, int tokens, int headDim, float[] cs) {
        int bound = S.loopBound(headDim), step = S.length();
        int i = 0;
        for (; i + ROWS <= tokens; i += ROWS) {
            int p0 = i * tokens, p1 = p0 + tokens, p2 = p1 + tokens, p3 = p2 + tokens;
            for (int d = 0; d < bound; d += step) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0; j < tokens; j++) {
                    FloatVector v = FloatVector.fromArray(S, ys, j * headDim + d);
                    a0 = v.fma(FloatVector.broadcast(S, ps[p0 + j]), a0);
                    a1 = v.fma(FloatVector.broadcast(S, ps[p1 + j]), a1);
                    a2 = v.fma(FloatVector.broadcast(S, ps[p2 + j]), a2);
                    a3 = v.fma(FloatVector.broadcast(S, ps[p3 + j]), a3);
                }
                a0.intoArray(cs, i * headDim + d);
                a1.intoArray(cs, (i + 1) * headDim + d);
                a2.intoArray(cs, (i + 2) * headDim + d);
                a3.intoArray(cs, (i + 3) * headDim + d);
            }
        }
        for (int r = 0; r < tokens; r++) {
            for (int d = r < i ? bound : 0; d < headDim; d++) {
                float sum = 0;
                for (int j = 0; j < tokens; j++) {
                    sum += ps[r * tokens + j] * ys[j * headDim + d];
                }
                cs[r * headDim + d] = sum;
            }
        }
    }
}

package dev.embedtune.autodiff.kernels;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * CPU fast path of {@link ResidualNorm}: rows in chunks of {@value #CHUNK} over {@link Parallel},
 * each row copied into a heap buffer, joined, normalised with vector FMAs and written once.
 */
final class VectorResidualNorm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHUNK = 64;

    /** Per-thread row buffers. */
    private static final class Rows {
        float[] s = new float[0], t = new float[0], u = new float[0];

        Rows fit(int h) {
            if (s.length < h) {
                s = new float[h];
                t = new float[h];
                u = new float[h];
            }
            return this;
        }
    }

    private static final ThreadLocal<Rows> ROWS = ThreadLocal.withInitial(Rows::new);

    private VectorResidualNorm() {
    }

    static void forward(INDArray a, INDArray bias, INDArray mask, INDArray residual, INDArray gamma, INDArray beta,
            float eps, INDArray xHat, INDArray rstd, INDArray sum, INDArray y) {
        int n = (int) a.size(0), h = (int) a.size(1);
        FloatBuffer fa = KernelPath.floats(a), fm = KernelPath.floats(mask), fr = KernelPath.floats(residual),
                fx = KernelPath.floats(xHat), fs = KernelPath.floats(sum), fy = KernelPath.floats(y),
                fd = KernelPath.floats(rstd);
        float[] b = bias == null ? null : bias.toFloatVector(), g = gamma.toFloatVector(),
                be = beta == null ? null : beta.toFloatVector();
        Parallel.forEachChunk(n, CHUNK, (c, from, to) -> {
            Rows rows = ROWS.get().fit(h);
            float[] s = rows.s, t = rows.t;
            for (int r = from; r < to; r++) {
                int at = r * h;
                fa.get(at, s, 0, h);
                if (b != null) {
                    add(s, b, h);
                }
                if (fm != null) {
                    fm.get(at, t, 0, h);
                    multiply(s, t, h);
                }
                if (fr != null) {
                    fr.get(at, t, 0, h);
                    add(s, t, h);
                }
                if (fs != null) {
                    fs.put(at, s, 0, h);
                }
                float mean = sum(s, h) / h;
                float variance = squaredDeviation(s, mean, h) / h;
                float inv = (float) (1 / Math.sqrt(variance + eps));
                fd.put(r, inv);
                // s := x̂, t := y
                int j = 0;
                for (int bound = S.loopBound(h); j < bound; j += S.length()) {
                    FloatVector xh = FloatVector.fromArray(S, s, j).sub(mean).mul(inv);
                    xh.intoArray(s, j);
                    FloatVector out = xh.mul(FloatVector.fromArray(S, g, j));
                    if (be != null) {
                        out = out.add(FloatVector.fromArray(S, be, j));
                    }
                    out.intoArray(t, j);
                }
                for (; j < h; j++) {
                    s[j] = (s[j] - mean) * inv;
                    t[j] = s[j] * g[j] + (be == null ? 0 : be[j]);
                }
                if (fx != null) {
                    fx.put(at, s, 0, h);
                }
                fy.put(at, t, 0, h);
            }
        });
    }

    static void backward(INDArray xHat, INDArray rstd, INDArray gamma, INDArray dy, INDArray ds, boolean accumulate,
            INDArray mask, INDArray dBranch, INDArray gradGamma, INDArray gradBeta, INDArray gradBias) {
        int n = (int) xHat.size(0), h = (int) xHat.size(1);
        FloatBuffer fx = KernelPath.floats(xHat), fd = KernelPath.floats(rstd), fdy = KernelPath.floats(dy),
                fds = KernelPath.floats(ds), fm = KernelPath.floats(mask), fb = KernelPath.floats(dBranch);
        float[] g = gamma.toFloatVector();
        int chunks = (n + CHUNK - 1) / CHUNK;
        float[][] pGamma = gradGamma == null ? null : new float[chunks][h],
                pBeta = gradBeta == null ? null : new float[chunks][h],
                pBias = gradBias == null ? null : new float[chunks][h];
        boolean needDs = ds != null || dBranch != null || gradBias != null;
        Parallel.forEachChunk(n, CHUNK, (c, from, to) -> {
            Rows rows = ROWS.get().fit(h);
            float[] x = rows.s, d = rows.t, out = rows.u;
            for (int r = from; r < to; r++) {
                int at = r * h;
                fx.get(at, x, 0, h);
                fdy.get(at, d, 0, h);
                if (pGamma != null) {
                    fma(pGamma[c], d, x, h);
                }
                if (pBeta != null) {
                    add(pBeta[c], d, h);
                }
                if (!needDs) {
                    continue;
                }
                float inv = fd.get(r);
                // out := g = dy ⊙ γ, then its two row means
                float sumG = 0, sumGx = 0;
                int j = 0;
                FloatVector accG = FloatVector.zero(S), accGx = FloatVector.zero(S);
                for (int bound = S.loopBound(h); j < bound; j += S.length()) {
                    FloatVector gv = FloatVector.fromArray(S, d, j).mul(FloatVector.fromArray(S, g, j));
                    gv.intoArray(out, j);
                    accG = accG.add(gv);
                    accGx = gv.fma(FloatVector.fromArray(S, x, j), accGx);
                }
                sumG = VectorMath.sum(accG);
                sumGx = VectorMath.sum(accGx);
                for (; j < h; j++) {
                    out[j] = d[j] * g[j];
                    sumG += out[j];
                    sumGx += out[j] * x[j];
                }
                float meanG = sumG / h, meanGx = sumGx / h;
                j = 0;
                for (int bound = S.loopBound(h); j < bound; j += S.length()) {
                    FloatVector.fromArray(S, out, j).sub(meanG).sub(FloatVector.fromArray(S, x, j).mul(meanGx)).mul(inv)
                            .intoArray(out, j);
                }
                for (; j < h; j++) {
                    out[j] = (out[j] - meanG - x[j] * meanGx) * inv;
                }
                if (fds != null) {
                    if (accumulate) {
                        fds.get(at, d, 0, h);          // dy is consumed: d is free
                        add(d, out, h);
                        fds.put(at, d, 0, h);
                    } else {
                        fds.put(at, out, 0, h);
                    }
                }
                if (fm != null && (fb != null || pBias != null)) {
                    fm.get(at, d, 0, h);
                    multiply(out, d, h);
                }
                if (fb != null) {
                    fb.put(at, out, 0, h);
                }
                if (pBias != null) {
                    add(pBias[c], out, h);
                }
            }
        });
        addChunks(pGamma, gradGamma);
        addChunks(pBeta, gradBeta);
        addChunks(pBias, gradBias);
    }

    /** grad += Σ_chunks partial[chunk], the chunks in order. */
    static void addChunks(float[][] partials, INDArray grad) {
        if (partials == null) {
            return;
        }
        int h = (int) grad.length();
        FloatBuffer fg = KernelPath.floats(grad);
        float[] total = new float[h];
        fg.get(0, total, 0, h);
        float[] chunkSum = new float[h];
        for (float[] p : partials) {
            add(chunkSum, p, h);
        }
        add(total, chunkSum, h);
        fg.put(0, total, 0, h);
    }

    static void add(float[] x, float[] y, int n) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            FloatVector.fromArray(S, x, j).add(FloatVector.fromArray(S, y, j)).intoArray(x, j);
        }
        for (; j < n; j++) {
            x[j] += y[j];
        }
    }

    private static void multiply(float[] x, float[] y, int n) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            FloatVector.fromArray(S, x, j).mul(FloatVector.fromArray(S, y, j)).intoArray(x, j);
        }
        for (; j < n; j++) {
            x[j] *= y[j];
        }
    }

    /** acc += x ⊙ y. */
    private static void fma(float[] acc, float[] x, float[] y, int n) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            FloatVector.fromArray(S, x, j).fma(FloatVector.fromArray(S, y, j), FloatVector.fromArray(S, acc, j))
                    .intoArray(acc, j);
        }
        for (; j < n; j++) {
            acc[j] += x[j] * y[j];
        }
    }

    private static float sum(float[] x, int n) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, x, j));
        }
        float total = VectorMath.sum(acc);
        for (; j < n; j++) {
            total += x[j];
        }
        return total;
    }

    private static float squaredDeviation(float[] x, float mean, int n) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += S.length()) {
            FloatVector dv = FloatVector.fromArray(S, x, j).sub(mean);
            acc = dv.fma(dv, acc);
        }
        float total = VectorMath.sum(acc);
        for (; j < n; j++) {
            total += (x[j] - mean) * (x[j] - mean);
        }
        return total;
    }
}

package dev.embedtune.autodiff.kernels;

import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.nd4j.linalg.api.ndarray.INDArray;

/** CPU fast path of {@link BiasGelu}: rows in chunks of {@value #CHUNK} over {@link Parallel}. */
final class VectorBiasGelu {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHUNK = 32;

    private static final class Rows {
        float[] u = new float[0], d = new float[0], e = new float[0];

        Rows fit(int n) {
            if (u.length < n) {
                u = new float[n];
                d = new float[n];
                e = new float[n];
            }
            return this;
        }
    }

    private static final ThreadLocal<Rows> ROWS = ThreadLocal.withInitial(Rows::new);

    private VectorBiasGelu() {
    }

    static void forward(INDArray z, INDArray bias, INDArray g, boolean keepInput) {
        int n = (int) z.size(0), w = (int) z.size(1);
        FloatBuffer fz = KernelPath.floats(z), fg = KernelPath.floats(g);
        float[] b = bias == null ? null : bias.toFloatVector();
        Parallel.forEachChunk(n, CHUNK, (c, from, to) -> {
            Rows rows = ROWS.get().fit(w);
            float[] u = rows.u, out = rows.d;
            for (int r = from; r < to; r++) {
                fz.get(r * w, u, 0, w);
                if (b != null) {
                    int j = 0;
                    for (int bound = S.loopBound(w); j < bound; j += S.length()) {
                        FloatVector.fromArray(S, u, j).add(FloatVector.fromArray(S, b, j)).intoArray(u, j);
                    }
                    for (; j < w; j++) {
                        u[j] += b[j];
                    }
                    if (keepInput) {
                        fz.put(r * w, u, 0, w);
                    }
                }
                VectorGelu.forwardRow(u, out, rows.e, w);
                fg.put(r * w, out, 0, w);
            }
        });
    }

    static void backward(INDArray u, INDArray dg, INDArray du, INDArray gradBias) {
        int n = (int) u.size(0), w = (int) u.size(1);
        FloatBuffer fu = KernelPath.floats(u), fdg = KernelPath.floats(dg), fdu = KernelPath.floats(du);
        int chunks = (n + CHUNK - 1) / CHUNK;
        float[][] partial = gradBias == null ? null : new float[chunks][w];
        Parallel.forEachChunk(n, CHUNK, (c, from, to) -> {
            Rows rows = ROWS.get().fit(w);
            float[] uv = rows.u, d = rows.d;
            for (int r = from; r < to; r++) {
                fu.get(r * w, uv, 0, w);
                fdg.get(r * w, d, 0, w);
                VectorGelu.backwardRow(uv, d, rows.e, w);
                fdu.put(r * w, d, 0, w);
                if (partial != null) {
                    VectorResidualNorm.add(partial[c], d, w);
                }
            }
        });
        VectorResidualNorm.addChunks(partial, gradBias);
    }
}

package dev.embedtune.autodiff.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * CPU fast path of {@link MaskedSoftmax} over rows of {@code T} keys: one pass for the row maximum,
 * one for exp and its sum, one to normalise; masked keys get exactly 0. Rows are laid out as
 * [B, N, T(query), T(key)] in a dense buffer, the mask as additive rows (0 or −∞): one per batch
 * item (a key mask), or one per batch item and query (a [B, T, T] mask such as a sliding window).
 */
final class VectorSoftmax {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorSoftmax() {
    }

    /**
     * @param additiveMask B rows (one per batch item) or B·T rows (one per batch item and query) of T
     * @param perQuery whether {@code additiveMask} has a row per query
     */
    static void forward(ByteBuffer scores, float[][] additiveMask, boolean perQuery, int heads, int tokens, float scale,
            ByteBuffer probs) {
        int batch = perQuery ? additiveMask.length / tokens : additiveMask.length;
        int bound = S.loopBound(tokens), step = S.length();
        for (int b = 0; b < batch; b++) {
            for (int row = 0; row < heads * tokens; row++) {
                float[] mask = additiveMask[perQuery ? b * tokens + row % tokens : b];
                int base = (b * heads * tokens + row) * tokens * 4;
                float max = Float.NEGATIVE_INFINITY;
                int j = 0;
                if (bound > 0) {
                    FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                    for (; j < bound; j += step) {
                        FloatVector v = FloatVector.fromByteBuffer(S, scores, base + j * 4, ORDER).mul(scale)
                                .add(FloatVector.fromArray(S, mask, j));
                        v.intoByteBuffer(probs, base + j * 4, ORDER);
                        m = m.max(v);
                    }
                    max = m.reduceLanes(VectorOperators.MAX);
                }
                for (; j < tokens; j++) {
                    float v = scores.getFloat(base + j * 4) * scale + mask[j];
                    probs.putFloat(base + j * 4, v);
                    max = Math.max(max, v);
                }
                float sum = 0;
                j = 0;
                if (bound > 0) {
                    FloatVector s = FloatVector.zero(S);
                    for (; j < bound; j += step) {
                        FloatVector e = FloatVector.fromByteBuffer(S, probs, base + j * 4, ORDER).sub(max)
                                .lanewise(VectorOperators.EXP);
                        e.intoByteBuffer(probs, base + j * 4, ORDER);
                        s = s.add(e);
                    }
                    sum = s.reduceLanes(VectorOperators.ADD);
                }
                for (; j < tokens; j++) {
                    float e = (float) Math.exp(probs.getFloat(base + j * 4) - max);
                    probs.putFloat(base + j * 4, e);
                    sum += e;
                }
                float inv = 1f / sum;
                j = 0;
                for (; j < bound; j += step) {
                    FloatVector.fromByteBuffer(S, probs, base + j * 4, ORDER).mul(inv).intoByteBuffer(probs, base + j * 4, ORDER);
                }
                for (; j < tokens; j++) {
                    probs.putFloat(base + j * 4, probs.getFloat(base + j * 4) * inv);
                }
            }
        }
    }

    /** dScores = scale · P ⊙ (dP − Σ dP ⊙ P); dScores may be dProbs. */
    static void backward(ByteBuffer probs, ByteBuffer dProbs, float scale, int rows, int tokens, ByteBuffer dScores) {
        int bound = S.loopBound(tokens), step = S.length();
        for (int row = 0; row < rows; row++) {
            int base = row * tokens * 4;
            float dot = 0;
            int j = 0;
            if (bound > 0) {
                FloatVector acc = FloatVector.zero(S);
                for (; j < bound; j += step) {
                    acc = FloatVector.fromByteBuffer(S, dProbs, base + j * 4, ORDER)
                            .fma(FloatVector.fromByteBuffer(S, probs, base + j * 4, ORDER), acc);
                }
                dot = acc.reduceLanes(VectorOperators.ADD);
            }
            for (; j < tokens; j++) {
                dot += dProbs.getFloat(base + j * 4) * probs.getFloat(base + j * 4);
            }
            j = 0;
            for (; j < bound; j += step) {
                FloatVector p = FloatVector.fromByteBuffer(S, probs, base + j * 4, ORDER);
                FloatVector.fromByteBuffer(S, dProbs, base + j * 4, ORDER).sub(dot).mul(p).mul(scale)
                        .intoByteBuffer(dScores, base + j * 4, ORDER);
            }
            for (; j < tokens; j++) {
                int at = base + j * 4;
                dScores.putFloat(at, (dProbs.getFloat(at) - dot) * probs.getFloat(at) * scale);
            }
        }
    }
}

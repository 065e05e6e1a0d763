package dev.embedtune.autodiff.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and sums for the CPU kernels that give the same bits however the JVM runs them.
 *
 * <p>The Vector API's {@code lanewise(EXP)} is computed by the JIT-compiled code with a vendor math
 * library (SVML) but by {@code Math.exp} per lane before compilation, and {@code reduceLanes(ADD)}
 * may add the lanes in another order once compiled: the same kernel then gives results a rounding
 * apart early and late in a run, so a resumed run would not equal an uninterrupted one. Here exp is
 * built from operations IEEE 754 defines exactly (multiply, add, fused multiply-add, conversions,
 * shifts), and lanes are summed in lane order.
 *
 * <p>exp: Cody–Waite reduction x = k·ln2 + r, |r| ≤ ln2/2, Cephes' degree-6 polynomial for e^r
 * (relative error about 1e-7), then 2^k by the exponent bits. Inputs are clamped to [−87.3, 88.7]
 * (below, the result is about 1e-38 instead of a subnormal or 0).
 */
final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;                  // 1.5·2²³: adding it rounds to an integer
    private static final int ROUND_BITS = Float.floatToIntBits(ROUND);
    private static final float MIN = -87.3f, MAX = 88.7f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private VectorMath() {
    }

    // The vector code lives in the loop's own method, never in a helper taking or returning a
    // FloatVector: C2 inlines such a helper only when the call site looks hot and the caller is
    // still under its inlining node budget (NodeCountInliningCutoff); otherwise the vector is boxed
    // and the helper runs the Vector API's Java fallback, 3–50× slower (measured here: GELU 2.5×,
    // attention's recomputed P far worse, depending on what the JIT profiled first). Constants are
    // vectors for the same budget.
    private static final FloatVector V_MIN = FloatVector.broadcast(S, MIN), V_MAX = FloatVector.broadcast(S, MAX),
            V_LOG2E = FloatVector.broadcast(S, LOG2E), V_ROUND = FloatVector.broadcast(S, ROUND),
            V_NEG_LN2_HI = FloatVector.broadcast(S, -LN2_HI), V_NEG_LN2_LO = FloatVector.broadcast(S, -LN2_LO),
            V_P0 = FloatVector.broadcast(S, P0), V_P1 = FloatVector.broadcast(S, P1), V_P2 = FloatVector.broadcast(S, P2),
            V_P3 = FloatVector.broadcast(S, P3), V_P4 = FloatVector.broadcast(S, P4), V_P5 = FloatVector.broadcast(S, P5),
            V_ONE = FloatVector.broadcast(S, 1f);
    private static final IntVector V_EXPONENT_BIAS = IntVector.broadcast(IntVector.SPECIES_PREFERRED, ROUND_BITS - 127);

    /**
     * s[at + j] = exp(s[at + j] − shift) for j in [from, to); returns their sum: the whole vectors'
     * lanes accumulated per lane and summed in lane order, then the remaining elements in order.
     */
    static float expInPlace(float[] s, int at, int from, int to, float shift) {
        FloatVector acc = FloatVector.zero(S), vShift = FloatVector.broadcast(S, shift);
        int j = from;
        for (; j + S.length() <= to; j += S.length()) {
            FloatVector x = FloatVector.fromArray(S, s, at + j).sub(vShift).max(V_MIN).min(V_MAX);
            FloatVector shifted = x.mul(V_LOG2E).add(V_ROUND);      // k = round(x·log2 e) in the low mantissa bits
            FloatVector k = shifted.sub(V_ROUND);
            FloatVector r = k.fma(V_NEG_LN2_HI, x);
            r = k.fma(V_NEG_LN2_LO, r);
            FloatVector p = r.fma(V_P0, V_P1).fma(r, V_P2).fma(r, V_P3).fma(r, V_P4).fma(r, V_P5);
            p = p.mul(r.mul(r)).add(r).add(V_ONE);
            // 2^k from k's bits: a float-to-int conversion is not compiled to vector code in JDK 17
            // (it runs boxed, 30× slower); reading k out of the rounded sum's mantissa is
            IntVector bits = shifted.reinterpretAsInts().sub(V_EXPONENT_BIAS).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = p.mul(bits.reinterpretAsFloats());
            e.intoArray(s, at + j);
            acc = acc.add(e);
        }
        float sum = sum(acc);
        for (; j < to; j++) {
            float e = exp(s[at + j] - shift);
            s[at + j] = e;
            sum += e;
        }
        return sum;
    }

    /** The scalar twin of {@link #expInPlace}'s vector code: the same operations, so the same bits. */
    static float exp(float x) {
        x = Math.min(Math.max(x, MIN), MAX);
        float k = (x * LOG2E + ROUND) - ROUND;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = p * (r * r) + r + 1f;
        return p * Float.intBitsToFloat(((int) k + 127) << 23);
    }

    /** Lane i takes lane i + k (k = 8, 4, 2, 1; null where the vector is shorter): folds for {@link #sum}. */
    private static final VectorShuffle<Float> FOLD_8 = fold(8), FOLD_4 = fold(4), FOLD_2 = fold(2), FOLD_1 = fold(1);

    /** Every lane but lane 0. */
    private static final VectorMask<Float> NOT_FIRST = VectorMask.fromLong(S, -2L);

    private static VectorShuffle<Float> fold(int k) {
        return S.length() > k ? VectorShuffle.iota(S, k, 1, true) : null;
    }

    /**
     * The lanes summed by a fixed tree: lane i + 8 added to lane i, then i + 4, i + 2, i + 1, down to
     * lane 0 (vectors over 16 lanes: lane by lane). A fixed order, unlike {@code reduceLanes}, whose
     * order the JIT chooses; each step is a lane-wise add, so compiled and interpreted code give the
     * same bits. Extracting the lanes one by one was 2 % of an inference pass; {@code toArray()} left
     * garbage C2 does not always eliminate.
     */
    static float sum(FloatVector v) {
        if (S.length() > 16) {
            float total = 0;
            for (int i = 0; i < v.length(); i++) {
                total += v.lane(i);
            }
            return total;
        }
        if (S.length() > 8) {
            v = v.add(v.rearrange(FOLD_8));
        }
        if (S.length() > 4) {
            v = v.add(v.rearrange(FOLD_4));
        }
        if (S.length() > 2) {
            v = v.add(v.rearrange(FOLD_2));
        }
        if (S.length() > 1) {
            v = v.add(v.rearrange(FOLD_1));
        }
        // lane 0 alone, read by an add reduction over zeros (exact in any order): JDK 17 does not
        // compile lane(0) of a 512-bit vector, it runs it boxed
        return v.blend(0f, NOT_FIRST).reduceLanes(VectorOperators.ADD);
    }
}

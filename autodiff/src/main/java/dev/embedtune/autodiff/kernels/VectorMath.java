package dev.embedtune.autodiff.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
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
    private static final float MIN = -87.3f, MAX = 88.7f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private VectorMath() {
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(MIN).min(MAX);
        FloatVector k = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1).fma(r, FloatVector.broadcast(S, P2)).fma(r, FloatVector.broadcast(S, P3))
                .fma(r, FloatVector.broadcast(S, P4)).fma(r, FloatVector.broadcast(S, P5));
        p = p.mul(r.mul(r)).add(r).add(1f);
        IntVector bits = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations, so the same bits. */
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

    /** The lanes summed in lane order. */
    static float sum(FloatVector v) {
        float[] lanes = v.toArray();
        float total = 0;
        for (float lane : lanes) {
            total += lane;
        }
        return total;
    }
}

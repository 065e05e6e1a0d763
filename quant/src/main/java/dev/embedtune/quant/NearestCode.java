package dev.embedtune.quant;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The index of the nearest code value, the readable definition of 4-bit quantisation:
 * bitsandbytes walks a decision tree whose thresholds are the midpoints between neighbouring code
 * values with strict {@code >} tests, so a value exactly on a midpoint takes the lower code. FP4
 * quantises the magnitude and sets the sign bit for negative values.
 */
final class NearestCode {
    private final float[] sorted;      // ascending code values
    private final int[] indexOf;       // nibble of each sorted value
    private final float[] midpoints;   // between sorted[k] and sorted[k+1]
    private final boolean signMagnitude;

    NearestCode(QuantType type) {
        float[] code = type.code();
        signMagnitude = type == QuantType.FP4;
        int[] order = IntStream.range(0, code.length)
                .filter(i -> !signMagnitude || i < 8)   // FP4: magnitudes only, the sign is a bit
                .boxed().sorted(Comparator.comparingDouble(i -> code[i])).mapToInt(Integer::intValue).toArray();
        sorted = new float[order.length];
        indexOf = order;
        for (int k = 0; k < order.length; k++) {
            sorted[k] = code[order[k]];
        }
        midpoints = new float[sorted.length - 1];
        for (int k = 0; k < midpoints.length; k++) {
            midpoints[k] = (sorted[k] + sorted[k + 1]) / 2f;
        }
    }

    /** The nibble for a value already scaled into [-1, 1]. */
    int nibble(float scaled) {
        if (signMagnitude) {
            int sign = scaled < 0 ? 8 : 0;
            return sign | indexOf[position(Math.abs(scaled))];
        }
        return indexOf[position(scaled)];
    }

    /** Number of midpoints strictly below x: the sorted position of the nearest code. */
    private int position(float x) {
        int p = Arrays.binarySearch(midpoints, x);
        if (p >= 0) {
            while (p > 0 && midpoints[p - 1] == x) {
                p--;
            }
            return p;   // on a midpoint: x > midpoint is false, so the lower code
        }
        return -p - 1;
    }
}

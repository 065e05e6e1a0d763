package dev.embedtune.quant;

import java.util.Arrays;

/**
 * bitsandbytes' signed dynamic 8-bit code ({@code create_dynamic_map(signed=True)}), used to store
 * the block scales under double quantisation: for i = 0..6, the 2^i midpoints of
 * {@code linspace(0.1, 1, 2^i + 1)} times 10^(i−6), with both signs, plus 0 and 1.0: 256 values,
 * sorted. The values are computed in double and rounded to float32; torch computes linspace in
 * float32, so a code value may differ from bitsandbytes' in its last bit.
 */
public final class DynamicCode {
    private static final float[] VALUES = build();

    private DynamicCode() {
    }

    private static float[] build() {
        float[] v = new float[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            int items = (1 << i) + 1;
            double scale = Math.pow(10, -6 + i);
            for (int k = 0; k < items - 1; k++) {
                double lo = 0.1 + 0.9 * k / (items - 1), hi = 0.1 + 0.9 * (k + 1) / (items - 1);
                double mean = (lo + hi) / 2;
                v[n++] = (float) (scale * mean);
                v[n++] = (float) (-scale * mean);
            }
        }
        v[n++] = 0f;
        v[n++] = 1f;
        if (n != 256) {
            throw new AssertionError("dynamic code has " + n + " values");
        }
        Arrays.sort(v);
        return v;
    }

    /** The 256 code values, ascending; index = stored byte (0..255). */
    public static float[] values() {
        return VALUES.clone();
    }

    static float value(int index) {
        return VALUES[index];
    }

    /** The index of the nearest code value (ties to the lower), for x in [-1, 1]. */
    static int nearest(float x) {
        int p = Arrays.binarySearch(VALUES, x);
        if (p >= 0) {
            return p;
        }
        int upper = -p - 1;
        if (upper == 0) {
            return 0;
        }
        if (upper == VALUES.length) {
            return VALUES.length - 1;
        }
        return (x - VALUES[upper - 1]) <= (VALUES[upper] - x) ? upper - 1 : upper;
    }
}

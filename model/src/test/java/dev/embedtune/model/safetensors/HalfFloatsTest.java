package dev.embedtune.model.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    /** binary16 straight from its definition, in double: (-1)^s · 2^(e-15) · (1 + m/1024), subnormals 2^-14 · m/1024. */
    private static double f16Reference(int bits) {
        int s = (bits >> 15) & 1, e = (bits >> 10) & 0x1F, m = bits & 0x3FF;
        double sign = s == 1 ? -1 : 1;
        if (e == 0x1F) {
            return m == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        }
        if (e == 0) {
            return sign * Math.pow(2, -14) * (m / 1024.0);
        }
        return sign * Math.pow(2, e - 15) * (1 + m / 1024.0);
    }

    @Test
    void everyF16BitPatternWidensExactly() {
        for (int bits = 0; bits < 65536; bits++) {
            float got = HalfFloats.f16ToFloat((short) bits);
            double want = f16Reference(bits);
            if (Double.isNaN(want)) {
                assertTrue(Float.isNaN(got), "NaN pattern " + Integer.toHexString(bits));
            } else {
                // exact: tolerance 0, and the sign of zero is kept
                assertEquals(want, got, 0.0, "pattern 0x" + Integer.toHexString(bits));
                assertEquals(Double.doubleToRawLongBits(want) < 0, Float.floatToRawIntBits(got) < 0,
                        "sign of 0x" + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void handPickedF16Values() {
        assertEquals(1.0f, HalfFloats.f16ToFloat((short) 0x3C00));
        assertEquals(-2.0f, HalfFloats.f16ToFloat((short) 0xC000));
        assertEquals(65504.0f, HalfFloats.f16ToFloat((short) 0x7BFF));      // largest finite
        assertEquals(5.9604645e-8f, HalfFloats.f16ToFloat((short) 0x0001)); // smallest subnormal, 2^-24
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.f16ToFloat((short) 0xFC00));
    }

    @Test
    void bf16IsTheUpperHalfOfFloat32() {
        for (int bits = 0; bits < 65536; bits += 7) {
            float got = HalfFloats.bf16ToFloat((short) bits);
            assertEquals(bits << 16, Float.floatToRawIntBits(got), "pattern 0x" + Integer.toHexString(bits));
        }
        assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3F80));
        assertEquals(-0.5f, HalfFloats.bf16ToFloat((short) 0xBF00));
    }
}

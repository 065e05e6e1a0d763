package dev.embedtune.model.safetensors;

/**
 * Exact widening of IEEE 754 binary16 (F16) and bfloat16 (BF16) to float32. Java 17 has no
 * {@code Float.float16ToFloat}; every F16 and BF16 value is representable in float32, so the
 * conversion is exact.
 */
final class HalfFloats {
    private HalfFloats() {
    }

    /** bfloat16 is the upper half of a float32's bits. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits. */
    static float f16ToFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {                     // infinity or NaN: keep the payload
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign); // ±0
            }
            // Subnormal: mantissa · 2^-24, exactly representable as a normal float32.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }
}

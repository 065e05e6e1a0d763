package dev.embedtune.quant;

/**
 * The block-wise formats of frozen weights. NF4 and FP4 are bitsandbytes' 4-bit types (QLoRA,
 * https://arxiv.org/abs/2305.14314): a value is scaled by its block's absmax into [-1, 1] and
 * stored as the index of the nearest of 16 code values, two indices a byte with the first element
 * in the high nibble. INT8 stores round(x / absmax · 127) in a signed byte.
 */
public enum QuantType {
    /** NormalFloat4: 16 quantiles of N(0, 1) scaled to [-1, 1] (bitsandbytes' table). */
    NF4(4, new float[] {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f}),
    /**
     * bitsandbytes' FP4 (1 sign, 2 exponent, 1 mantissa bit): index sign·8 + e1·4 + e0·2 + m holds
     * [0, 0.0625, 8, 12, 4, 6, 2, 3] (negated for the sign bit) divided by 12.
     */
    FP4(4, fp4Code()),
    /** Symmetric 8-bit: code c ∈ [-127, 127] means c / 127 of the block's absmax. */
    INT8(8, null);

    private final int bits;
    private final float[] code;

    QuantType(int bits, float[] code) {
        this.bits = bits;
        this.code = code;
    }

    public int bits() {
        return bits;
    }

    /** The 16 code values of a 4-bit type, indexed by the stored nibble; null for INT8. */
    public float[] code() {
        return code == null ? null : code.clone();
    }

    /** Bytes holding {@code n} codes. */
    public long packedBytes(long n) {
        return bits == 4 ? (n + 1) / 2 : n;
    }

    private static float[] fp4Code() {
        float[] magnitudes = {0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f};
        float[] c = new float[16];
        for (int i = 0; i < 8; i++) {
            c[i] = magnitudes[i] / 12f;
            c[i + 8] = -magnitudes[i] / 12f;
        }
        return c;
    }
}

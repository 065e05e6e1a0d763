package dev.embedtune.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Rotary position embedding in rotate-half form (ModernBERT, Hugging Face's {@code apply_rotary_pos_emb}):
 * for the halves x₁, x₂ of each head of a token at position p and angle tables c, s {@code [T, D/2]}
 * (the D/2 frequencies; HF repeats them twice), rows c[p], s[p],
 * <pre>
 *   y₁ = x₁·c − x₂·s,   y₂ = x₂·c + x₁·s
 * backward (a rotation, so its transpose):
 *   dx₁ = dy₁·c + dy₂·s,   dx₂ = dy₂·c − dy₁·s       — the forward with s negated
 * </pre>
 * The attention kernels apply it ({@link dev.embedtune.autodiff.kernels.PackedAttention}); this class
 * builds the tables.
 */
public final class Rope {
    private Rope() {
    }

    /**
     * cos and sin [T, D/2] of pos · θ^(−2i/D). For FLOAT the angle is the float32 product of position
     * and frequency, as Hugging Face computes it (at position 500 the float and double angles differ
     * by about 3e-5 rad); DOUBLE keeps it exact for gradient checks.
     */
    public static INDArray[] tables(org.nd4j.linalg.api.buffer.DataType type, int tokens, int headDim, double theta) {
        boolean float32 = type != org.nd4j.linalg.api.buffer.DataType.DOUBLE;
        double[][] cos = new double[tokens][headDim / 2], sin = new double[tokens][headDim / 2];
        for (int pos = 0; pos < tokens; pos++) {
            for (int i = 0; i < headDim / 2; i++) {
                double frequency = 1.0 / Math.pow(theta, 2.0 * i / headDim);
                double angle = float32 ? (float) pos * (float) frequency : pos * frequency;
                cos[pos][i] = Math.cos(angle);
                sin[pos][i] = Math.sin(angle);
            }
        }
        return new INDArray[] {Nd4j.createFromArray(cos).castTo(type), Nd4j.createFromArray(sin).castTo(type)};
    }
}

package dev.embedtune.autodiff;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embedding in rotate-half form (ModernBERT, Hugging Face's {@code apply_rotary_pos_emb}),
 * on {@code [M, H]} projections viewed as {@code [B, T, N, D]}: for the halves x₁, x₂ of each head
 * and angle tables c, s {@code [T, D/2]} (the D/2 frequencies; HF repeats them twice),
 * <pre>
 *   y₁ = x₁·c − x₂·s,   y₂ = x₂·c + x₁·s
 * backward (a rotation, so its transpose):
 *   dx₁ = dy₁·c + dy₂·s,   dx₂ = dy₂·c − dy₁·s       — the forward with s negated
 * </pre>
 */
public final class Rope {
    private final int heads;

    public Rope(int heads) {
        this.heads = heads;
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

    /** y = RoPE(x); {@code x}, {@code y} [B·T, H] (distinct); {@code work} [B, T, N, D/2]. */
    public void forward(INDArray x, long batch, long tokens, INDArray cos, INDArray sin, INDArray y, INDArray work) {
        rotate(x, batch, tokens, cos, sin, y, work);
    }

    /** dx = RoPE⁻¹(dy) = RoPE with −sin. */
    public void backward(INDArray dy, long batch, long tokens, INDArray cos, INDArray sin, INDArray dx, INDArray work) {
        rotate(dy, batch, tokens, cos, sin.neg(), dx, work);
    }

    private void rotate(INDArray x, long batch, long tokens, INDArray cos, INDArray sin, INDArray y, INDArray work) {
        long d = x.size(1) / heads, half = d / 2;
        INDArray xv = x.reshape('c', batch, tokens, heads, d), yv = y.reshape('c', batch, tokens, heads, d);
        INDArray x1 = xv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray x2 = xv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, d));
        INDArray y1 = yv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray y2 = yv.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, d));
        Nd4j.exec(new BroadcastMulOp(x1, cos, work, 1, 3));
        Nd4j.exec(new BroadcastMulOp(x2, sin, y1, 1, 3));
        y1.rsubi(work);                                                   // x₁c − x₂s
        Nd4j.exec(new BroadcastMulOp(x2, cos, work, 1, 3));
        Nd4j.exec(new BroadcastMulOp(x1, sin, y2, 1, 3));
        y2.addi(work);                                                    // x₂c + x₁s
    }
}

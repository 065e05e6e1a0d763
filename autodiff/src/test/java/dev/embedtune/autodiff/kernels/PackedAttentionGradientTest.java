package dev.embedtune.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.autodiff.GradientCheck;
import dev.embedtune.autodiff.Rope;
import dev.embedtune.autodiff.TokenLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Attention over packed rows in double precision (the portable version, which the fast path is
 * held equal to in {@link FusedKernelsTest}): the backward against central finite differences
 * (relative error ≤ 1e-4, ε = 1e-6, gradients below 1e-5 compared absolutely), each sequence
 * attending only to its own tokens, the window and the RoPE definition by hand. Fresh random
 * inputs each run (the seed is printed on failure).
 */
class PackedAttentionGradientTest {
    private static final double TOLERANCE = 1e-4, EPS = 1e-6, FLOOR = 1e-5;
    private final long seed = System.nanoTime();

    private static INDArray random(long... shape) {
        return Nd4j.rand(DataType.DOUBLE, shape).subi(0.5).muli(2);
    }

    private static TokenLayout ragged() {
        return TokenLayout.of(new int[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 0, 0, 0, 0}});
    }

    @Test
    void gradientsOfQkvAndBiasWithRopeWindowAndDropout() {
        int heads = 2, d = 4, h = heads * d;
        TokenLayout layout = ragged();
        INDArray[] rope = Rope.tables(DataType.DOUBLE, layout.paddedLength(), d, 10000.0);
        AttentionSettings[] cases = {
            AttentionSettings.of(heads),
            new AttentionSettings(heads, rope[0], rope[1], 1, 0, null, 0),
            new AttentionSettings(heads, rope[0], rope[1], AttentionSettings.GLOBAL, 0.4, new long[] {seed, seed + 1, seed + 2}, 3),
        };
        String[] names = {"plain", "RoPE + window ±1", "RoPE + dropout 0.4"};
        for (int c = 0; c < cases.length; c++) {
            Nd4j.getRandom().setSeed(seed + c);
            AttentionSettings s = cases[c];
            INDArray qkv = random(layout.rows(), 3 * h).muli(2), bias = random(3 * h), rr = random(layout.rows(), h);
            INDArray context = Nd4j.create(DataType.DOUBLE, layout.rows(), h), lse = Nd4j.create(DataType.DOUBLE, layout.rows(), heads);
            PackedAttention.forward(layout, qkv, bias, s, context, lse);
            INDArray dQkv = qkv.ulike();
            PackedAttention.backward(layout, qkv, bias, s, context, lse, rr, dQkv);
            INDArray dBias = dQkv.sum(0);
            Map<String, INDArray> params = new LinkedHashMap<>(Map.of("qkv", qkv, "bias", bias));
            GradientCheck.Result result = GradientCheck.check(params, Map.of("qkv", dQkv, "bias", dBias), () -> {
                PackedAttention.forward(layout, qkv, bias, s, context, lse);
                return context.mul(rr).sumNumber().doubleValue();
            }, 60, EPS, FLOOR, seed);
            assertTrue(result.relativeError() <= TOLERANCE, names[c] + " (seed " + seed + "): " + result);
        }
    }

    /** A sequence's output depends on its own tokens only, and a local layer's on keys within reach only. */
    @Test
    void sequencesAndWindowsAreIsolated() {
        Nd4j.getRandom().setSeed(seed);
        int heads = 2, h = 8;
        TokenLayout layout = ragged();
        for (int reach : new int[] {AttentionSettings.GLOBAL, 1}) {
            AttentionSettings s = new AttentionSettings(heads, null, null, reach, 0, null, 0);
            INDArray qkv = random(layout.rows(), 3 * h), context = Nd4j.create(DataType.DOUBLE, layout.rows(), h);
            INDArray lse = Nd4j.create(DataType.DOUBLE, layout.rows(), heads);
            PackedAttention.forward(layout, qkv, null, s, context, lse);
            INDArray before = context.dup();
            // change the keys and values of sequence 0's last token (row 4) and of sequence 1 (rows 5–7)
            qkv.get(NDArrayIndex.interval(4, 8), NDArrayIndex.interval(h, 3 * h)).addi(1);
            PackedAttention.forward(layout, qkv, null, s, context, lse);
            for (int row = 0; row < layout.rows(); row++) {
                boolean sees = row >= 5 && row <= 7 || layout.sequence(row) == 0 && (reach == AttentionSettings.GLOBAL || row >= 3);
                double change = Nd4j.math().abs(context.getRow(row).sub(before.getRow(row))).maxNumber().doubleValue();
                assertEquals(sees, change > 0, "row " + row + " (reach " + reach + "): change " + change);
            }
        }
    }

    /** Hugging Face's form: q·cos + rotate_half(q)·sin with cos/sin = cat(freqs, freqs), rotate_half = [−x₂, x₁]. */
    @Test
    void ropeIsTheRotateHalfDefinitionAtEachRowsPosition() {
        Nd4j.getRandom().setSeed(seed);
        int heads = 2, d = 6;
        TokenLayout layout = ragged();
        INDArray[] cs = Rope.tables(DataType.DOUBLE, layout.paddedLength(), d, 10000.0);
        AttentionSettings s = new AttentionSettings(heads, cs[0], cs[1], AttentionSettings.GLOBAL, 0, null, 0);
        INDArray x = random(layout.rows(), heads * d);
        INDArray y = PackedAttention.rotate(layout, x, s, false);
        for (int row = 0; row < layout.rows(); row++) {
            int pos = layout.position(row);
            for (int n = 0; n < heads; n++) {
                for (int i = 0; i < d; i++) {
                    int f = i % (d / 2);
                    double angle = pos * Math.pow(10000.0, -2.0 * f / d);
                    double rotated = i < d / 2 ? -x.getDouble(row, n * d + i + d / 2) : x.getDouble(row, n * d + i - d / 2);
                    double expected = x.getDouble(row, n * d + i) * Math.cos(angle) + rotated * Math.sin(angle);
                    assertEquals(expected, y.getDouble(row, n * d + i), 1e-12, "RoPE at row " + row + " dim " + (n * d + i));
                }
            }
        }
        INDArray back = PackedAttention.rotate(layout, y, s, true);
        assertTrue(Nd4j.math().abs(back.sub(x)).maxNumber().doubleValue() < 1e-12, "the inverse rotation undoes it");
    }
}

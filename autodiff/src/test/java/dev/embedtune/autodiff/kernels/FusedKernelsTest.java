package dev.embedtune.autodiff.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.embedtune.autodiff.Rope;
import dev.embedtune.autodiff.TokenLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The fused CPU kernels equal their portable ND4J-ops versions, on fresh random inputs each run (the
 * seed is printed on failure), and give the same bits when run twice. Tolerances are absolute, per
 * unit of the larger array's largest magnitude: 2e-6 for row-wise kernels (one float32 rounding of
 * sums over a row, taken in a different order), 1e-5 for attention (softmax, products over up to 130
 * keys and RoPE in float32; the fast path folds 1/√D into q), 1e-5 for GELU (the erf
 * approximation).
 */
class FusedKernelsTest {
    private long seed;

    @BeforeEach
    void fastPathIsOn() {
        assumeTrue(KernelPath.cpuVector(),
                "the CPU fast path is off (not the CPU backend, or no --add-modules jdk.incubator.vector)");
        seed = System.nanoTime();
        Nd4j.getRandom().setSeed(seed);
    }

    @Test
    void gemmOnBlockViewsEqualsThePortableVersion() {
        INDArray a = Nd4j.randn(DataType.FLOAT, 37, 3 * 20), b = Nd4j.randn(DataType.FLOAT, 20, 11);
        INDArray block = a.get(NDArrayIndex.all(), NDArrayIndex.interval(20, 40));          // [37, 20], row stride 60
        INDArray c = Nd4j.randn(DataType.FLOAT, 37, 2 * 11), expected = c.dup();
        INDArray cBlock = c.get(NDArrayIndex.all(), NDArrayIndex.interval(11, 22));
        Gemm.gemm(block, b, cBlock, false, false, 0.5, 1.0);
        Gemm.portable(block, b, expected.get(NDArrayIndex.all(), NDArrayIndex.interval(11, 22)), false, false, 0.5, 1.0);
        assertClose(c, expected, 2e-6, "C = 0.5·A·B + C on views");
        INDArray d = Nd4j.create(DataType.FLOAT, 20, 11), dExpected = d.ulike();
        Gemm.gemm(block, c.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 11)), d, true, false, 1, 0);
        Gemm.portable(block, c.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 11)), dExpected, true, false, 1, 0);
        assertClose(d, dExpected, 2e-6, "Aᵀ·B on views");
    }

    @Test
    void residualNormEqualsThePortableVersion() {
        int n = 131, h = 72;                          // 131 rows: three chunks; 72 = 4.5 vectors of 16
        INDArray a = Nd4j.randn(DataType.FLOAT, n, h), bias = Nd4j.randn(DataType.FLOAT, h),
                mask = Nd4j.rand(DataType.FLOAT, n, h).gt(0.1).castTo(DataType.FLOAT).muli(1 / 0.9),
                residual = Nd4j.randn(DataType.FLOAT, n, h), gamma = Nd4j.randn(DataType.FLOAT, h),
                beta = Nd4j.randn(DataType.FLOAT, h);
        INDArray[] fast = normForward(a, bias, mask, residual, gamma, beta, true);
        INDArray[] portable = normForward(a, bias, mask, residual, gamma, beta, false);
        String[] names = {"x̂", "rstd", "sum", "y"};
        for (int i = 0; i < 4; i++) {
            assertClose(fast[i], portable[i], 2e-6, "forward " + names[i]);
        }
        INDArray[] again = normForward(a, bias, mask, residual, gamma, beta, true);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(fast[i].data().asFloat(), again[i].data().asFloat(), "run twice: " + names[i]);
        }

        INDArray dy = Nd4j.randn(DataType.FLOAT, n, h), start = Nd4j.randn(DataType.FLOAT, n, h);
        for (boolean accumulate : new boolean[] {false, true}) {
            INDArray[] f = normBackward(fast[0], fast[1], gamma, dy, start, accumulate, mask, true);
            INDArray[] p = normBackward(fast[0], fast[1], gamma, dy, start, accumulate, mask, false);
            String[] grads = {"ds", "dBranch", "dγ", "dβ", "db"};
            for (int i = 0; i < 5; i++) {
                if (f[i] != null) {
                    assertClose(f[i], p[i], 2e-6, "backward " + grads[i] + (accumulate ? " (accumulated)" : ""));
                }
            }
        }
    }

    /**
     * A forward-only pass (inference) skips what only the backward reads: ResidualNorm without x̂,
     * BiasGelu without writing u back. Their outputs must be the same bits as the full call's, on
     * both paths, and the skipped input left as it was.
     */
    @Test
    void forwardOnlyCallsGiveTheSameOutputs() {
        int n = 131, h = 72, w = 1003;
        INDArray a = Nd4j.randn(DataType.FLOAT, n, h), bias = Nd4j.randn(DataType.FLOAT, h),
                residual = Nd4j.randn(DataType.FLOAT, n, h), gamma = Nd4j.randn(DataType.FLOAT, h),
                beta = Nd4j.randn(DataType.FLOAT, h);
        for (boolean fast : new boolean[] {true, false}) {
            INDArray[] full = normForward(a, bias, null, residual, gamma, beta, fast);
            INDArray rstd = Nd4j.create(DataType.FLOAT, n, 1), y = a.ulike();
            if (fast) {
                ResidualNorm.forward(a, bias, null, residual, gamma, beta, 1e-12, null, rstd, null, y);
            } else {
                ResidualNorm.forwardPortable(a, bias, null, residual, gamma, beta, 1e-12, null, rstd, null, y);
            }
            assertArrayEquals(full[3].data().asFloat(), y.data().asFloat(), "norm without x̂: y (fast " + fast + ")");
            assertArrayEquals(full[1].data().asFloat(), rstd.data().asFloat(), "norm without x̂: rstd (fast " + fast + ")");
        }
        INDArray z = Nd4j.randn(DataType.FLOAT, n, w).muli(4), geluBias = Nd4j.randn(DataType.FLOAT, w);
        INDArray kept = z.dup(), gKept = z.ulike(), untouched = z.dup(), g = z.ulike();
        BiasGelu.forward(kept, geluBias, gKept, true);
        BiasGelu.forward(untouched, geluBias, g, false);
        assertArrayEquals(gKept.data().asFloat(), g.data().asFloat(), "gelu without keeping u");
        assertArrayEquals(z.data().asFloat(), untouched.data().asFloat(), "z left as it was");
    }

    private static INDArray[] normForward(INDArray a, INDArray bias, INDArray mask, INDArray residual, INDArray gamma,
            INDArray beta, boolean fast) {
        INDArray xHat = a.ulike(), rstd = Nd4j.create(DataType.FLOAT, a.size(0), 1), sum = a.ulike(), y = a.ulike();
        if (fast) {
            ResidualNorm.forward(a, bias, mask, residual, gamma, beta, 1e-12, xHat, rstd, sum, y);
        } else {
            ResidualNorm.forwardPortable(a, bias, mask, residual, gamma, beta, 1e-12, xHat, rstd, sum, y);
        }
        return new INDArray[] {xHat, rstd, sum, y};
    }

    private static INDArray[] normBackward(INDArray xHat, INDArray rstd, INDArray gamma, INDArray dy, INDArray start,
            boolean accumulate, INDArray mask, boolean fast) {
        long h = xHat.size(1);
        INDArray ds = start.dup(), dBranch = accumulate ? null : xHat.ulike(), gGamma = Nd4j.ones(DataType.FLOAT, h),
                gBeta = Nd4j.ones(DataType.FLOAT, h), gBias = Nd4j.ones(DataType.FLOAT, h);
        if (fast) {
            ResidualNorm.backward(xHat, rstd, gamma, dy, ds, accumulate, mask, dBranch, gGamma, gBeta, gBias);
        } else {
            ResidualNorm.backwardPortable(xHat, rstd, gamma, dy, ds, accumulate, mask, dBranch, gGamma, gBeta, gBias);
        }
        return new INDArray[] {ds, dBranch, gGamma, gBeta, gBias};
    }

    @Test
    void biasGeluEqualsThePortableVersion() {
        int n = 70, w = 1003;
        INDArray z = Nd4j.randn(DataType.FLOAT, n, w).muli(4), bias = Nd4j.randn(DataType.FLOAT, w);
        INDArray zFast = z.dup(), zPortable = z.dup(), gFast = z.ulike(), gPortable = z.ulike();
        BiasGelu.forward(zFast, bias, gFast);
        zPortable.addiRowVector(bias);
        Gelu.forwardPortable(zPortable, gPortable);
        assertClose(zFast, zPortable, 2e-6, "u = z + b");
        assertClose(gFast, gPortable, 1e-5, "gelu(u)");

        INDArray dg = Nd4j.randn(DataType.FLOAT, n, w), duFast = dg.dup(), duPortable = z.ulike();
        INDArray gradFast = Nd4j.zeros(DataType.FLOAT, w), gradPortable = Nd4j.zeros(DataType.FLOAT, w);
        BiasGelu.backward(zFast, duFast, duFast, gradFast, null);
        Gelu.backwardPortable(zFast, dg, duPortable, z.ulike());
        gradPortable.addi(duPortable.sum(0));
        assertClose(duFast, duPortable, 1e-5, "du");
        assertClose(gradFast, gradPortable, 1e-5, "db");
    }

    /** Ragged lengths 1, 37, 130 (three query blocks) and 5: whole vectors, tails, and one-token sequences. */
    private static TokenLayout raggedLayout() {
        int[] lengths = {1, 37, 130, 5};
        int t = 130;
        int[][] mask = new int[lengths.length][t];
        for (int b = 0; b < lengths.length; b++) {
            for (int j = 0; j < lengths[b]; j++) {
                mask[b][j] = 1;
            }
        }
        return TokenLayout.of(mask);
    }

    @Test
    void attentionEqualsThePortableVersion() {
        TokenLayout layout = raggedLayout();
        int heads = 3, d = 24, h = heads * d;                 // D = 24: one and a half vectors, padded
        INDArray[] rope = Rope.tables(DataType.FLOAT, layout.paddedLength(), d, 10000);
        long[] seeds = {11, 12, 13, 14};
        AttentionSettings[] cases = {
            AttentionSettings.of(heads),
            new AttentionSettings(heads, rope[0], rope[1], AttentionSettings.GLOBAL, 0, null, 0),
            new AttentionSettings(heads, rope[0], rope[1], 4, 0, null, 0),
            new AttentionSettings(heads, null, null, AttentionSettings.GLOBAL, 0.2, seeds, 7),
            new AttentionSettings(heads, rope[0], rope[1], 9, 0.1, seeds, 8),
        };
        String[] names = {"plain", "RoPE", "RoPE + window of ±4", "dropout 0.2", "RoPE + window + dropout"};
        for (int c = 0; c < cases.length; c++) {
            AttentionSettings s = cases[c];
            INDArray qkv = Nd4j.randn(DataType.FLOAT, layout.rows(), 3 * h).muli(2), bias = Nd4j.randn(DataType.FLOAT, 3 * h);
            INDArray fast = Nd4j.create(DataType.FLOAT, layout.rows(), h), portable = fast.ulike();
            INDArray lse = Nd4j.create(DataType.FLOAT, layout.rows(), heads);
            PackedAttention.forward(layout, qkv, bias, s, fast, lse);
            PackedAttention.forwardPortable(layout, qkv, bias, s, portable);
            assertClose(fast, portable, 1e-5, names[c] + ": context");

            INDArray dC = Nd4j.randn(DataType.FLOAT, layout.rows(), h);
            INDArray dFast = qkv.ulike(), dPortable = qkv.ulike();
            PackedAttention.backward(layout, qkv, bias, s, fast, lse, dC, dFast);
            PackedAttention.backwardPortable(layout, qkv, bias, s, dC, dPortable);
            assertClose(dFast, dPortable, 1e-5, names[c] + ": dqkv");

            INDArray again = qkv.ulike();
            PackedAttention.backward(layout, qkv, bias, s, fast, lse, dC, again);
            assertArrayEquals(dFast.data().asFloat(), again.data().asFloat(), names[c] + ": run twice");
        }
    }

    /**
     * The fast path hands whole sequences to a task when the batch is large and splits the heads
     * over tasks when it is small: a sequence's outputs must not depend on which, to the bit. The
     * same first sequence (RoPE, a ±9 window, dropout) alone (heads split) and as the first of 9
     * (whole sequences per task); the 9-sequence batch also against the portable version (1e-5).
     */
    @Test
    void attentionDoesNotDependOnHowHeadsAreGrouped() {
        int heads = 4, d = 32, h = heads * d, t = 70;
        int[] lengths = {70, 3, 64, 1, 17, 33, 70, 2, 49};
        int[][] mask = new int[lengths.length][t];
        for (int b = 0; b < lengths.length; b++) {
            for (int j = 0; j < lengths[b]; j++) {
                mask[b][j] = 1;
            }
        }
        TokenLayout many = TokenLayout.of(mask), one = TokenLayout.of(new int[][] {mask[0]});
        INDArray[] rope = Rope.tables(DataType.FLOAT, t, d, 10000);
        long[] seeds = {21, 22, 23, 24, 25, 26, 27, 28, 29};
        AttentionSettings s = new AttentionSettings(heads, rope[0], rope[1], 9, 0.1, seeds, 5);
        INDArray qkv = Nd4j.randn(DataType.FLOAT, many.rows(), 3 * h), bias = Nd4j.randn(DataType.FLOAT, 3 * h);
        INDArray dC = Nd4j.randn(DataType.FLOAT, many.rows(), h);
        INDArray context = Nd4j.create(DataType.FLOAT, many.rows(), h), lse = Nd4j.create(DataType.FLOAT, many.rows(), heads);
        INDArray dQkv = qkv.ulike();
        PackedAttention.forward(many, qkv, bias, s, context, lse);
        PackedAttention.backward(many, qkv, bias, s, context, lse, dC, dQkv);
        INDArray portable = context.ulike(), dPortable = qkv.ulike();
        PackedAttention.forwardPortable(many, qkv, bias, s, portable);
        PackedAttention.backwardPortable(many, qkv, bias, s, dC, dPortable);
        assertClose(context, portable, 1e-5, "9 sequences: context");
        assertClose(dQkv, dPortable, 1e-5, "9 sequences: dqkv");

        int n = lengths[0];
        INDArray qkv1 = qkv.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup();
        INDArray dC1 = dC.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup();
        INDArray context1 = Nd4j.create(DataType.FLOAT, n, h), lse1 = Nd4j.create(DataType.FLOAT, n, heads), dQkv1 = qkv1.ulike();
        AttentionSettings s1 = new AttentionSettings(heads, rope[0], rope[1], 9, 0.1, new long[] {seeds[0]}, 5);
        PackedAttention.forward(one, qkv1, bias, s1, context1, lse1);
        PackedAttention.backward(one, qkv1, bias, s1, context1, lse1, dC1, dQkv1);
        assertArrayEquals(context.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup().data().asFloat(),
                context1.data().asFloat(), "context of the first sequence: alone against in a batch of 9");
        assertArrayEquals(lse.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup().data().asFloat(),
                lse1.data().asFloat(), "log-sum-exp of the first sequence");
        assertArrayEquals(dQkv.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()).dup().data().asFloat(),
                dQkv1.data().asFloat(), "dqkv of the first sequence");
    }

    private void assertClose(INDArray fast, INDArray portable, double tolerance, String what) {
        float[] a = fast.dup('c').data().asFloat(), b = portable.dup('c').data().asFloat();
        double scale = 1;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.max(Math.abs(a[i]), Math.abs(b[i])));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < a.length; i++) {
            double e = Math.abs(a[i] - b[i]);
            if (!(e <= worst)) {
                worst = e;
                at = i;
            }
        }
        assertTrue(worst <= tolerance * scale, what + ": largest difference " + worst + " at " + at + " (fast "
                + (at < 0 ? "" : a[at]) + ", portable " + (at < 0 ? "" : b[at]) + "), tolerance " + tolerance * scale
                + " (seed " + seed + ")");
    }
}

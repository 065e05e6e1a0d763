package dev.embedtune.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.autodiff.kernels.Gelu;
import dev.embedtune.quant.BlockQuantizer;
import dev.embedtune.quant.QuantType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Each building block's hand-written backward against central finite differences in double
 * precision: loss = Σ output ⊙ R for a fixed random R, so dL/d(output) = R. Fresh random inputs each
 * run (the seed is printed on failure). Tolerance: relative error ≤ 1e-4 (ε = 1e-6). Central
 * differences of losses of order 10 carry about 1e-16 · 10 / ε = 1e-9 of round-off, so gradients
 * below 1e-5 are compared absolutely (error ≤ 1e-4 · 1e-5): a GELU gradient of 8e-7 deep in the
 * tail once missed a 1e-7 floor by 2.6e-10.
 */
class BlockGradientTest {
    private static final double TOLERANCE = 1e-4, EPS = 1e-6, FLOOR = 1e-5;
    private final long seed = System.nanoTime();

    private INDArray random(long... shape) {
        return Nd4j.rand(DataType.DOUBLE, shape).subi(0.5).muli(2);
    }

    private static double weightedSum(INDArray out, INDArray r) {
        return out.mul(r).sumNumber().doubleValue();
    }

    private void assertClose(GradientCheck.Result result, String what) {
        assertTrue(result.relativeError() <= TOLERANCE, what + " (seed " + seed + "): " + result);
    }

    private LoraLinear loraLinear(FrozenWeight w, Map<String, INDArray> params, Map<String, INDArray> grads, int r) {
        INDArray a = random(r, w.columns()), b = random(w.rows(), r), bias = random(w.rows());
        INDArray ga = Nd4j.zeros(DataType.DOUBLE, a.shape()), gb = Nd4j.zeros(DataType.DOUBLE, b.shape());
        params.put("A", a);
        params.put("B", b);
        grads.put("A", ga);
        grads.put("B", gb);
        return new LoraLinear(w, bias, a, b, ga, gb, 2.0, new WeightScratch(DataType.DOUBLE));
    }

    private void checkLinear(FrozenWeight w) {
        Nd4j.getRandom().setSeed(seed);
        int m = 7, r = 3;
        Map<String, INDArray> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        LoraLinear linear = loraLinear(w, params, grads, r);
        INDArray x = random(m, w.columns()), rr = random(m, w.rows());
        params.put("x", x);
        INDArray y = Nd4j.create(DataType.DOUBLE, m, w.rows()), xa = Nd4j.create(DataType.DOUBLE, m, r);
        linear.forward(x, y, xa);
        INDArray dx = Nd4j.create(DataType.DOUBLE, m, w.columns());
        linear.backward(x, xa, rr, dx, false, Nd4j.create(DataType.DOUBLE, m, r));
        grads.put("x", dx);
        assertClose(GradientCheck.check(params, grads, () -> {
            linear.forward(x, y, xa);
            return weightedSum(y, rr);
        }, 40, EPS, FLOOR, seed), "LoRA linear");
    }

    /**
     * LoRA dropout (a fixed mask, so the loss is a smooth function of x, A, B and the bias) and a
     * trainable bias: x, A, B and b against finite differences.
     */
    @Test
    void loraLinearWithDropoutAndTrainableBias() {
        Nd4j.getRandom().setSeed(seed);
        int m = 7, r = 3, in = 10, out = 6;
        FrozenWeight w = FrozenWeight.dense(random(out, in));
        INDArray a = random(r, in), b = random(out, r), bias = random(out);
        INDArray ga = a.ulike(), gb = b.ulike(), gBias = Nd4j.zeros(DataType.DOUBLE, out);
        LoraLinear linear = new LoraLinear(w, bias, gBias, a, b, ga, gb, 2.0, new WeightScratch(DataType.DOUBLE));
        INDArray x = random(m, in), rr = random(m, out), mask = Nd4j.create(DataType.DOUBLE, m, in);
        dev.embedtune.autodiff.kernels.DropoutMask.fill(mask, 0.3, new long[] {seed}, 1);
        assertTrue(mask.eq(0).castTo(DataType.INT).sumNumber().intValue() > 0, "the mask must drop something");
        INDArray y = Nd4j.create(DataType.DOUBLE, m, out), xa = Nd4j.create(DataType.DOUBLE, m, r), work = x.ulike();
        linear.forward(x, y, xa, mask, work);
        INDArray dx = x.ulike();
        linear.backward(x, xa, rr, dx, false, Nd4j.create(DataType.DOUBLE, m, r), mask, work);
        Map<String, INDArray> params = new LinkedHashMap<>(Map.of("x", x, "A", a, "B", b, "bias", bias));
        Map<String, INDArray> grads = Map.of("x", dx, "A", ga, "B", gb, "bias", gBias);
        assertClose(GradientCheck.check(params, grads, () -> {
            linear.forward(x, y, xa, mask, work);
            return weightedSum(y, rr);
        }, 40, EPS, FLOOR, seed), "LoRA linear with dropout");
        // hand-computed: y = x·Wᵀ + b + 2·((x ⊙ m)·Aᵀ)·Bᵀ, with W from the frozen weight
        linear.forward(x, y, xa, mask, work);
        INDArray dense = Nd4j.create(DataType.DOUBLE, out, in);
        w.writeTo(dense);
        INDArray expected = x.mmul(dense.transpose()).addiRowVector(bias).addi(x.mul(mask).mmul(a.transpose()).mmul(b.transpose()).muli(2));
        double diff = Nd4j.math().abs(expected.sub(y)).maxNumber().doubleValue();
        assertTrue(diff < 1e-12, "PEFT's formula in double: max |difference| " + diff);
    }

    @Test
    void layerNormParameterGradients() {
        Nd4j.getRandom().setSeed(seed);
        int m = 5, h = 8;
        INDArray gamma = random(h), beta = random(h), gg = Nd4j.zeros(DataType.DOUBLE, h), gb = Nd4j.zeros(DataType.DOUBLE, h);
        LayerNorm norm = new LayerNorm(gamma, beta, gg, gb, 1e-12);
        INDArray x = random(m, h).muli(3), rr = random(m, h);
        INDArray xHat = Nd4j.create(DataType.DOUBLE, m, h), rstd = Nd4j.create(DataType.DOUBLE, m, 1),
                y = Nd4j.create(DataType.DOUBLE, m, h), dx = Nd4j.create(DataType.DOUBLE, m, h);
        norm.forward(x, xHat, rstd, y);
        norm.backward(xHat, rstd, rr, dx, Nd4j.create(DataType.DOUBLE, m, h));
        Map<String, INDArray> params = new LinkedHashMap<>(Map.of("x", x, "gamma", gamma, "beta", beta));
        assertClose(GradientCheck.check(params, Map.of("x", dx, "gamma", gg, "beta", gb), () -> {
            norm.forward(x, xHat, rstd, y);
            return weightedSum(y, rr);
        }, 40, EPS, FLOOR, seed), "LayerNorm with γ, β");
    }

    @Test
    void attentionWithProbabilityDropout() {
        Nd4j.getRandom().setSeed(seed);
        int b = 3, t = 5, heads = 2, h = 8;
        Attention attention = new Attention(heads);
        INDArray mask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 0, 0, 0, 0}});
        INDArray q = random(b * t, h), k = random(b * t, h), v = random(b * t, h), rr = random(b * t, h);
        INDArray probs = Nd4j.create(DataType.DOUBLE, b, heads, t, t), context = Nd4j.create(DataType.DOUBLE, b * t, h);
        INDArray drop = probs.ulike(), dProbs = probs.ulike();
        dev.embedtune.autodiff.kernels.DropoutMask.fill(drop, 0.4, new long[] {seed, seed + 1, seed + 2}, 0);
        attention.forward(q, k, v, mask, probs, context, drop, dProbs);
        // hand-computed: C = (P ⊙ m)·V per batch row and head, with P from the undropped forward
        INDArray plainProbs = probs.ulike(), plain = context.ulike();
        attention.forward(q, k, v, mask, plainProbs, plain);
        for (int i = 0; i < b; i++) {
            for (int n = 0; n < heads; n++) {
                INDArray p = plainProbs.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i), org.nd4j.linalg.indexing.NDArrayIndex.point(n));
                INDArray m = drop.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i), org.nd4j.linalg.indexing.NDArrayIndex.point(n));
                INDArray vh = v.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i * t, i * t + t),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(n * h / heads, (n + 1) * h / heads));
                INDArray ch = context.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i * t, i * t + t),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(n * h / heads, (n + 1) * h / heads));
                double diff = Nd4j.math().abs(p.mul(m).mmul(vh).sub(ch)).maxNumber().doubleValue();
                assertTrue(diff < 1e-12, "C = (P ⊙ m)·V at row " + i + " head " + n + ": " + diff);
            }
        }
        attention.forward(q, k, v, mask, probs, context, drop, dProbs);
        INDArray dq = q.ulike(), dk = k.ulike(), dv = v.ulike();
        attention.backward(q, k, v, probs, drop, rr, dProbs, dq, dk, dv);
        Map<String, INDArray> params = new LinkedHashMap<>(Map.of("q", q, "k", k, "v", v));
        Map<String, INDArray> grads = Map.of("q", dq, "k", dk, "v", dv);
        assertClose(GradientCheck.check(params, grads, () -> {
            attention.forward(q, k, v, mask, probs, context, drop, dProbs);
            return weightedSum(context, rr);
        }, 40, EPS, FLOOR, seed), "attention with dropout");
    }

    @Test
    void loraLinearOverDenseBase() {
        Nd4j.getRandom().setSeed(seed);
        checkLinear(FrozenWeight.dense(random(6, 10)));
    }

    @Test
    void loraLinearOverNf4Base() {
        Nd4j.getRandom().setSeed(seed + 1);
        INDArray w = random(6, 64).castTo(DataType.FLOAT);
        checkLinear(FrozenWeight.quantized(BlockQuantizer.quantize(w.data().asFloat(), w.shape(), QuantType.NF4, 64, true)));
    }

    @Test
    void layerNormInputGradient() {
        Nd4j.getRandom().setSeed(seed);
        int m = 5, h = 8;
        LayerNorm norm = new LayerNorm(random(h), random(h), 1e-12);
        INDArray x = random(m, h).muli(3), rr = random(m, h);
        INDArray xHat = Nd4j.create(DataType.DOUBLE, m, h), rstd = Nd4j.create(DataType.DOUBLE, m, 1),
                y = Nd4j.create(DataType.DOUBLE, m, h), dx = Nd4j.create(DataType.DOUBLE, m, h);
        norm.forward(x, xHat, rstd, y);
        norm.backward(xHat, rstd, rr, dx, Nd4j.create(DataType.DOUBLE, m, h));
        assertClose(GradientCheck.check(Map.of("x", x), Map.of("x", dx), () -> {
            norm.forward(x, xHat, rstd, y);
            return weightedSum(y, rr);
        }, 40, EPS, FLOOR, seed), "LayerNorm");
    }

    @Test
    void geluInputGradient() {
        Nd4j.getRandom().setSeed(seed);
        INDArray u = random(6, 9).muli(4), rr = random(6, 9), y = u.ulike(), du = u.ulike();
        Gelu.backward(u, rr, du, u.ulike());
        assertClose(GradientCheck.check(Map.of("u", u), Map.of("u", du), () -> {
            Gelu.forward(u, y);
            return weightedSum(y, rr);
        }, 54, EPS, FLOOR, seed), "GELU");
    }

    @Test
    void geGluInputGradient() {
        Nd4j.getRandom().setSeed(seed);
        INDArray u = random(5, 12).muli(3), rr = random(5, 6), geluA = Nd4j.create(DataType.DOUBLE, 5, 6),
                y = Nd4j.create(DataType.DOUBLE, 5, 6), du = u.ulike();
        INDArray input = Nd4j.create(DataType.DOUBLE, 5, 6);
        GeGlu.forward(u, input, geluA, y);
        GeGlu.backward(u, geluA, rr.dup(), du, input, Nd4j.create(DataType.DOUBLE, 5, 6));   // backward overwrites dy
        assertClose(GradientCheck.check(Map.of("u", u), Map.of("u", du), () -> {
            GeGlu.forward(u, input, geluA, y);
            return weightedSum(y, rr);
        }, 60, EPS, FLOOR, seed), "GeGLU");
    }

    @Test
    void ropeMatchesTheRotateHalfDefinitionAndItsInputGradient() {
        Nd4j.getRandom().setSeed(seed);
        int b = 2, t = 5, heads = 2, d = 6;
        Rope rope = new Rope(heads);
        INDArray[] cs = Rope.tables(DataType.DOUBLE, t, d, 10000.0);
        INDArray x = random(b * t, heads * d), rr = random(b * t, heads * d), y = x.ulike(), dx = x.ulike();
        INDArray work = Nd4j.create(DataType.DOUBLE, b, t, heads, d / 2);
        rope.forward(x, b, t, cs[0], cs[1], y, work);
        // Hugging Face: q·cos + rotate_half(q)·sin with cos/sin = cat(freqs, freqs), rotate_half = [−x₂, x₁]
        for (int row = 0; row < b * t; row++) {
            int pos = row % t;
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < d; i++) {
                    int f = i % (d / 2);
                    double angle = pos * Math.pow(10000.0, -2.0 * f / d);
                    double rotated = i < d / 2 ? -x.getDouble(row, h * d + i + d / 2) : x.getDouble(row, h * d + i - d / 2);
                    double expected = x.getDouble(row, h * d + i) * Math.cos(angle) + rotated * Math.sin(angle);
                    assertEquals(expected, y.getDouble(row, h * d + i), 1e-12, "RoPE at row " + row + " dim " + (h * d + i));
                }
            }
        }
        rope.backward(rr, b, t, cs[0], cs[1], dx, work);
        assertClose(GradientCheck.check(Map.of("x", x), Map.of("x", dx), () -> {
            rope.forward(x, b, t, cs[0], cs[1], y, work);
            return weightedSum(y, rr);
        }, 60, EPS, FLOOR, seed), "RoPE");
    }

    @Test
    void attentionWithPaddingMask() {
        Nd4j.getRandom().setSeed(seed);
        int b = 3, t = 5, heads = 2, h = 8;
        Attention attention = new Attention(heads);
        INDArray mask = Nd4j.createFromArray(new double[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 0, 0, 0, 0}});
        INDArray q = random(b * t, h), k = random(b * t, h), v = random(b * t, h), rr = random(b * t, h);
        INDArray probs = Nd4j.create(DataType.DOUBLE, b, heads, t, t), context = Nd4j.create(DataType.DOUBLE, b * t, h);
        attention.forward(q, k, v, mask, probs, context);
        INDArray dq = q.ulike(), dk = k.ulike(), dv = v.ulike();
        attention.backward(q, k, v, probs, rr, Nd4j.create(DataType.DOUBLE, b, heads, t, t), dq, dk, dv);
        Map<String, INDArray> params = new LinkedHashMap<>(Map.of("q", q, "k", k, "v", v));
        Map<String, INDArray> grads = Map.of("q", dq, "k", dk, "v", dv);
        assertClose(GradientCheck.check(params, grads, () -> {
            attention.forward(q, k, v, mask, probs, context);
            return weightedSum(context, rr);
        }, 40, EPS, FLOOR, seed), "attention");
        // padded keys get no probability, and so no gradient
        assertTrue(probs.getDouble(1, 0, 2, 3) == 0 && dk.getDouble(1 * t + 3, 0) == 0, "padded keys must be ignored");
    }

    @Test
    void attentionWithSlidingWindowMask() {
        // ModernBERT's local layers: a [B, T, T] mask, window ±1, item 1 padded after 3 tokens (its
        // padded queries see the tokens in their window and themselves)
        Nd4j.getRandom().setSeed(seed);
        int b = 2, t = 5, heads = 2, h = 8;
        int[] lengths = {5, 3};
        double[][][] m = new double[b][t][t];
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                for (int key = 0; key < t; key++) {
                    boolean visible = key < lengths[i] && Math.abs(q - key) <= 1 || q == key;
                    m[i][q][key] = visible ? 1 : 0;
                }
            }
        }
        INDArray mask = Nd4j.createFromArray(m);
        Attention attention = new Attention(heads);
        INDArray q = random(b * t, h), k = random(b * t, h), v = random(b * t, h), rr = random(b * t, h);
        INDArray probs = Nd4j.create(DataType.DOUBLE, b, heads, t, t), context = Nd4j.create(DataType.DOUBLE, b * t, h);
        attention.forward(q, k, v, mask, probs, context);
        INDArray dq = q.ulike(), dk = k.ulike(), dv = v.ulike();
        attention.backward(q, k, v, probs, rr, Nd4j.create(DataType.DOUBLE, b, heads, t, t), dq, dk, dv);
        Map<String, INDArray> params = new LinkedHashMap<>(Map.of("q", q, "k", k, "v", v));
        assertClose(GradientCheck.check(params, Map.of("q", dq, "k", dk, "v", dv), () -> {
            attention.forward(q, k, v, mask, probs, context);
            return weightedSum(context, rr);
        }, 40, EPS, FLOOR, seed), "sliding-window attention");
        // keys outside the window get no probability
        assertTrue(probs.getDouble(0, 1, 0, 2) == 0 && probs.getDouble(0, 1, 4, 2) == 0 && probs.getDouble(1, 0, 1, 3) == 0,
                "keys outside the window or padded must be ignored");
    }

    /**
     * A whole ModernBERT layer, with and without attn_norm (layer 0 has none), on a sliding-window
     * mask: the input gradient and one adapter's gradients (on Wqkv, whose backward joins the RoPE'd
     * q and k with v).
     */
    @Test
    void modernBertLayerInputAndAdapterGradients() {
        for (boolean attentionNorm : new boolean[] {false, true}) {
            Nd4j.getRandom().setSeed(seed);
            int b = 2, t = 4, heads = 2, h = 8, inner = 6, r = 2;
            Map<String, INDArray> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
            WeightScratch scratch = new WeightScratch(DataType.DOUBLE);
            LoraLinear wqkv = loraLinear(FrozenWeight.dense(random(3 * h, h).muli(0.5)), params, grads, r);
            LoraLinear wo = new LoraLinear(FrozenWeight.dense(random(h, h).muli(0.5)), null, null, null, null, null, 0, scratch);
            LoraLinear wi = new LoraLinear(FrozenWeight.dense(random(2 * inner, h).muli(0.5)), null, null, null, null, null, 0, scratch);
            LoraLinear mlpWo = new LoraLinear(FrozenWeight.dense(random(h, inner).muli(0.5)), null, null, null, null, null, 0, scratch);
            LayerNorm attnNorm = attentionNorm ? new LayerNorm(random(h).addi(1), null, 1e-5) : null;
            ModernBertLayer layer = new ModernBertLayer(attnNorm, wqkv, wo, new LayerNorm(random(h).addi(1), null, 1e-5), wi,
                    mlpWo, heads);
            double[][][] m = new double[b][t][t];
            for (int i = 0; i < b; i++) {
                for (int q = 0; q < t; q++) {
                    for (int key = 0; key < t; key++) {
                        m[i][q][key] = (key < (i == 0 ? t : 3) && Math.abs(q - key) <= 1) || q == key ? 1 : 0;
                    }
                }
            }
            INDArray mask = Nd4j.createFromArray(m);
            INDArray[] rope = Rope.tables(DataType.DOUBLE, t, h / heads, 10000.0);
            ModernBertLayer.Activations act = new ModernBertLayer.Activations(DataType.DOUBLE, b, t, h, inner, heads, r, true);
            INDArray x = random(b * t, h).muli(2), rr = random(b * t, h), dx = x.ulike();
            params.put("x", x);
            layer.forward(x, mask, rope[0], rope[1], act);
            layer.backward(rr, dx, rope[0], rope[1], act);
            grads.put("x", dx);
            assertClose(GradientCheck.check(params, grads, () -> {
                layer.forward(x, mask, rope[0], rope[1], act);
                return weightedSum(act.output(), rr);
            }, 40, EPS, FLOOR, seed), "ModernBERT layer" + (attentionNorm ? " with attn_norm" : " without attn_norm"));
        }
    }
}

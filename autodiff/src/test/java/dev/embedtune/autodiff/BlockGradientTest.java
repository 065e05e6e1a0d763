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

    /** Ragged sequences of 5, 3 and 1 tokens (T = 5): every layer test runs over padding. */
    private static TokenLayout raggedLayout() {
        return TokenLayout.of(new int[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}, {1, 0, 0, 0, 0}});
    }

    /**
     * Query, key and value as one fused linear (three output blocks): x, each block's A and B and its
     * trainable bias, with LoRA dropout on one pass and without on the other.
     */
    @Test
    void fusedQueryKeyValueLinear() {
        for (boolean dropout : new boolean[] {false, true}) {
            Nd4j.getRandom().setSeed(seed);
            int m = 6, r = 2, in = 8;
            int[] outs = {8, 8, 4};
            WeightScratch scratch = new WeightScratch(DataType.DOUBLE);
            Map<String, INDArray> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
            LoraLinear[] parts = new LoraLinear[3];
            for (int i = 0; i < 3; i++) {
                INDArray a = random(r, in), b = random(outs[i], r), bias = random(outs[i]);
                INDArray ga = a.ulike(), gb = b.ulike(), gBias = Nd4j.zeros(DataType.DOUBLE, outs[i]);
                params.put("A" + i, a);
                params.put("B" + i, b);
                params.put("bias" + i, bias);
                grads.put("A" + i, ga);
                grads.put("B" + i, gb);
                grads.put("bias" + i, gBias);
                parts[i] = new LoraLinear(FrozenWeight.dense(random(outs[i], in)), bias, gBias, a, b, ga, gb, 2.0, scratch);
            }
            LoraLinear fused = LoraLinear.concat(parts);
            INDArray x = random(m, in), rr = random(m, 20), y = Nd4j.create(DataType.DOUBLE, m, 20), work = x.ulike();
            INDArray[] xa = {Nd4j.create(DataType.DOUBLE, m, r), Nd4j.create(DataType.DOUBLE, m, r), Nd4j.create(DataType.DOUBLE, m, r)};
            INDArray[] masks = null;
            if (dropout) {
                masks = new INDArray[3];
                for (int i = 0; i < 3; i++) {
                    masks[i] = Nd4j.create(DataType.DOUBLE, m, in);
                    dev.embedtune.autodiff.kernels.DropoutMask.fill(masks[i], 0.3, new long[] {seed}, i);
                }
            }
            INDArray[] drop = masks;
            params.put("x", x);
            fused.forward(x, y, xa, drop, work, true);
            INDArray dx = x.ulike();
            fused.backward(x, xa, rr, dx, false, Nd4j.create(DataType.DOUBLE, m, r), drop, work);
            grads.put("x", dx);
            assertClose(GradientCheck.check(params, grads, () -> {
                fused.forward(x, y, xa, drop, work, true);
                return weightedSum(y, rr);
            }, 30, EPS, FLOOR, seed), "fused q|k|v linear" + (dropout ? " with LoRA dropout" : ""));
        }
    }

    /** The join before a norm: s = (a + b) ⊙ m + x, y = LN(s); a, b, x, γ, β through y and through s. */
    @Test
    void residualNormJoinGradients() {
        Nd4j.getRandom().setSeed(seed);
        int m = 5, h = 8;
        INDArray gamma = random(h), beta = random(h), gg = Nd4j.zeros(DataType.DOUBLE, h), gb = Nd4j.zeros(DataType.DOUBLE, h);
        LayerNorm norm = new LayerNorm(gamma, beta, gg, gb, 1e-12);
        INDArray a = random(m, h).muli(3), bias = random(h), x = random(m, h), mask = Nd4j.create(DataType.DOUBLE, m, h);
        dev.embedtune.autodiff.kernels.DropoutMask.fill(mask, 0.3, new long[] {seed}, 2);
        INDArray rr = random(m, h), rs = random(m, h);
        INDArray xHat = a.ulike(), rstd = Nd4j.create(DataType.DOUBLE, m, 1), sum = a.ulike(), y = a.ulike();
        norm.forward(a, bias, mask, x, xHat, rstd, sum, y);
        // loss = Σ y ⊙ R + Σ s ⊙ Rs: ds = LN backward of R, plus Rs (accumulated)
        INDArray ds = rs.dup(), dBranch = a.ulike();
        norm.backward(xHat, rstd, rr, ds, true, null, null);
        dBranch.assign(ds).muli(mask);
        INDArray dBias = dBranch.sum(0);
        Map<String, INDArray> params = new LinkedHashMap<>(Map.of("a", a, "bias", bias, "x", x, "gamma", gamma, "beta", beta));
        Map<String, INDArray> grads = Map.of("a", dBranch, "bias", dBias, "x", ds, "gamma", gg, "beta", gb);
        assertClose(GradientCheck.check(params, grads, () -> {
            norm.forward(a, bias, mask, x, xHat, rstd, sum, y);
            return weightedSum(y, rr) + weightedSum(sum, rs);
        }, 40, EPS, FLOOR, seed), "bias + dropout + residual + LayerNorm");
        // the unaccumulated form gives the same branch gradient straight away
        INDArray ds2 = a.ulike(), dBranch2 = a.ulike();
        norm.backward(xHat, rstd, rr, ds2, false, mask, dBranch2);
        double diff = Nd4j.math().abs(dBranch2.sub(ds2.mul(mask))).maxNumber().doubleValue();
        assertTrue(diff < 1e-15, "dBranch = ds ⊙ mask: " + diff);
    }

    /**
     * A whole BERT layer over ragged sequences, in train mode (hidden, attention and LoRA dropout 0.2
     * with fixed row seeds, so the loss is a smooth function): the input gradient and the adapters of
     * the fused query and of the intermediate dense.
     */
    @Test
    void bertLayerInputAndAdapterGradientsWithDropout() {
        Nd4j.getRandom().setSeed(seed);
        TokenLayout layout = raggedLayout();
        int n = layout.rows(), heads = 2, h = 8, inner = 12, r = 2;
        WeightScratch scratch = new WeightScratch(DataType.DOUBLE);
        Map<String, INDArray> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        LoraLinear[] l = new LoraLinear[6];
        long[][] shapes = {{h, h}, {h, h}, {h, h}, {h, h}, {inner, h}, {h, inner}};
        for (int i = 0; i < 6; i++) {
            INDArray w = random(shapes[i]).muli(0.5), bias = random(shapes[i][0]).muli(0.1);
            INDArray a = random(r, shapes[i][1]), b = random(shapes[i][0], r), ga = a.ulike(), gb = b.ulike();
            if (i == 0 || i == 4) {
                params.put("A" + i, a);
                params.put("B" + i, b);
                grads.put("A" + i, ga);
                grads.put("B" + i, gb);
            }
            l[i] = new LoraLinear(FrozenWeight.dense(w), bias, null, a, b, ga, gb, 2.0, scratch);
        }
        BertLayer layer = new BertLayer(l[0], l[1], l[2], l[3], new LayerNorm(random(h).addi(1), random(h), 1e-12), l[4], l[5],
                new LayerNorm(random(h).addi(1), random(h), 1e-12), heads, 3, new DropoutRates(0.2, 0.2, 0.2));
        BertLayer.Activations act = new BertLayer.Activations(DataType.DOUBLE, n, h, inner, heads, r, true,
                new DropoutRates(0.2, 0.2, 0.2));
        long[] rowSeeds = {seed, seed + 1, seed + 2};
        INDArray x = random(n, h).muli(2), rr = random(n, h), dx = x.ulike();
        params.put("x", x);
        layer.forward(x, layout, act, rowSeeds);
        layer.backward(rr, dx, act);
        grads.put("x", dx);
        assertClose(GradientCheck.check(params, grads, () -> {
            layer.forward(x, layout, act, rowSeeds);
            return weightedSum(act.output(), rr);
        }, 30, EPS, FLOOR, seed), "BERT layer with dropout");
    }

    /**
     * A whole ModernBERT layer over ragged sequences, with and without attn_norm (layer 0 has none),
     * RoPE and a sliding window of ±1: the input gradient and one adapter's gradients (on Wqkv, whose
     * backward joins the rotated q and k with v).
     */
    @Test
    void modernBertLayerInputAndAdapterGradients() {
        for (boolean attentionNorm : new boolean[] {false, true}) {
            Nd4j.getRandom().setSeed(seed);
            TokenLayout layout = raggedLayout();
            int n = layout.rows(), heads = 2, h = 8, inner = 6, r = 2;
            Map<String, INDArray> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
            WeightScratch scratch = new WeightScratch(DataType.DOUBLE);
            LoraLinear wqkv = loraLinear(FrozenWeight.dense(random(3 * h, h).muli(0.5)), params, grads, r);
            LoraLinear wo = new LoraLinear(FrozenWeight.dense(random(h, h).muli(0.5)), null, null, null, null, null, 0, scratch);
            LoraLinear wi = new LoraLinear(FrozenWeight.dense(random(2 * inner, h).muli(0.5)), null, null, null, null, null, 0, scratch);
            LoraLinear mlpWo = new LoraLinear(FrozenWeight.dense(random(h, inner).muli(0.5)), null, null, null, null, null, 0, scratch);
            LayerNorm attnNorm = attentionNorm ? new LayerNorm(random(h).addi(1), null, 1e-5) : null;
            ModernBertLayer layer = new ModernBertLayer(attnNorm, wqkv, wo, new LayerNorm(random(h).addi(1), null, 1e-5), wi,
                    mlpWo, heads);
            INDArray[] rope = Rope.tables(DataType.DOUBLE, layout.paddedLength(), h / heads, 10000.0);
            ModernBertLayer.Activations act = new ModernBertLayer.Activations(DataType.DOUBLE, n, h, inner, heads, r, true,
                    ModernBertDropoutRates.NONE);
            INDArray x = random(n, h).muli(2), rr = random(n, h), dx = x.ulike();
            params.put("x", x);
            layer.forward(x, layout, rope[0], rope[1], 1, act);
            layer.backward(rr, dx, act);
            grads.put("x", dx);
            assertClose(GradientCheck.check(params, grads, () -> {
                layer.forward(x, layout, rope[0], rope[1], 1, act);
                return weightedSum(act.output(), rr);
            }, 40, EPS, FLOOR, seed), "ModernBERT layer" + (attentionNorm ? " with attn_norm" : " without attn_norm"));
        }
    }
}

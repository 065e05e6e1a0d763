package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdamW against torch.optim.AdamW's formula (single-tensor path) evaluated by hand in double:
 * one step with every intermediate written out, then several steps against a scalar reference.
 * DOUBLE arrays agree to 1e-15 after one step and 1e-14 after four (a few roundings of values up to 5,
 * whose ulp is 9e-16); FLOAT arrays to 5e-6 (float ulp at 5 is 4.8e-7).
 */
class AdamWTest {

    /** torch's loop for one scalar parameter, in plain doubles. */
    private static final class Reference {
        double p;
        double m;
        double v;
        int t;

        Reference(double p) {
            this.p = p;
        }

        void step(double g, double lr, double wd) {
            t++;
            p *= 1 - lr * wd;
            m = 0.9 * m + (1 - 0.9) * g;
            v = 0.999 * v + (1 - 0.999) * g * g;
            double bc1 = 1 - Math.pow(0.9, t);
            double bc2 = 1 - Math.pow(0.999, t);
            double denom = Math.sqrt(v) / Math.sqrt(bc2) + 1e-8;
            p -= lr / bc1 * m / denom;
        }
    }

    private static Map<String, INDArray> one(String name, INDArray a) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put(name, a);
        return m;
    }

    @Test
    void firstStepWorkedOutByHand() {
        INDArray p = Nd4j.createFromArray(1.0, -2.0);
        INDArray g = Nd4j.createFromArray(0.5, -0.25);
        AdamW adam = new AdamW(one("w", p), 0.01);
        adam.step(one("w", p), one("w", g), 0.1);
        // decay: p·(1 − 0.1·0.01) = [0.999, −1.998]
        // m = 0.1·g, v = 0.001·g², bc1 = 0.1, bc2 = 0.001 → m̂ = g, sqrt(v)/sqrt(bc2) = |g|
        // p −= (0.1 / 0.1) · m / (|g| + 1e-8) = [0.05 / 0.50000001, −0.025 / 0.25000001]
        assertEquals(0.999 - 0.05 / 0.50000001, p.getDouble(0), 1e-15);
        assertEquals(-1.998 + 0.025 / 0.25000001, p.getDouble(1), 1e-15);
        assertEquals(0.899000002, p.getDouble(0), 1e-12);
        assertEquals(-1.898000004, p.getDouble(1), 1e-12);
        assertArrayEquals(new double[] {0.05, -0.025}, adam.firstMoments().get("w").toDoubleVector(), 1e-16);
        assertArrayEquals(new double[] {0.00025, 0.0000625}, adam.secondMoments().get("w").toDoubleVector(), 1e-18);
        assertEquals(1, adam.stepCount());
    }

    @Test
    void severalStepsMatchTheReferenceInDoubleAndFloat() {
        double[] init = {0.3, -1.2, 2.0, 0.0, 5.0, -0.7};
        double[][] gradients = {
            {0.1, -0.4, 1.5, 0.0, -2.0, 0.3},
            {-0.2, 0.1, 0.9, 1e-9, -1.0, 0.3},
            {0.05, 0.6, -0.5, -3.0, 0.2, 0.3},
            {0.0, 0.0, 0.0, 0.0, 0.0, 0.0},
        };
        double[] lrs = {1e-3, 5e-4, 2e-3, 1e-3};
        double wd = 0.05;
        Reference[] ref = new Reference[init.length];
        for (int i = 0; i < init.length; i++) {
            ref[i] = new Reference(init[i]);
        }
        INDArray pd = Nd4j.createFromArray(init).reshape(2, 3);
        INDArray pf = pd.castTo(DataType.FLOAT);
        AdamW ad = new AdamW(one("w", pd), wd);
        AdamW af = new AdamW(one("w", pf), wd);
        for (int s = 0; s < gradients.length; s++) {
            for (int i = 0; i < init.length; i++) {
                ref[i].step(gradients[s][i], lrs[s], wd);
            }
            INDArray g = Nd4j.createFromArray(gradients[s]).reshape(2, 3);
            ad.step(one("w", pd), one("w", g), lrs[s]);
            af.step(one("w", pf), one("w", g.castTo(DataType.FLOAT)), lrs[s]);
        }
        double[] expected = new double[init.length];
        for (int i = 0; i < init.length; i++) {
            expected[i] = ref[i].p;
        }
        assertArrayEquals(expected, pd.dup('c').data().asDouble(), 1e-14);
        assertArrayEquals(expected, pf.dup('c').data().asDouble(), 5e-6);
        assertEquals(4, ad.stepCount());
    }

    @Test
    void namesOutsideThePredicateGetNoDecay() {
        INDArray w = Nd4j.createFromArray(2.0, 4.0);
        INDArray bias = Nd4j.createFromArray(2.0, 4.0);
        Map<String, INDArray> params = new LinkedHashMap<>();
        params.put("w", w);
        params.put("bias", bias);
        Map<String, INDArray> grads = new LinkedHashMap<>();
        grads.put("w", Nd4j.zeros(DataType.DOUBLE, 2));
        grads.put("bias", Nd4j.zeros(DataType.DOUBLE, 2));
        AdamW adam = new AdamW(params, 0.9, 0.999, 1e-8, 0.1, n -> !n.equals("bias"));
        adam.step(params, grads, 0.5);
        // zero gradient: m = v = 0, so only the decay moves w (by 1 − 0.5·0.1)
        assertArrayEquals(new double[] {1.9, 3.8}, w.toDoubleVector(), 1e-15);
        assertArrayEquals(new double[] {2.0, 4.0}, bias.toDoubleVector(), 0);
    }

    @Test
    void restoredStateContinuesIdentically() {
        INDArray a = Nd4j.createFromArray(1f, 2f, 3f);
        INDArray g1 = Nd4j.createFromArray(0.1f, -0.2f, 0.3f);
        INDArray g2 = Nd4j.createFromArray(-0.3f, 0.2f, 0.5f);
        AdamW first = new AdamW(one("a", a), 0.01);
        first.step(one("a", a), one("a", g1), 0.01);
        INDArray b = a.dup();
        AdamW second = new AdamW(one("a", b), 0.01);
        second.restore(first.stepCount(), first.firstMoments(), first.secondMoments());
        first.step(one("a", a), one("a", g2), 0.01);
        second.step(one("a", b), one("a", g2), 0.01);
        assertArrayEquals(a.toFloatVector(), b.toFloatVector(), 0f);
    }

    /** HF Trainer decays neither biases nor LayerNorm parameters; LoRA matrices decay. */
    @Test
    void decaysLikeHuggingFace() {
        org.junit.jupiter.api.Assertions.assertTrue(AdamW.decayedLikeHuggingFace("encoder.layer.0.attention.self.query.lora_A.weight"));
        org.junit.jupiter.api.Assertions.assertFalse(AdamW.decayedLikeHuggingFace("encoder.layer.0.attention.self.query.bias"));
        org.junit.jupiter.api.Assertions.assertFalse(AdamW.decayedLikeHuggingFace("embeddings.LayerNorm.weight"));
        org.junit.jupiter.api.Assertions.assertFalse(AdamW.decayedLikeHuggingFace("encoder.layer.3.output.LayerNorm.bias"));
    }
}

package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.autodiff.GradientCheck;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.modernbert.ModernBertEncoder;
import dev.embedtune.model.st.PoolingConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The hand-written ModernBERT training encoder: its forward equals the SameDiff
 * {@link ModernBertEncoder} (itself checked against an independent double-precision reference) on
 * weights with the adapters merged, across global and sliding-window layers with padding; its LoRA
 * gradients on Wqkv, Wo and Wi equal central finite differences of encoder + pooling + Normalize + a
 * weighted-sum loss in double precision, over dense and NF4 base weights.
 */
class ModernBertTrainingEncoderTest {
    private final long seed = System.nanoTime();

    @Test
    void forwardEqualsTheSameDiffEncoderWithAdaptersMerged() {
        for (ModernBertConfig c : List.of(TinyModernBert.CONFIG, TinyModernBert.WITH_BIASES)) {
            Map<String, INDArray> weights = TinyModernBert.weights(c, 7);
            LoraModel lora = TinyModernBert.lora(c, 4, 8);
            // 12 tokens: the local layer's window (±2) hides most keys; rows of 12, 9 and 3 tokens
            int[][][] in = TinyModernBert.batch(new int[] {12, 9, 3}, 12, 9);
            INDArray expected = ModernBertEncoder.fromWeights(c, lora.merge(weights)).forward(in[0], in[1]);
            ModernBertTrainingEncoder encoder = new ModernBertTrainingEncoder(c, weights, lora, BaseQuantization.NONE,
                    DataType.FLOAT);
            INDArray hidden = encoder.forward(in[0], in[1], null, null).hidden().reshape(3, 12, c.hiddenSize());
            INDArray inference = encoder.forwardInference(in[0], in[1], null, null).hidden().reshape(3, 12, c.hiddenSize());
            // float32, the same ops in another order (and B·A merged into W or not): 1e-5 absolute on
            // values of order 1, at every position including padding
            double diff = Nd4j.math().abs(hidden.sub(expected)).maxNumber().doubleValue();
            assertTrue(diff < 1e-5, "max |training − SameDiff| " + diff);
            assertEquals(0.0, Nd4j.math().abs(inference.sub(hidden)).maxNumber().doubleValue(), 0.0,
                    "the inference pass runs the same ops");
        }
    }

    @Test
    void adaptersTargetWqkvWoAndWiOfEveryLayer() {
        LoraModel lora = TinyModernBert.lora(TinyModernBert.CONFIG, 2, 1);
        assertEquals(List.of("layers.0.attn.Wqkv", "layers.0.attn.Wo", "layers.0.mlp.Wi", "layers.0.mlp.Wo",
                "layers.1.attn.Wqkv", "layers.1.attn.Wo", "layers.1.mlp.Wi", "layers.1.mlp.Wo",
                "layers.2.attn.Wqkv", "layers.2.attn.Wo", "layers.2.mlp.Wi", "layers.2.mlp.Wo"),
                List.copyOf(lora.adapters().keySet()));
        assertEquals(List.of(2L, 32L), List.of(lora.adapters().get("layers.0.attn.Wqkv").a().shape()[0],
                lora.adapters().get("layers.0.attn.Wqkv").a().shape()[1]));
        assertEquals(96, lora.adapters().get("layers.0.attn.Wqkv").b().size(0), "Wqkv's B covers q, k and v rows");
        assertEquals(96, lora.adapters().get("layers.0.mlp.Wi").b().size(0), "Wi's B covers input and gate rows");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraModel.init(TinyModernBert.CONFIG,
                new dev.embedtune.model.lora.LoraConfig(2, 4, 0, List.of("query", "value"), false), 1));
        assertTrue(e.getMessage().contains("Wqkv") && e.getMessage().contains("modernbert"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = PoolingConfig.Mode.class, names = {"MEAN", "CLS", "LASTTOKEN"})
    void loraGradientsMatchFiniteDifferences(PoolingConfig.Mode mode) {
        checkGradients(TinyModernBert.CONFIG, BaseQuantization.NONE, mode);
    }

    @Test
    void loraGradientsWithBiasesAndOverNf4BaseMatchFiniteDifferences() {
        checkGradients(TinyModernBert.WITH_BIASES, BaseQuantization.NF4, PoolingConfig.Mode.MEAN);
    }

    private void checkGradients(ModernBertConfig c, BaseQuantization base, PoolingConfig.Mode mode) {
        Map<String, INDArray> weights = TinyModernBert.weights(c, seed);
        LoraModel lora = TinyModernBert.lora(c, 3, seed + 1);
        ModernBertTrainingEncoder encoder = new ModernBertTrainingEncoder(c, weights, lora, base, DataType.DOUBLE);
        TrainablePooling pooling = new TrainablePooling(PoolingConfig.of(mode, c.hiddenSize()), true);
        // 7 tokens against a window of ±2: the local layer masks keys; rows of 7, 4 and 2 tokens
        int[][][] in = TinyModernBert.batch(new int[] {7, 4, 2}, 7, seed + 2);
        Nd4j.getRandom().setSeed(seed + 3);
        INDArray r = Nd4j.randn(DataType.DOUBLE, 3, c.hiddenSize());
        TrainingEncoder.Pass[] pass = {null};
        TrainablePooling.Saved saved = new TrainablePooling.Saved();
        java.util.function.DoubleSupplier loss = () -> {
            pass[0] = encoder.forward(in[0], in[1], null, pass[0]);
            return pooling.forward(pass[0].hidden(), pass[0].keyMask(), saved).mul(r).sumNumber().doubleValue();
        };
        loss.getAsDouble();
        encoder.zeroGradients();
        encoder.backward(pass[0], pooling.backward(r, saved));
        // Central differences in double carry about 1e-16·|L|/ε ≈ 1e-9 of round-off for losses of order
        // 1–10: entries below 1e-5 are compared absolutely (error ≤ 1e-4 · 1e-5), the rest relatively.
        GradientCheck.Result worst = GradientCheck.check(encoder.parameters(), encoder.gradients(), loss, 3, 1e-6, 1e-5, seed);
        assertEquals(2 * 4 * c.numHiddenLayers() * 3, worst.checked());
        // double precision, central differences with ε = 1e-6: relative error ≤ 1e-4
        assertTrue(worst.relativeError() <= 1e-4, base + " " + mode + " (seed " + seed + "): " + worst);
    }

    @Test
    void theWindowMaskHidesFarKeysAndPaddingAndAPaddedQuerySeesItself() {
        int[][] mask = {{1, 1, 1, 1, 0, 0}};
        float[] m = ModernBertTrainingEncoder.windowMask(mask, 6, 1);
        float[][] expected = {
                {1, 1, 0, 0, 0, 0},
                {1, 1, 1, 0, 0, 0},
                {0, 1, 1, 1, 0, 0},
                {0, 0, 1, 1, 0, 0},     // keys 4, 5 are padding
                {0, 0, 0, 1, 1, 0},     // padded query: the tokens in its window, and itself
                {0, 0, 0, 0, 0, 1}};    // padded query beyond every token: itself only
        for (int q = 0; q < 6; q++) {
            for (int k = 0; k < 6; k++) {
                assertEquals(expected[q][k], m[q * 6 + k], "query " + q + " key " + k);
            }
        }
    }
}

package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.autodiff.GradientCheck;
import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.st.PoolingConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The hand-written training encoder: its forward equals the SameDiff {@link BertEncoder} (with the
 * adapters unmerged) and its LoRA gradients equal central finite differences of encoder + pooling +
 * Normalize + a weighted-sum loss in double precision, over dense and NF4 base weights.
 */
class BertTrainingEncoderTest {
    private final long seed = System.nanoTime();

    @Test
    void forwardEqualsSameDiffEncoderWithAdapters() {
        Map<String, INDArray> weights = TinyBert.weights(TinyBert.CONFIG, 7);
        LoraModel lora = TinyBert.lora(TinyBert.CONFIG, 4, 8);
        int[][][] in = TinyBert.batch(new int[] {9, 4, 1}, 9, 9);
        INDArray expected = BertEncoder.fromWeights(TinyBert.CONFIG, weights, lora).forward(in[0], in[1], in[2]);
        BertTrainingEncoder encoder = new BertTrainingEncoder(TinyBert.CONFIG, weights, lora, BaseQuantization.NONE, DataType.FLOAT);
        INDArray hidden = encoder.forward(in[0], in[1], in[2], null).hidden().reshape(3, 9, TinyBert.CONFIG.hiddenSize());
        // float32, the same ops in another order: 1e-5 absolute on values of order 1
        double diff = Nd4j.math().abs(hidden.sub(expected)).maxNumber().doubleValue();
        assertTrue(diff < 1e-5, "max |difference| " + diff);
    }

    @ParameterizedTest
    @EnumSource(value = PoolingConfig.Mode.class)
    void loraGradientsMatchFiniteDifferences(PoolingConfig.Mode mode) {
        checkGradients(BaseQuantization.NONE, mode);
    }

    @Test
    void loraGradientsOverNf4BaseMatchFiniteDifferences() {
        checkGradients(BaseQuantization.NF4, PoolingConfig.Mode.MEAN);
    }

    private void checkGradients(BaseQuantization base, PoolingConfig.Mode mode) {
        Map<String, INDArray> weights = TinyBert.weights(TinyBert.CONFIG, seed);
        LoraModel lora = TinyBert.lora(TinyBert.CONFIG, 3, seed + 1);
        BertTrainingEncoder encoder = new BertTrainingEncoder(TinyBert.CONFIG, weights, lora, base, DataType.DOUBLE);
        TrainablePooling pooling = new TrainablePooling(PoolingConfig.of(mode, TinyBert.CONFIG.hiddenSize()), true);
        int[][][] in = TinyBert.batch(new int[] {6, 3, 5}, 6, seed + 2);
        Nd4j.getRandom().setSeed(seed + 3);
        INDArray r = Nd4j.randn(DataType.DOUBLE, 3, TinyBert.CONFIG.hiddenSize());
        BertTrainingEncoder.Pass[] pass = {null};
        TrainablePooling.Saved saved = new TrainablePooling.Saved();
        java.util.function.DoubleSupplier loss = () -> {
            pass[0] = encoder.forward(in[0], in[1], in[2], pass[0]);
            return pooling.forward(pass[0].hidden(), pass[0].keyMask, saved).mul(r).sumNumber().doubleValue();
        };
        loss.getAsDouble();
        encoder.zeroGradients();
        encoder.backward(pass[0], pooling.backward(r, saved));
        GradientCheck.Result worst = // Central differences in double carry about 1e-16·|L|/ε ≈ 1e-9 of round-off for losses of order
        // 1–10: entries below 1e-5 are compared absolutely (error ≤ 1e-4 · 1e-5), the rest relatively.
        GradientCheck.check(encoder.parameters(), encoder.gradients(), loss, 3, 1e-6, 1e-5, seed);
        assertEquals(2 * 6 * TinyBert.CONFIG.numHiddenLayers() * 3, worst.checked());
        // double precision, central differences with ε = 1e-6: relative error ≤ 1e-4
        assertTrue(worst.relativeError() <= 1e-4, base + " " + mode + " (seed " + seed + "): " + worst);
    }
}

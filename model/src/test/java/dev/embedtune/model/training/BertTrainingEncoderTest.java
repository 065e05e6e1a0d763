package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.autodiff.GradientCheck;
import dev.embedtune.model.bert.BertEncoder;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.lora.TrainedBaseTensors;
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
 * The hand-written training encoder: its forward equals the SameDiff {@link BertEncoder} (with the
 * adapters unmerged) and its LoRA gradients equal central finite differences of encoder + pooling +
 * Normalize + a weighted-sum loss in double precision, over dense and NF4 base weights; the same with
 * dropout on (fixed row seeds make the loss a smooth function of the parameters) and with trainable
 * biases and LayerNorms.
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
        RealTokens.assertZeroAtPadding(hidden, in[1]);
        // float32, the same ops in another order: 1e-5 absolute on values of order 1, at every real token
        double diff = Nd4j.math().abs(hidden.sub(RealTokens.only(expected, in[1]))).maxNumber().doubleValue();
        assertTrue(diff < 1e-5, "max |difference| " + diff);
    }

    /** Trained biases and LayerNorms of a loaded adapter (bias "all", modules_to_save LayerNorm) are what the forward uses. */
    @Test
    void forwardUsesTheAdaptersTrainedBaseTensors() {
        Map<String, INDArray> weights = TinyBert.weights(TinyBert.CONFIG, 7);
        LoraModel tiny = TinyBert.lora(TinyBert.CONFIG, 4, 8);
        LoraConfig c = tiny.config().withBias(LoraBias.ALL).withModulesToSave(List.of("LayerNorm"));
        Map<String, INDArray> trained = new java.util.LinkedHashMap<>();
        Nd4j.getRandom().setSeed(9);
        TrainedBaseTensors.names(TinyBert.CONFIG, c).forEach(n ->
                trained.put(n, weights.get(n).add(Nd4j.randn(DataType.FLOAT, weights.get(n).shape()).muli(0.1))));
        LoraModel lora = new LoraModel(c, tiny.adapters(), trained);
        int[][][] in = TinyBert.batch(new int[] {9, 4, 1}, 9, 9);
        INDArray expected = BertEncoder.fromWeights(TinyBert.CONFIG, weights, lora).forward(in[0], in[1], in[2]);
        BertTrainingEncoder encoder = new BertTrainingEncoder(TinyBert.CONFIG, weights, lora, BaseQuantization.NONE, DataType.FLOAT);
        INDArray hidden = encoder.forward(in[0], in[1], in[2], null).hidden().reshape(3, 9, TinyBert.CONFIG.hiddenSize());
        RealTokens.assertZeroAtPadding(hidden, in[1]);
        // float32, the same ops in another order: 1e-5 absolute on values of order 1, at every real token
        double diff = Nd4j.math().abs(hidden.sub(RealTokens.only(expected, in[1]))).maxNumber().doubleValue();
        assertTrue(diff < 1e-5, "max |difference| " + diff);
        INDArray baseOnly = BertEncoder.fromWeights(TinyBert.CONFIG, weights, tiny).forward(in[0], in[1], in[2]);
        assertTrue(Nd4j.math().abs(baseOnly.sub(expected)).maxNumber().doubleValue() > 1e-3, "the trained tensors must matter");
        // the training copies are the adapter's values, and the caller's weights are untouched
        assertEquals(trained.get("embeddings.LayerNorm.weight"), encoder.parameters().get("embeddings.LayerNorm.weight"));
        assertEquals(trained.keySet(), encoder.currentAdapters().baseTensors().keySet());
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

    /** TinyBert with BERT's dropout turned up, so that masks drop plenty in a tiny model. */
    private static final BertConfig DROPPING = new BertConfig(40, 64, 2, 4, 96, "gelu", 0.2, 0.3, 32, 2, 0.02, 1e-12, 0);

    @Test
    void gradientsWithHiddenAttentionAndLoraDropoutMatchFiniteDifferences() {
        checkGradients(DROPPING, BaseQuantization.NONE, PoolingConfig.Mode.MEAN, c -> c.withDropout(0.25), true);
    }

    @Test
    void gradientsOfAllBiasesAndEveryLayerNormMatchFiniteDifferences() {
        checkGradients(TinyBert.CONFIG, BaseQuantization.NONE, PoolingConfig.Mode.MEAN,
                c -> c.withBias(LoraBias.ALL).withModulesToSave(List.of("LayerNorm")), false);
    }

    @Test
    void gradientsOfLoraOnlyBiasesAndEmbeddingLayerNormWithDropoutMatchFiniteDifferences() {
        checkGradients(DROPPING, BaseQuantization.NF4, PoolingConfig.Mode.CLS,
                c -> c.withDropout(0.1).withBias(LoraBias.LORA_ONLY).withModulesToSave(List.of("embeddings.LayerNorm")), true);
    }

    private void checkGradients(BaseQuantization base, PoolingConfig.Mode mode) {
        checkGradients(TinyBert.CONFIG, base, mode, c -> c, false);
        // LoRA matrices only: 2 per module, 6 modules per layer, 3 entries each
    }

    private void checkGradients(BertConfig config, BaseQuantization base, PoolingConfig.Mode mode,
            java.util.function.UnaryOperator<LoraConfig> options, boolean dropout) {
        Map<String, INDArray> weights = TinyBert.weights(config, seed);
        LoraModel tiny = TinyBert.lora(config, 3, seed + 1);
        LoraModel lora = new LoraModel(options.apply(tiny.config()), tiny.adapters());
        BertTrainingEncoder encoder = new BertTrainingEncoder(config, weights, lora, base, DataType.DOUBLE);
        long[] rowSeeds = dropout ? TrainingEncoder.rowSeeds(seed + 4, 0, 3) : null;
        TrainablePooling pooling = new TrainablePooling(PoolingConfig.of(mode, TinyBert.CONFIG.hiddenSize()), true);
        int[][][] in = TinyBert.batch(new int[] {6, 3, 5}, 6, seed + 2);
        Nd4j.getRandom().setSeed(seed + 3);
        INDArray r = Nd4j.randn(DataType.DOUBLE, 3, TinyBert.CONFIG.hiddenSize());
        BertTrainingEncoder.Pass[] pass = {null};
        TrainablePooling.Saved saved = new TrainablePooling.Saved();
        java.util.function.DoubleSupplier loss = () -> {
            pass[0] = encoder.forward(in[0], in[1], in[2], pass[0], rowSeeds);
            return pooling.forward(pass[0].hidden(), pass[0].keyMask, saved).mul(r).sumNumber().doubleValue();
        };
        loss.getAsDouble();
        encoder.zeroGradients();
        encoder.backward(pass[0], pooling.backward(r, saved));
        // Central differences in double carry about 1e-16·|L|/ε ≈ 1e-10 of round-off for losses of order 1–10
        // at ε = 1e-5 (truncation ε²·L'''/6 ≈ 2e-11 relative): entries below 1e-5 are compared absolutely
        // (error ≤ 1e-4 · 1e-5 = 1e-9; e.g. the key bias, whose gradient is exactly 0 since softmax ignores a
        // per-query constant), the rest relatively.
        GradientCheck.Result worst =
                GradientCheck.check(encoder.parameters(), encoder.gradients(), loss, 3, 1e-5, 1e-5, seed);
        assertEquals(encoder.parameters().size() * 3, worst.checked());
        assertEquals(2 * 6 * config.numHiddenLayers() + TrainedBaseTensors.names(config, lora.config()).size(),
                encoder.parameters().size());
        // double precision, central differences with ε = 1e-5: relative error ≤ 1e-4
        assertTrue(worst.relativeError() <= 1e-4, base + " " + mode + " (seed " + seed + "): " + worst);
    }

    /** Eval mode (no seeds) is today's forward bit for bit, whatever the dropout rates; so are rates of 0 with seeds. */
    @Test
    void evalModeAndZeroRatesGiveTheForwardWithoutDropoutExactly() {
        Map<String, INDArray> weights = TinyBert.weights(DROPPING, 3);
        LoraModel lora = TinyBert.lora(DROPPING, 4, 5);
        LoraModel dropping = new LoraModel(lora.config().withDropout(0.2), lora.adapters());
        int[][][] in = TinyBert.batch(new int[] {7, 2, 5}, 7, 6);
        INDArray plain = new BertTrainingEncoder(TinyBert.CONFIG, weights, lora, BaseQuantization.NONE, DataType.FLOAT)
                .forward(in[0], in[1], in[2], null).hidden().dup();
        BertTrainingEncoder withRates = new BertTrainingEncoder(DROPPING, weights, dropping, BaseQuantization.NONE, DataType.FLOAT);
        assertEquals(plain, withRates.forward(in[0], in[1], in[2], null, null).hidden());
        assertEquals(plain, withRates.forwardInference(in[0], in[1], in[2], null).hidden());
        BertTrainingEncoder modelDropoutOff = new BertTrainingEncoder(DROPPING, weights, lora, BaseQuantization.NONE,
                DataType.FLOAT, false);
        assertEquals(plain, modelDropoutOff.forward(in[0], in[1], in[2], null, TrainingEncoder.rowSeeds(1, 0, 3)).hidden());
    }

    /** Train mode: the same seeds give the same output bit for bit, other seeds another; a row's output depends on its own seed only. */
    @Test
    void sameSeedsSameOutputOtherSeedsAnother() {
        Map<String, INDArray> weights = TinyBert.weights(DROPPING, 3);
        LoraModel lora = TinyBert.lora(DROPPING, 4, 5);
        BertTrainingEncoder encoder = new BertTrainingEncoder(DROPPING, weights,
                new LoraModel(lora.config().withDropout(0.1), lora.adapters()), BaseQuantization.NONE, DataType.DOUBLE);
        int[][][] in = TinyBert.batch(new int[] {7, 2, 5}, 7, 6);
        INDArray eval = encoder.forward(in[0], in[1], in[2], null).hidden().dup();
        INDArray first = encoder.forward(in[0], in[1], in[2], null, TrainingEncoder.rowSeeds(11, 0, 3)).hidden().dup();
        INDArray again = encoder.forward(in[0], in[1], in[2], null, TrainingEncoder.rowSeeds(11, 0, 3)).hidden().dup();
        INDArray other = encoder.forward(in[0], in[1], in[2], null, TrainingEncoder.rowSeeds(12, 0, 3)).hidden().dup();
        assertEquals(first, again);
        assertNotEquals(first, other);
        assertNotEquals(eval, first);
        // rows 1–2 alone, seeded as rows 1–2 of the batch, give the batch's rows 1–2 (same padding length)
        int[][][] tail = new int[3][][];
        for (int k = 0; k < 3; k++) {
            tail[k] = java.util.Arrays.copyOfRange(in[k], 1, 3);
        }
        INDArray part = encoder.forward(tail[0], tail[1], tail[2], null, TrainingEncoder.rowSeeds(11, 1, 2)).hidden();
        // double, the same ops on fewer rows (GEMM blocking may differ): 1e-12 absolute on values of order 1
        double diff = Nd4j.math().abs(first.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(7, 21)).sub(part))
                .maxNumber().doubleValue();
        assertTrue(diff < 1e-12, "rows seeded alone vs in the batch: max |difference| " + diff);
    }
}

package dev.embedtune.model.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.autodiff.GradientCheck;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraBias;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.lora.TrainedBaseTensors;
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
            // values of order 1, at every real token; padding is 0
            RealTokens.assertZeroAtPadding(hidden, in[1]);
            double diff = Nd4j.math().abs(hidden.sub(RealTokens.only(expected, in[1]))).maxNumber().doubleValue();
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

    /** The tiny ModernBERT with its three dropouts turned up, so that masks drop plenty. */
    private static final ModernBertConfig DROPPING = new ModernBertConfig(50, 32, 48, 3, 4, "gelu", 64, 0.02, 1e-5, false,
            0, 0, 0, 0, 0, 160000, false, 0.2, 2, 4, 10000, 0.15, false, 0.25);

    @Test
    void gradientsWithEmbeddingAttentionMlpAndLoraDropoutMatchFiniteDifferences() {
        checkGradients(DROPPING, BaseQuantization.NONE, PoolingConfig.Mode.MEAN, c -> c.withDropout(0.25), true);
    }

    /** Every norm ("norm" ends every ModernBERT norm's path) and, with norm/linear biases, every bias. */
    @Test
    void gradientsOfAllBiasesAndEveryNormMatchFiniteDifferences() {
        checkGradients(TinyModernBert.WITH_BIASES, BaseQuantization.NONE, PoolingConfig.Mode.MEAN,
                c -> c.withBias(LoraBias.ALL).withModulesToSave(List.of("norm")), false);
    }

    @Test
    void gradientsOfFinalAndEmbeddingNormsWithDropoutOverNf4MatchFiniteDifferences() {
        checkGradients(DROPPING, BaseQuantization.NF4, PoolingConfig.Mode.CLS,
                c -> c.withDropout(0.1).withModulesToSave(List.of("final_norm", "embeddings.norm")), true);
    }

    private void checkGradients(ModernBertConfig c, BaseQuantization base, PoolingConfig.Mode mode) {
        checkGradients(c, base, mode, x -> x, false);
    }

    private void checkGradients(ModernBertConfig c, BaseQuantization base, PoolingConfig.Mode mode,
            java.util.function.UnaryOperator<LoraConfig> options, boolean dropout) {
        Map<String, INDArray> weights = TinyModernBert.weights(c, seed);
        LoraModel tiny = TinyModernBert.lora(c, 3, seed + 1);
        LoraModel lora = new LoraModel(options.apply(tiny.config()), tiny.adapters());
        ModernBertTrainingEncoder encoder = new ModernBertTrainingEncoder(c, weights, lora, base, DataType.DOUBLE);
        long[] rowSeeds = dropout ? TrainingEncoder.rowSeeds(seed + 4, 0, 3) : null;
        TrainablePooling pooling = new TrainablePooling(PoolingConfig.of(mode, c.hiddenSize()), true);
        // 7 tokens against a window of ±2: the local layer masks keys; rows of 7, 4 and 2 tokens
        int[][][] in = TinyModernBert.batch(new int[] {7, 4, 2}, 7, seed + 2);
        Nd4j.getRandom().setSeed(seed + 3);
        INDArray r = Nd4j.randn(DataType.DOUBLE, 3, c.hiddenSize());
        TrainingEncoder.Pass[] pass = {null};
        TrainablePooling.Saved saved = new TrainablePooling.Saved();
        java.util.function.DoubleSupplier loss = () -> {
            pass[0] = encoder.forward(in[0], in[1], null, pass[0], rowSeeds);
            return pooling.forward(pass[0].hidden(), pass[0].keyMask(), saved).mul(r).sumNumber().doubleValue();
        };
        loss.getAsDouble();
        encoder.zeroGradients();
        encoder.backward(pass[0], pooling.backward(r, saved));
        // Central differences in double carry about 1e-16·|L|/ε ≈ 1e-10 of round-off for losses of order
        // 1–10 at ε = 1e-5 (truncation ε²·L'''/6 ≈ 2e-11 relative): entries below 1e-5 are compared
        // absolutely (error ≤ 1e-4 · 1e-5), the rest relatively.
        GradientCheck.Result worst = GradientCheck.check(encoder.parameters(), encoder.gradients(), loss, 3, 1e-5, 1e-5, seed);
        assertEquals(2 * 4 * c.numHiddenLayers() + TrainedBaseTensors.names(c, lora.config()).size(),
                encoder.parameters().size());
        assertEquals(encoder.parameters().size() * 3, worst.checked());
        // double precision, central differences with ε = 1e-5: relative error ≤ 1e-4
        assertTrue(worst.relativeError() <= 1e-4, base + " " + mode + " (seed " + seed + "): " + worst);
    }

    /** Which base tensors train: PEFT's rules on ModernBERT's names (norms without bias in released models). */
    @Test
    void trainedBaseTensorsFollowPeftOnModernBert() {
        LoraConfig plain = TinyModernBert.lora(TinyModernBert.CONFIG, 2, 1).config();
        assertEquals(List.of("embeddings.norm.weight", "layers.1.attn_norm.weight", "layers.1.mlp_norm.weight"),
                TrainedBaseTensors.names(TinyModernBert.CONFIG, plain.withModulesToSave(List.of("embeddings.norm",
                        "layers.1.attn_norm", "layers.1.mlp_norm"))));
        assertEquals(7, TrainedBaseTensors.names(TinyModernBert.CONFIG, plain.withModulesToSave(List.of("norm"))).size(),
                "embeddings.norm, attn_norm of layers 1–2, mlp_norm of layers 0–2, final_norm");
        assertEquals(List.of(), TrainedBaseTensors.names(TinyModernBert.CONFIG, plain.withBias(LoraBias.ALL)),
                "no biases in a model without biases");
        assertEquals(24, TrainedBaseTensors.names(TinyModernBert.WITH_BIASES, plain.withBias(LoraBias.LORA_ONLY)).size() * 2,
                "lora_only: the biases of the 12 adapted linears");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainedBaseTensors.names(TinyModernBert.CONFIG, plain.withModulesToSave(List.of("Wqkv"))));
        assertTrue(e.getMessage().contains("layers.0.attn.Wqkv, which is not a norm"), e.getMessage());
    }

    /** Eval mode (no seeds) is the forward without dropout bit for bit; same seeds give the same train-mode output. */
    @Test
    void evalModeIsExactAndSeedsAreDeterministic() {
        Map<String, INDArray> weights = TinyModernBert.weights(DROPPING, 3);
        LoraModel lora = TinyModernBert.lora(DROPPING, 4, 5);
        int[][][] in = TinyModernBert.batch(new int[] {7, 2, 5}, 7, 6);
        INDArray plain = new ModernBertTrainingEncoder(TinyModernBert.CONFIG, weights, lora, BaseQuantization.NONE,
                DataType.FLOAT).forward(in[0], in[1], null, null).hidden().dup();
        ModernBertTrainingEncoder dropping = new ModernBertTrainingEncoder(DROPPING, weights,
                new LoraModel(lora.config().withDropout(0.2), lora.adapters()), BaseQuantization.NONE, DataType.FLOAT);
        assertEquals(plain, dropping.forward(in[0], in[1], null, null, null).hidden());
        assertEquals(plain, dropping.forwardInference(in[0], in[1], null, null).hidden());
        INDArray first = dropping.forward(in[0], in[1], null, null, TrainingEncoder.rowSeeds(11, 0, 3)).hidden().dup();
        INDArray again = dropping.forward(in[0], in[1], null, null, TrainingEncoder.rowSeeds(11, 0, 3)).hidden().dup();
        INDArray other = dropping.forward(in[0], in[1], null, null, TrainingEncoder.rowSeeds(12, 0, 3)).hidden().dup();
        assertEquals(first, again);
        assertTrue(!first.equals(other) && !first.equals(plain), "other seeds, or none, give another output");
        ModernBertTrainingEncoder modelDropoutOff = new ModernBertTrainingEncoder(DROPPING, weights, lora,
                BaseQuantization.NONE, DataType.FLOAT, false);
        assertEquals(plain, modelDropoutOff.forward(in[0], in[1], null, null, TrainingEncoder.rowSeeds(1, 0, 3)).hidden());
    }
}

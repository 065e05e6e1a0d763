package dev.embedtune.train.trainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.autodiff.GradientCheck;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.model.training.BaseQuantization;
import dev.embedtune.model.training.TrainingEncoder;
import dev.embedtune.model.training.TrainablePooling;
import dev.embedtune.train.loss.EmbeddingBatch;
import dev.embedtune.train.loss.EmbeddingLoss;
import dev.embedtune.train.loss.LossValue;
import dev.embedtune.train.loss.MatryoshkaLoss;
import dev.embedtune.train.loss.MultipleNegativesRankingLoss;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The whole training computation — encoder (BERT, and ModernBERT with a sliding-window layer) with LoRA
 * over an NF4 base, mean pooling, Normalize,
 * MultipleNegativesRankingLoss inside MatryoshkaLoss, anchors and positives as two forward passes —
 * against central finite differences in double precision (ε = 1e-6), relative error ≤ 1e-4 on a
 * random subset of adapter entries, fresh random model and inputs each run.
 */
class EncoderLossGradientTest {
    private static final BertConfig BERT = new BertConfig(40, 32, 2, 4, 48, "gelu", 0, 0, 32, 2, 0.02, 1e-12, 0);
    /** 3 layers (0 and 2 global, 1 local with a window of ±2), hidden 32, GeGLU 48. */
    private static final ModernBertConfig MODERN_BERT = new ModernBertConfig(40, 32, 48, 3, 4, "gelu", 32, 0.02, 1e-5,
            false, 0, 0, 0, 0, 0, 160000, false, 0, 2, 4, 10000, 0, false, 0);

    @Test
    void mnrlInsideMatryoshkaThroughTheBertEncoder() {
        check(BERT);
    }

    @Test
    void mnrlInsideMatryoshkaThroughTheModernBertEncoder() {
        check(MODERN_BERT);
    }

    private void check(ModelConfig config) {
        long seed = System.nanoTime();
        Nd4j.getRandom().setSeed(seed);
        Map<String, INDArray> weights = new HashMap<>();
        EncoderWeights.shapes(config).forEach((name, shape) -> {
            INDArray v = Nd4j.randn(DataType.FLOAT, shape).muli(0.2);
            boolean gamma = EncoderWeights.isNorm(name.substring(0, name.lastIndexOf('.'))) && name.endsWith(".weight");
            weights.put(name, gamma ? v.addi(1) : v);
        });
        LoraModel fresh = LoraModel.init(config, new LoraConfig(4, 8, 0, List.of(LoraConfig.ALL_LINEAR), false), seed);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        fresh.adapters().forEach((m, a) -> adapters.put(m, new LoraAdapter(a.a(), Nd4j.randn(DataType.FLOAT, a.b().shape()).muli(0.1))));
        TrainingEncoder encoder = TrainingEncoder.create(config, weights, new LoraModel(fresh.config(), adapters),
                BaseQuantization.NF4, DataType.DOUBLE);
        TrainablePooling pooling = new TrainablePooling(PoolingConfig.of(PoolingConfig.Mode.MEAN, 32), true);
        EmbeddingLoss loss = new MatryoshkaLoss(new MultipleNegativesRankingLoss(), 32, 32, 16, 8);
        Random random = new Random(seed);
        int[][][] anchors = tokens(random, new int[] {3, 5, 2, 4}), positives = tokens(random, new int[] {7, 6, 7, 3});

        List<TrainingEncoder.Pass> passes = new ArrayList<>(List.of(encoder.forward(anchors[0], anchors[1], anchors[2], null),
                encoder.forward(positives[0], positives[1], positives[2], null)));
        List<TrainablePooling.Saved> saved = List.of(new TrainablePooling.Saved(), new TrainablePooling.Saved());
        LossValue[] last = new LossValue[1];
        DoubleSupplier value = () -> {
            passes.set(0, encoder.forward(anchors[0], anchors[1], anchors[2], passes.get(0)));
            passes.set(1, encoder.forward(positives[0], positives[1], positives[2], passes.get(1)));
            last[0] = loss.compute(EmbeddingBatch.of(pooling.forward(passes.get(0).hidden(), passes.get(0).keyMask(), saved.get(0)),
                    pooling.forward(passes.get(1).hidden(), passes.get(1).keyMask(), saved.get(1))));
            return last[0].loss();
        };
        value.getAsDouble();
        LossValue lv = last[0];
        encoder.zeroGradients();
        for (int c = 0; c < 2; c++) {
            encoder.backward(passes.get(c), pooling.backward(lv.gradient(c), saved.get(c)));
        }
        // Central differences in double carry about 1e-16·|L|/ε ≈ 1e-9 of round-off for losses of order
        // 1–10: entries below 1e-5 are compared absolutely (error ≤ 1e-4 · 1e-5), the rest relatively.
        GradientCheck.Result worst = GradientCheck.check(encoder.parameters(), encoder.gradients(), value, 4, 1e-6, 1e-5, seed);
        assertTrue(worst.relativeError() <= 1e-4, config.modelType() + ", seed " + seed + ": " + worst);
    }

    private static int[][][] tokens(Random random, int[] lengths) {
        int t = 0;
        for (int l : lengths) {
            t = Math.max(t, l);
        }
        int[][] ids = new int[lengths.length][t], mask = new int[lengths.length][t], types = new int[lengths.length][t];
        for (int i = 0; i < lengths.length; i++) {
            for (int j = 0; j < lengths[i]; j++) {
                ids[i][j] = j == 0 ? 1 : 2 + random.nextInt(38);
                mask[i][j] = 1;
            }
        }
        return new int[][][] {ids, mask, types};
    }
}

package dev.embedtune.model.training;

import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.modernbert.ModernBertWeights;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small randomly initialised ModernBERTs and LoRA adapters with non-zero B, for tests. */
final class TinyModernBert {
    /**
     * 3 layers (0 and 2 global, 1 local), hidden 32, 4 heads of 8, GeGLU 48, window 4 (|q − k| ≤ 2),
     * no biases (as released checkpoints).
     */
    static final ModernBertConfig CONFIG = new ModernBertConfig(50, 32, 48, 3, 4, "gelu", 64, 0.02, 1e-5, false,
            0, 0, 0, 0, 0, 160000, false, 0, 2, 4, 10000, 0, false, 0);

    /** The same with biases on every linear and norm. */
    static final ModernBertConfig WITH_BIASES = new ModernBertConfig(50, 32, 48, 3, 4, "gelu", 64, 0.02, 1e-5, true,
            0, 0, 0, 0, 0, 160000, true, 0, 2, 4, 10000, 0, true, 0);

    static Map<String, INDArray> weights(ModernBertConfig c, long seed) {
        Nd4j.getRandom().setSeed(seed);
        Map<String, INDArray> w = new HashMap<>();
        ModernBertWeights.shapes(c).forEach((name, shape) -> {
            boolean norm = name.contains("norm");
            INDArray v = Nd4j.randn(DataType.FLOAT, shape).muli(norm ? 0.1 : 0.2);
            if (norm && name.endsWith(".weight")) {
                v.addi(1);
            }
            w.put(name, v);
        });
        return w;
    }

    static LoraModel lora(ModernBertConfig c, int r, long seed) {
        LoraModel fresh = LoraModel.init(c, new LoraConfig(r, 2 * r, 0, LoraConfig.MODERNBERT_DEFAULT_TARGETS, false), seed);
        Nd4j.getRandom().setSeed(seed);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        fresh.adapters().forEach((m, a) -> adapters.put(m, new LoraAdapter(a.a(), Nd4j.randn(DataType.FLOAT, a.b().shape()).muli(0.1))));
        return new LoraModel(fresh.config(), adapters);
    }

    /** Token ids for B rows with the given real lengths, padding 0 after the length; attention masks. */
    static int[][][] batch(int[] lengths, int tokens, long seed) {
        java.util.Random random = new java.util.Random(seed);
        int[][] ids = new int[lengths.length][tokens], mask = new int[lengths.length][tokens];
        for (int i = 0; i < lengths.length; i++) {
            for (int j = 0; j < lengths[i]; j++) {
                ids[i][j] = 1 + random.nextInt(CONFIG.vocabSize() - 1);
                mask[i][j] = 1;
            }
        }
        return new int[][][] {ids, mask};
    }

    private TinyModernBert() {
    }
}

package dev.embedtune.model.training;

import dev.embedtune.model.bert.BertWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A small randomly initialised BERT and LoRA adapters with non-zero B, for tests. */
final class TinyBert {
    static final BertConfig CONFIG = new BertConfig(40, 64, 2, 4, 96, "gelu", 0, 0, 32, 2, 0.02, 1e-12, 0);

    static Map<String, INDArray> weights(BertConfig c, long seed) {
        Nd4j.getRandom().setSeed(seed);
        Map<String, INDArray> w = new HashMap<>();
        for (String name : BertWeights.names(c)) {
            long[] shape = BertWeights.shape(c, name);
            INDArray v = Nd4j.randn(DataType.FLOAT, shape).muli(name.contains("LayerNorm") ? 0.1 : 0.2);
            if (name.endsWith("LayerNorm.weight")) {
                v.addi(1);
            }
            w.put(name, v);
        }
        return w;
    }

    static LoraModel lora(BertConfig c, int r, long seed) {
        LoraModel fresh = LoraModel.init(c, new LoraConfig(r, 2 * r, 0, LoraConfig.BERT_DEFAULT_TARGETS, false), seed);
        Nd4j.getRandom().setSeed(seed);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        fresh.adapters().forEach((m, a) -> adapters.put(m, new LoraAdapter(a.a(), Nd4j.randn(DataType.FLOAT, a.b().shape()).muli(0.1))));
        return new LoraModel(fresh.config(), adapters);
    }

    /** Token ids for B rows with the given real lengths, [CLS]=1 … padding 0 after the length. */
    static int[][][] batch(int[] lengths, int tokens, long seed) {
        java.util.Random random = new java.util.Random(seed);
        int[][] ids = new int[lengths.length][tokens], mask = new int[lengths.length][tokens], types = new int[lengths.length][tokens];
        for (int i = 0; i < lengths.length; i++) {
            for (int j = 0; j < lengths[i]; j++) {
                ids[i][j] = j == 0 ? 1 : 2 + random.nextInt(CONFIG.vocabSize() - 2);
                mask[i][j] = 1;
                types[i][j] = j > lengths[i] / 2 ? 1 : 0;
            }
        }
        return new int[][][] {ids, mask, types};
    }

    private TinyBert() {
    }
}

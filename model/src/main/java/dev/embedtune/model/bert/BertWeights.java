package dev.embedtune.model.bert;

import dev.embedtune.model.config.BertConfig;
import java.util.ArrayList;
import java.util.List;

/** The parameter names and shapes of Hugging Face {@code BertModel} (without pooler) for a config. */
public final class BertWeights {
    private BertWeights() {
    }

    /** Names in module order. */
    public static List<String> names(BertConfig c) {
        List<String> names = new ArrayList<>(List.of("embeddings.word_embeddings.weight",
                "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
                "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            for (String m : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                names.add(p + m + ".weight");
                names.add(p + m + ".bias");
            }
            names.add(p + "attention.output.LayerNorm.weight");
            names.add(p + "attention.output.LayerNorm.bias");
            names.add(p + "intermediate.dense.weight");
            names.add(p + "intermediate.dense.bias");
            names.add(p + "output.dense.weight");
            names.add(p + "output.dense.bias");
            names.add(p + "output.LayerNorm.weight");
            names.add(p + "output.LayerNorm.bias");
        }
        return names;
    }

    /** nn.Linear weights are [out, in]; embeddings [rows, H]; biases and LayerNorm parameters [size]. */
    public static long[] shape(BertConfig c, String name) {
        long h = c.hiddenSize(), f = c.intermediateSize();
        if (name.equals("embeddings.word_embeddings.weight")) return new long[] {c.vocabSize(), h};
        if (name.equals("embeddings.position_embeddings.weight")) return new long[] {c.maxPositionEmbeddings(), h};
        if (name.equals("embeddings.token_type_embeddings.weight")) return new long[] {c.typeVocabSize(), h};
        if (name.endsWith("intermediate.dense.weight")) return new long[] {f, h};
        if (name.endsWith("intermediate.dense.bias")) return new long[] {f};
        if (name.endsWith("output.dense.weight") && !name.contains("attention")) return new long[] {h, f};
        if (name.endsWith(".weight") && !name.contains("LayerNorm")) return new long[] {h, h};
        return new long[] {h};
    }
}

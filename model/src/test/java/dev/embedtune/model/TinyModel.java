package dev.embedtune.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.st.ModelDirectoryWriter;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.model.st.SentenceBertConfig;
import dev.embedtune.model.st.SentenceTransformersConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A tiny random BERT as a sentence-transformers directory (mean pooling, Normalize) with
 * all-MiniLM-L6-v2's real tokenizer: hidden 32, 2 layers, 4 heads, intermediate 64, 64 positions,
 * max_seq_length 32. Writing, merging and loading it take milliseconds where MiniLM takes seconds.
 */
public final class TinyModel {
    public static final int HIDDEN = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyModel() {
    }

    public static Path write(Path dir, long seed) throws IOException {
        ObjectNode tok;
        try (InputStream in = TinyModel.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            tok = (ObjectNode) JSON.readTree(in);
        }
        tok.putNull("truncation");
        tok.putNull("padding");
        List<String> vocab = vocab(tok.path("model").path("vocab"));
        BertConfig config = new BertConfig(vocab.size(), HIDDEN, 2, 4, 64, "gelu", 0.1, 0.1, 64, 2, 0.02, 1e-12, 0);
        Random random = new Random(seed);
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");
        EncoderWeights.shapes(config).forEach((name, shape) -> {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            float[] v = new float[(int) n];
            boolean norm = name.contains("LayerNorm");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * (norm ? 0.1 : 0.2)) + (norm && name.endsWith(".weight") ? 1f : 0f);
            }
            weights.addFloats(name, v, shape);
        });
        ModelDirectoryWriter.write(dir, new ModelDirectoryWriter.Contents(config, JSON.writeValueAsBytes(tok),
                Map.of("do_lower_case", true, "tokenizer_class", "BertTokenizer", "model_max_length", 32),
                Map.of("cls_token", "[CLS]", "sep_token", "[SEP]", "pad_token", "[PAD]", "unk_token", "[UNK]",
                        "mask_token", "[MASK]"),
                vocab, PoolingConfig.of(PoolingConfig.Mode.MEAN, HIDDEN), true, new SentenceBertConfig(32, false),
                SentenceTransformersConfig.DEFAULT), weights);
        return dir;
    }

    private static List<String> vocab(JsonNode vocab) {
        String[] byId = new String[vocab.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            byId[e.getValue().asInt()] = e.getKey();
        }
        return new ArrayList<>(List.of(byId));
    }
}

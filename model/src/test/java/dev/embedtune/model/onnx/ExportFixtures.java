package dev.embedtune.model.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.st.ModelDirectoryWriter;
import dev.embedtune.model.st.PoolingConfig;
import dev.embedtune.model.st.SentenceBertConfig;
import dev.embedtune.model.st.SentenceTransformersConfig;
import dev.embedtune.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Models and texts for the export tests: tiny random BERT and ModernBERT directories with
 * all-MiniLM-L6-v2's real WordPiece tokenizer (so real texts tokenise as for a real model while a
 * forward pass is cheap), LoRA adapters for them, and real texts from the Jargon File every clone ships.
 */
final class ExportFixtures {
    /** The Jargon File pairs shipped with the train module (id, query, passage, group, split). */
    static final Path JARGON = Path.of("../train/src/main/resources/dev/embedtune/datasets/jargon.jsonl");
    static final int MAX_SEQ_LENGTH = 256;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExportFixtures() {
    }

    /** Hidden 32, 2 layers, 4 heads, intermediate 64, 512 positions; mean pooling + Normalize. */
    static Path tinyBert(Path dir, long seed) throws IOException {
        return tinyBert(dir, seed, PoolingConfig.of(PoolingConfig.Mode.MEAN, 32), true, null);
    }

    /** The same with another Pooling module, with or without Normalize, with a Matryoshka truncate_dim or none. */
    static Path tinyBert(Path dir, long seed, PoolingConfig pooling, boolean normalize, Integer truncateDim)
            throws IOException {
        ObjectNode tok = tokenizer();
        BertConfig c = new BertConfig(vocab(tok).size(), 32, 2, 4, 64, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12, 0);
        return write(dir, c, tok, pooling, normalize, truncateDim, seed);
    }

    /**
     * Hidden 32, 3 layers (0 and 2 global, 1 local with a window of ±4 tokens, so texts longer than
     * 9 tokens meet it), 4 heads of 8, GeGLU 48, 512 positions, as TinyModernBert; biases on every
     * linear and norm when {@code biases}.
     */
    static Path tinyModernBert(Path dir, long seed, boolean biases) throws IOException {
        ObjectNode tok = tokenizer();
        ModernBertConfig c = new ModernBertConfig(vocab(tok).size(), 32, 48, 3, 4, "gelu", 512, 0.02, 1e-5, biases,
                0, 102, 101, 101, 102, 160000, biases, 0, 2, 8, 10000, 0, biases, 0);
        return write(dir, c, tok, PoolingConfig.of(PoolingConfig.Mode.MEAN, 32), true, null, seed);
    }

    private static Path write(Path dir, ModelConfig config, ObjectNode tok, PoolingConfig pooling, boolean normalize,
            Integer truncateDim, long seed) throws IOException {
        Random random = new Random(seed);
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");
        EncoderWeights.shapes(config).forEach((name, shape) -> {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            float[] v = new float[(int) n];
            boolean norm = name.contains("LayerNorm") || name.contains("norm.");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * (norm ? 0.1 : 0.2)) + (norm && name.endsWith(".weight") ? 1f : 0f);
            }
            weights.addFloats(name, v, shape);
        });
        ModelDirectoryWriter.write(dir, new ModelDirectoryWriter.Contents(config, JSON.writeValueAsBytes(tok),
                Map.of("do_lower_case", true, "tokenizer_class", "BertTokenizer", "model_max_length", 512),
                Map.of("cls_token", "[CLS]", "sep_token", "[SEP]", "pad_token", "[PAD]", "unk_token", "[UNK]",
                        "mask_token", "[MASK]"),
                vocab(tok), pooling, normalize, new SentenceBertConfig(MAX_SEQ_LENGTH, false),
                new SentenceTransformersConfig(Map.of(), null, "cosine", truncateDim)), weights);
        return dir;
    }

    /** LoRA adapters (r 4 on every linear, B drawn at random so that they change the model) saved in PEFT's layout. */
    static LoraModel adapters(Path adapterDir, ModelConfig config, String baseModel, long seed) throws IOException {
        LoraModel fresh = LoraModel.init(config, new LoraConfig(4, 8, 0, List.of(LoraConfig.ALL_LINEAR), false), seed);
        Nd4j.getRandom().setSeed(seed);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        fresh.adapters().forEach((m, a) -> adapters.put(m,
                new LoraAdapter(a.a(), Nd4j.randn(DataType.FLOAT, a.b().shape()).muli(0.1))));
        LoraModel lora = new LoraModel(fresh.config(), adapters);
        lora.save(adapterDir, baseModel);
        return lora;
    }

    private static ObjectNode tokenizer() throws IOException {
        try (InputStream in = ExportFixtures.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            ObjectNode tok = (ObjectNode) JSON.readTree(in);
            tok.putNull("truncation");
            tok.putNull("padding");
            return tok;
        }
    }

    private static List<String> vocab(ObjectNode tok) {
        JsonNode vocab = tok.path("model").path("vocab");
        String[] byId = new String[vocab.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            byId[e.getValue().asInt()] = e.getKey();
        }
        return new ArrayList<>(List.of(byId));
    }

    /**
     * {@code count} real texts of mixed lengths from the Jargon File, in file order: each record's
     * query (a few tokens) and every other record's passage (tens to hundreds of tokens), keeping only
     * texts of at most {@code maxTokens} tokens with [CLS] and [SEP] (so that no reader truncates and
     * langchain4j, which splits rather than truncates, sees the same tokens).
     */
    static List<String> jargonTexts(int count, int maxTokens) throws IOException {
        Tokenizer tok = Tokenizer.fromJson(JSON.writeValueAsString(tokenizer()));
        List<String> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(JARGON)) {
            String line;
            for (int record = 0; (line = r.readLine()) != null && out.size() < count; record++) {
                JsonNode n = JSON.readTree(line);
                List<String> candidates = record % 2 == 0 ? List.of(n.get("query").asText(), n.get("passage").asText())
                        : List.of(n.get("query").asText());
                for (String text : candidates) {
                    if (out.size() < count && tok.encode(text).ids().length <= maxTokens) {
                        out.add(text);
                    }
                }
            }
        }
        if (out.size() < count) {
            throw new IllegalStateException(JARGON + " has only " + out.size() + " texts of at most " + maxTokens + " tokens");
        }
        return out;
    }
}

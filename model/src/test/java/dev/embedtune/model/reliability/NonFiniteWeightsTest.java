package dev.embedtune.model.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.FiniteValues;
import dev.embedtune.model.ModelDirs;
import dev.embedtune.model.TinyModel;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.NonFiniteEmbeddingException;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.st.ModelDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15 item 4: NaN weights are an error naming the file and tensor; no embedding leaves with NaN in it. */
class NonFiniteWeightsTest {

    @TempDir
    Path dir;

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void aNanWeightIsAnErrorNamingTheFileAndTensor() throws IOException {
        Path model = ModelDirs.copy(TinyModel.write(dir.resolve("tiny"), 2), dir.resolve("nan"), false);
        String tensor = "encoder.layer.1.attention.self.value.weight";
        ModelDirs.editTensor(model, tensor, v -> {
            v[17] = Float.NaN;
            return v;
        });
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Embedder.load(model));
        assertMentions(e, model.resolve("model.safetensors").toString(), tensor, "1 non-finite value", "NaN", "element 17");
        // the merge path reads the base the same way, so a NaN base cannot become a fine-tuned model
        LoraModel lora = LoraModel.init(ModelDirectory.read(model).config(),
                new LoraConfig(2, 4, 0, LoraConfig.BERT_DEFAULT_TARGETS, false), 1);
        e = assertThrows(ModelFormatException.class, () -> LoraMerge.writeMerged(model, lora, dir.resolve("merged")));
        assertMentions(e, tensor);
    }

    @Test
    void anEmbeddingThatOverflowsIsAnErrorNotNan() throws IOException {
        // Finite weights that overflow float32 in the forward: the last LayerNorm's scale at 3e38 makes
        // the hidden states about ±3e38, mean pooling sums them to ±∞ and normalising gives NaN.
        Path model = ModelDirs.copy(TinyModel.write(dir.resolve("tiny"), 2), dir.resolve("huge"), false);
        ModelDirs.editTensor(model, "encoder.layer.1.output.LayerNorm.weight", v -> {
            Arrays.fill(v, 3e38f);
            return v;
        });
        Embedder embedder = Embedder.load(model);
        NonFiniteEmbeddingException e = assertThrows(NonFiniteEmbeddingException.class,
                () -> embedder.encode(List.of("hacker", "a kludge that works")));
        assertMentions(e, "non-finite", "\"hacker\"");
    }

    @Test
    void textsWithoutTokensAreAnErrorNotNanOrANativeFailure() throws IOException {
        // A tokenizer without a post-processor turns "" into no tokens at all: alone, the batch has no
        // tokens (ND4J's gather failed with "Op [gather] execution failed"); beside another text, its
        // row attends to nothing (it came out NaN before the packed engine, which refuses such a row).
        Path model = TinyModel.write(dir.resolve("tiny"), 2);
        ModelDirs.editJson(model.resolve("tokenizer.json"), t -> t.putNull("post_processor"));
        Embedder embedder = Embedder.load(model);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> embedder.encode(List.of("")));
        assertMentions(none, "no tokens");
        RuntimeException beside = assertThrows(RuntimeException.class, () -> embedder.encode(List.of("", "hacker")));
        assertTrue(beside instanceof IllegalArgumentException || beside instanceof NonFiniteEmbeddingException, beside.toString());
        assertTrue(beside.getMessage().contains("no token"), beside.getMessage());
    }

    @Test
    void aNanAdapterTensorIsAnErrorNamingIt() throws IOException {
        BertConfig config = ModelDirectory.read(TinyModel.write(dir.resolve("tiny"), 2)).bertConfig();
        LoraConfig lc = new LoraConfig(2, 4, 0, List.of("query"), false);
        Path adapter = dir.resolve("adapter");
        LoraModel.init(config, lc, 3).save(adapter, "x");
        Path weights = adapter.resolve(LoraModel.WEIGHTS_FILE);
        String key = "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight";
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            for (String name : f.names()) {
                float[] v = f.getFloats(name);
                if (name.equals(key)) {
                    v[0] = Float.POSITIVE_INFINITY;
                }
                w.addFloats(name, v, f.info(name).shape());
            }
        }
        w.write(weights);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LoraModel.load(adapter, config));
        assertMentions(e, weights.toString(), key, "Infinity");
    }

    @Test
    void float64TensorsAreCheckedToo() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> FiniteValues.requireFinite(new double[] {1, Double.NEGATIVE_INFINITY}, dir.resolve("state.safetensors"), "exp_avg_sq/x"));
        assertMentions(e, "state.safetensors", "exp_avg_sq/x", "-Infinity", "element 1");
    }

    @Test
    void finiteValuesPassUnchanged() throws IOException {
        float[] v = {0f, -1e38f, Float.MIN_VALUE};
        assertEquals(v, FiniteValues.requireFinite(v, dir, "t"));
        float[][] rows = {{1f}, {2f}};
        assertEquals(rows, FiniteValues.requireFiniteEmbeddings(rows, List.of("a", "b")));
    }
}

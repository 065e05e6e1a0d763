package dev.embedtune.model.st;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.ModelConfigs;
import dev.embedtune.model.config.ModernBertConfig;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {

    @TempDir
    Path dir;

    private static final BertConfig TINY = new BertConfig(10, 8, 1, 2, 16, "gelu", 0.1, 0.1, 32, 2, 0.02, 1e-12, 0);

    private Path config(String json) throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, json);
        return p;
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    @Test
    void unknownModelTypeListsTheSupportedOnes() throws IOException {
        Path p = config("{\"model_type\":\"llama\",\"hidden_size\":8}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfigs.read(p));
        assertMentions(e, p.toString(), "\"llama\"", "bert", "modernbert");
    }

    @Test
    void missingOrMistypedFieldsAreNamed() throws IOException {
        Path p = config("{\"model_type\":\"bert\",\"vocab_size\":10,\"hidden_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2}");
        assertMentions(assertThrows(ModelFormatException.class, () -> ModelConfigs.read(p)), p.toString(), "\"intermediate_size\"");
        config("{\"model_type\":\"bert\",\"vocab_size\":\"ten\"}");
        assertMentions(assertThrows(ModelFormatException.class, () -> ModelConfigs.read(p)), "\"vocab_size\"", "integer", "\"ten\"");
        config("{\"model_type\":\"bert\",\"vocab_size\":10,\"hidden_size\":9,\"num_hidden_layers\":1,\"num_attention_heads\":2,\"intermediate_size\":4}");
        assertMentions(assertThrows(ModelFormatException.class, () -> ModelConfigs.read(p)), "hidden_size 9", "num_attention_heads 2");
    }

    @Test
    void badJsonNamesTheFile() throws IOException {
        Path p = config("{\"model_type\": ");
        assertMentions(assertThrows(ModelFormatException.class, () -> ModelConfigs.read(p)), p.toString(), "not valid JSON");
        Files.writeString(dir.resolve("modules.json"), "{\"not\":\"an array\"}");
        config(TINY.toJson().toString());
        assertMentions(assertThrows(ModelFormatException.class, () -> ModelDirectory.read(dir)), "modules.json", "array");
    }

    @Test
    void configsRoundTrip() throws IOException {
        Path p = dir.resolve("config.json");
        ModelConfigs.write(TINY, p);
        assertEquals(TINY, ModelConfigs.read(p));
        ModernBertConfig modern = new ModernBertConfig(50368, 64, 96, 4, 4, "gelu", 8192, 0.02, 1e-5, false,
                50283, 50282, 50281, 50281, 50282, 160000, false, 0, 3, 8, 10000, 0, false, 0);
        ModelConfigs.write(modern, p);
        assertEquals(modern, ModelConfigs.read(p));
        assertTrue(modern.isGlobalLayer(0) && !modern.isGlobalLayer(1) && modern.isGlobalLayer(3));
    }

    @Test
    void aPlainHuggingFaceDirectoryReadsAsSentenceTransformersWrapsIt() throws IOException {
        ModelConfigs.write(TINY, dir.resolve("config.json"));
        ModelDirectory md = ModelDirectory.read(dir);
        assertFalse(md.isSentenceTransformers());
        assertEquals(List.of(PoolingConfig.Mode.MEAN), md.pooling().modes());
        assertFalse(md.normalize());
        assertEquals(32, md.sentenceBert().maxSeqLength());
    }

    @Test
    void writtenDirectoriesReadBackEqual() throws IOException {
        Path out = dir.resolve("model");
        SentenceTransformersConfig settings = new SentenceTransformersConfig(
                Map.of("query", "query: ", "passage", "passage: "), "query", "cosine", 4);
        ModelDirectoryWriter.Contents c = new ModelDirectoryWriter.Contents(TINY, "{}".getBytes(),
                Map.of("do_lower_case", true), Map.of("cls_token", "[CLS]"), List.of("[PAD]", "a"),
                PoolingConfig.of(PoolingConfig.Mode.CLS, 8), true, new SentenceBertConfig(16, false), settings);
        ModelDirectoryWriter.write(out, c, new SafetensorsWriter().addFloats("w", new float[] {1}, 1));
        ModelDirectory md = ModelDirectory.read(out);
        assertEquals(TINY, md.config());
        assertEquals(c.pooling(), md.pooling());
        assertTrue(md.normalize());
        assertEquals(c.sentenceBert(), md.sentenceBert());
        assertEquals(settings, md.settings());
        assertEquals(3, md.modules().size());
        try (var w = md.openWeights()) {
            assertEquals(List.of("w"), w.names());
        }
        // rewriting replaces the directory whole, leaving no temporary folder behind
        ModelDirectoryWriter.write(out, c, new SafetensorsWriter().addFloats("v", new float[] {2}, 1));
        try (var w = ModelDirectory.read(out).openWeights()) {
            assertEquals(List.of("v"), w.names());
        }
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(out), listing.toList());
        }
    }

    @Test
    void unsupportedModulesAndBadPromptsAreNamed() throws IOException {
        ModelConfigs.write(TINY, dir.resolve("config.json"));
        Files.writeString(dir.resolve("modules.json"), "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                + "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Dense\",\"type\":\"sentence_transformers.models.Dense\"}]");
        assertMentions(assertThrows(ModelFormatException.class, () -> ModelDirectory.read(dir)), "modules.json", "Dense", "supported");
        Files.delete(dir.resolve("modules.json"));
        Files.writeString(dir.resolve("config_sentence_transformers.json"), "{\"prompts\":{\"query\":\"q: \"},\"default_prompt_name\":\"doc\"}");
        assertMentions(assertThrows(ModelFormatException.class, () -> ModelDirectory.read(dir)), "default_prompt_name", "\"doc\"");
    }
}

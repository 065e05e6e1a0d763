package dev.embedtune.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.st.ModelDirectory;
import dev.embedtune.model.st.PoolingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an export writes, what it refuses to read or replace, and that nothing half-written is left. */
class OnnxExportDirectoryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path dir;

    @BeforeAll
    static void model() throws Exception {
        model = ExportFixtures.tinyBert(shared.resolve("model"), 1);
    }

    @Test
    void writesTheOnnxModelBesideTheTokenizerAndTheSentenceTransformersFiles() throws Exception {
        Path out = dir.resolve("export");
        OnnxExporter.export(model, out, OnnxExporter.Options.DEFAULT);
        for (String f : List.of("model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                "vocab.txt", "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
                "1_Pooling/config.json", "onnx_export.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertTrue(Files.isDirectory(out.resolve("2_Normalize")));
        try (Stream<Path> files = Files.walk(out)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".safetensors")), "the weights are in model.onnx only");
        }
        ModelDirectory source = ModelDirectory.read(model), exported = ModelDirectory.read(out);
        assertEquals(source.config(), exported.config());
        assertEquals(source.pooling(), exported.pooling());
        assertEquals(source.normalize(), exported.normalize());
        assertEquals(source.sentenceBert(), exported.sentenceBert());
        assertEquals("", exported.modules().get(0).path(), "the Transformer module (and model.onnx) at the root");

        JsonNode marker = JSON.readTree(out.resolve("onnx_export.json").toFile());
        assertEquals("embedtune-onnx-export", marker.get("format").asText());
        assertEquals(17, marker.get("opset").asInt());
        assertEquals("none", marker.get("quantization").asText());
        assertEquals(List.of("last_hidden_state"), List.of(marker.get("outputs").get(0).asText()));
        assertNoTemporaryDirectories(dir);
    }

    @Test
    void aPlainHuggingFaceDirectoryGetsTheModulesSentenceTransformersWouldAssume() throws Exception {
        Path plain = dir.resolve("plain");
        Files.createDirectories(plain);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "vocab.txt")) {
            Files.copy(model.resolve(f), plain.resolve(f));
        }
        Path out = dir.resolve("export");
        OnnxExporter.export(plain, out, OnnxExporter.Options.DEFAULT.withPoolingInGraph(true));
        ModelDirectory exported = ModelDirectory.read(out);
        assertEquals(List.of(PoolingConfig.Mode.MEAN), exported.pooling().modes());
        assertFalse(exported.normalize());
        assertEquals(512, exported.sentenceBert().maxSeqLength(), "max_position_embeddings, as ModelDirectory assumes");
    }

    @Test
    void anEarlierExportIsReplacedAnyOtherNonEmptyDirectoryOnlyWithOverwrite() throws Exception {
        Path out = dir.resolve("export");
        OnnxExporter.export(model, out, OnnxExporter.Options.DEFAULT);
        OnnxExporter.export(model, out, OnnxExporter.Options.DEFAULT.withOpset(18));   // an earlier export: replaced
        assertEquals(18, JSON.readTree(out.resolve("onnx_export.json").toFile()).get("opset").asInt());

        Path other = dir.resolve("notes");
        Files.createDirectories(other);
        Files.writeString(other.resolve("mine.txt"), "keep me");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxExporter.export(model, other, OnnxExporter.Options.DEFAULT));
        assertTrue(e.getMessage().contains(other.toString()) && e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals("keep me", Files.readString(other.resolve("mine.txt")), "a refused export touches nothing");

        OnnxExporter.export(model, other, OnnxExporter.Options.DEFAULT.withOverwrite(true));
        assertFalse(Files.exists(other.resolve("mine.txt")));
        assertTrue(Files.isRegularFile(other.resolve("model.onnx")));
        assertNoTemporaryDirectories(dir);
    }

    @Test
    void neverReplacesTheModelItReads() throws Exception {
        Path copy = dir.resolve("model");
        copyTree(model, copy);
        for (Path target : List.of(copy, dir)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> OnnxExporter.export(copy, target, OnnxExporter.Options.DEFAULT.withOverwrite(true)));
            assertTrue(e.getMessage().contains("being exported"), e.getMessage());
        }
        assertTrue(Files.isRegularFile(copy.resolve("model.safetensors")));
    }

    @Test
    void anAdapterIsMergedIntoItsBaseAndRefusedWithTheReasonWhenTheBaseIsNotReachable() throws Exception {
        Path adapter = dir.resolve("adapter");
        ExportFixtures.adapters(adapter, ModelDirectory.read(model).config(), "sentence-transformers/all-MiniLM-L6-v2", 2);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxExporter.export(adapter, dir.resolve("out"), OnnxExporter.Options.DEFAULT));
        String m = e.getMessage();
        assertTrue(m.startsWith(adapter.resolve(LoraModel.CONFIG_FILE).toString()), m);
        assertTrue(m.contains("holds only LoRA adapters") && m.contains("sentence-transformers/all-MiniLM-L6-v2")
                && m.contains("--base"), m);
        assertFalse(Files.exists(dir.resolve("out")));

        // the same adapters with the base given: merged (the merge itself is checked in OnnxExportFineTunedTest)
        OnnxExporter.Result r = OnnxExporter.export(adapter, dir.resolve("out"), OnnxExporter.Options.DEFAULT.withBase(model));
        assertEquals(adapter, r.mergedAdapter());
        assertFalse(Files.exists(dir.resolve("out").resolve(LoraModel.CONFIG_FILE)), "the export is a plain model");

        ObjectNode config = (ObjectNode) JSON.readTree(adapter.resolve(LoraModel.CONFIG_FILE).toFile());
        config.putNull("base_model_name_or_path");
        Files.write(adapter.resolve(LoraModel.CONFIG_FILE), JSON.writeValueAsBytes(config));
        e = assertThrows(ModelFormatException.class, () -> OnnxExporter.export(adapter, dir.resolve("out2"), OnnxExporter.Options.DEFAULT));
        assertTrue(e.getMessage().contains("base_model_name_or_path is empty"), e.getMessage());
    }

    @Test
    void aFineTuningRunsOutputDirectoryPointsAtItsModelAndAdapter() throws Exception {
        Path run = dir.resolve("run");
        copyTree(model, run.resolve("model"));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxExporter.export(run, dir.resolve("out"), OnnxExporter.Options.DEFAULT));
        assertTrue(e.getMessage().contains(run.resolve("model").toString()), e.getMessage());
    }

    @Test
    void unsupportedModelsAndOptionsAreRefusedWithTheReason() throws Exception {
        Path relu = dir.resolve("relu");
        copyTree(model, relu);
        ObjectNode config = (ObjectNode) JSON.readTree(relu.resolve("config.json").toFile());
        config.put("hidden_act", "relu");
        Files.write(relu.resolve("config.json"), JSON.writeValueAsBytes(config));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> OnnxExporter.export(relu, dir.resolve("out"), OnnxExporter.Options.DEFAULT));
        assertTrue(e.getMessage().startsWith(relu.resolve("config.json").toString()) && e.getMessage().contains("relu"),
                e.getMessage());

        Path noPrompt = dir.resolve("no-prompt");
        copyTree(model, noPrompt);
        ObjectNode pooling = (ObjectNode) JSON.readTree(noPrompt.resolve("1_Pooling/config.json").toFile());
        pooling.put("include_prompt", false);
        Files.write(noPrompt.resolve("1_Pooling/config.json"), JSON.writeValueAsBytes(pooling));
        e = assertThrows(ModelFormatException.class, () -> OnnxExporter.export(noPrompt, dir.resolve("out"),
                OnnxExporter.Options.DEFAULT.withPoolingInGraph(true)));
        assertTrue(e.getMessage().contains("include_prompt"), e.getMessage());
        OnnxExporter.export(noPrompt, dir.resolve("out"), OnnxExporter.Options.DEFAULT);   // without pooling it exports

        IllegalArgumentException o = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.Options.DEFAULT.withOpset(12));
        assertTrue(o.getMessage().contains("between 13 and 21"), o.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.Options.DEFAULT.withOpset(22));
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.Quantization.parse("int4"));
    }

    private static void assertNoTemporaryDirectories(Path parent) throws Exception {
        try (Stream<Path> s = Files.list(parent)) {
            List<Path> left = s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
            assertTrue(left.isEmpty(), "left behind: " + left);
        }
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }
}

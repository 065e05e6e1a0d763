package dev.embedtune.model.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.EmbedtuneVersion;
import dev.embedtune.model.ModelDirs;
import dev.embedtune.model.TinyModel;
import dev.embedtune.model.card.AdapterCard;
import dev.embedtune.model.card.EvaluationTable;
import dev.embedtune.model.card.ModelCard;
import dev.embedtune.model.card.RunFacts;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.onnx.BertImport;
import dev.embedtune.model.onnx.BuiltinModel;
import dev.embedtune.model.safetensors.SafetensorsFile;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import dev.embedtune.model.st.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 items 14, 15 and 16: the merged model and the adapter come with cards as
 * sentence-transformers and PEFT write them, the pooler the ONNX exports lack is explained (and a
 * base that has one keeps it), the base's stale weight formats are not copied, and the version
 * stamps name embedtune beside the layout followed.
 */
class ModelCardsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path shared;
    /** A tiny model standing in for a cached built-in import: its marker names MiniLM's Hub id. */
    private static Path builtin;
    private static LoraModel lora;

    @TempDir
    Path dir;

    @BeforeAll
    static void adapters() throws IOException {
        builtin = TinyModel.write(shared.resolve("models/all-minilm-l6-v2"), 3);
        Files.writeString(builtin.resolve(".embedtune-imported"), "sentence-transformers/all-MiniLM-L6-v2\n");
        lora = LoraModel.init(ModelDirectory.read(builtin).config(),
                new LoraConfig(2, 4, 0.1, LoraConfig.BERT_DEFAULT_TARGETS, false), 1);
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p);
    }

    private static void assertContains(String text, String... parts) {
        for (String p : parts) {
            assertTrue(text.contains(p), "expected\n" + p + "\nin:\n" + text);
        }
    }

    @Test
    void theMergedModelOfABuiltinHasACardExplainingThePooler() throws IOException {
        Path merged = dir.resolve("model");
        LoraMerge.writeMerged(builtin, lora, merged);
        String card = read(merged.resolve("README.md"));
        assertTrue(card.startsWith("---\nbase_model: \"sentence-transformers/all-MiniLM-L6-v2\"\nlibrary_name: \"sentence-transformers\"\n"
                + "pipeline_tag: \"sentence-similarity\"\ntags:\n- \"sentence-transformers\"\n"), card);
        assertContains(card, "# SentenceTransformer based on sentence-transformers/all-MiniLM-L6-v2",
                "- **Base model:** [sentence-transformers/all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2)",
                "- **Maximum Sequence Length:** 32 tokens", "- **Output Dimensionality:** 32 dimensions",
                "- **Similarity Function:** Cosine Similarity",
                "  (0): Transformer({'max_seq_length': 32, 'do_lower_case': False, 'architecture': 'BertModel'})",
                "'pooling_mode_mean_tokens': True", "  (2): Normalize()",
                // item 14
                "no BERT pooler (`pooler.dense.weight`, `pooler.dense.bias`)", "MISSING", "embeddings are unaffected",
                // what the save knew: the adapter's settings
                "- `lora_r`: 2", "- `lora_alpha`: 4.0", "- `target_modules`: [query, key, value, dense]",
                "- embedtune: " + EmbedtuneVersion.get());
        assertFalse(EmbedtuneVersion.get().equals("unknown"), "the build fills in the version");
    }

    @Test
    void theRunsFactsMakeTheFullCard() throws IOException {
        Path merged = dir.resolve("model");
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("learning_rate", 2e-4);
        settings.put("per_device_train_batch_size", 32);
        EvaluationTable ir = new EvaluationTable("Information Retrieval", "jargon.jsonl (test)", List.of("dim_384", "dim_64"),
                List.of(new EvaluationTable.Row("ndcg@10", List.of(0.61234, 0.5)), new EvaluationTable.Row("mrr@10", List.of(0.55, Double.NaN))),
                "ndcg@10");
        String basePath = Files.createDirectories(dir.resolve("runs/base-model")).toString();   // a path the user gave
        RunFacts facts = new RunFacts(basePath, "jargon.jsonl (train)", 1749,
                "MatryoshkaLoss(MultipleNegativesRankingLoss, matryoshka_dims=[384, 64])", settings, List.of(ir));
        LoraMerge.writeMerged(builtin, lora, merged, facts);
        String card = read(merged.resolve("README.md"));
        // a local path is no Hub id: no base_model metadata, no Hub link
        assertFalse(card.contains("base_model:"), card);
        assertContains(card, "- \"dataset_size:1749\"", "- \"loss:MatryoshkaLoss\"", "- \"loss:MultipleNegativesRankingLoss\"",
                "finetuned with embedtune from `" + basePath + "` on jargon.jsonl (train)",
                "#### Information Retrieval\n\n* Dataset: `jargon.jsonl (test)`\n\n| Metric | dim_384 | dim_64 |\n|:--|:--|:--|\n"
                        + "| **ndcg@10** | **0.6123** | **0.5000** |\n| mrr@10 | 0.5500 |  |\n",
                "* Size: 1,749 training samples", "* Loss: `MatryoshkaLoss(MultipleNegativesRankingLoss, matryoshka_dims=[384, 64])`",
                "- `learning_rate`: 2.0E-4\n- `per_device_train_batch_size`: 32\n- `lora_r`: 2");
        // the pipeline rewrites it once the evaluation is done: same writer, same text
        ModelCard.write(merged, LoraMerge.cardFacts(facts, lora.config()));
        assertEquals(card, read(merged.resolve("README.md")));
    }

    @Test
    void theAdapterCardIsPeftsWithTheAdaptersSettings() throws IOException {
        Path adapter = dir.resolve("adapter");
        lora.save(adapter, "sentence-transformers/all-MiniLM-L6-v2");
        String card = read(adapter.resolve("README.md"));
        assertTrue(card.startsWith("---\nbase_model: \"sentence-transformers/all-MiniLM-L6-v2\"\nlibrary_name: \"peft\"\ntags:\n"
                + "- \"base_model:adapter:sentence-transformers/all-MiniLM-L6-v2\"\n- \"lora\"\n"), card);
        assertContains(card, "- **Rank (r):** 2", "- **lora_alpha:** 4.0 (scale alpha/r)", "- **lora_dropout:** 0.1",
                "- **target_modules:** `encoder\\.layer\\.(0|1)\\.(attention\\.self\\.query|",
                "model.load_adapter(\"path/to/this/adapter\")", "- embedtune " + EmbedtuneVersion.get());
        assertFalse(card.contains("PEFT 0."), "no PEFT version claimed: PEFT did not write it");
        AdapterCard.write(adapter, new RunFacts("sentence-transformers/all-MiniLM-L6-v2", "pairs.jsonl", 10,
                "MultipleNegativesRankingLoss", Map.of("learning_rate", 1e-4), List.of()));
        assertContains(read(adapter.resolve("README.md")), "### Training Data\n\npairs.jsonl: 10 training samples",
                "- Loss: `MultipleNegativesRankingLoss`", "- `learning_rate`: 1.0E-4", "- \"loss:MultipleNegativesRankingLoss\"");
    }

    @Test
    void aBaseWithAPoolerKeepsItAndStaleWeightFilesAreNotCopied() throws IOException {
        Path base = TinyModel.write(dir.resolve("base"), 3);
        Random random = new Random(5);
        float[] w = new float[32 * 32], b = new float[32];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian() * 0.02f;
        }
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile f = SafetensorsFile.open(base.resolve("model.safetensors"))) {
            for (String name : f.names()) {
                writer.addFloats(name, f.getFloats(name), f.info(name).shape());
            }
        }
        writer.addFloats("pooler.dense.weight", w, 32, 32).addFloats("pooler.dense.bias", b, 32);
        Files.delete(base.resolve("model.safetensors"));
        writer.write(base.resolve("model.safetensors"));
        // files a Hub download has beside model.safetensors: still the base's weights, and its own card
        Files.write(base.resolve("pytorch_model.bin"), new byte[] {1, 2, 3});
        Files.createDirectories(base.resolve("onnx"));
        Files.write(base.resolve("onnx/model.onnx"), new byte[] {4});
        Files.writeString(base.resolve("README.md"), "the base model's card");

        Path merged = dir.resolve("model");
        LoraMerge.writeMerged(base, lora, merged);
        try (SafetensorsFile f = SafetensorsFile.open(merged.resolve("model.safetensors"))) {
            assertArrayEquals(w, f.getFloats("pooler.dense.weight"));
            assertArrayEquals(b, f.getFloats("pooler.dense.bias"));
        }
        assertFalse(Files.exists(merged.resolve("pytorch_model.bin")), "a .bin of the base weights would load without the adapters");
        assertFalse(Files.exists(merged.resolve("onnx")), "an ONNX export of the base would run without the adapters");
        String card = read(merged.resolve("README.md"));
        assertFalse(card.contains("no BERT pooler"), card);
        assertFalse(card.contains("base_model:"), "a local path is no Hub id");
        assertContains(card, "`" + base + "`");
    }

    @Test
    void versionStampsNameEmbedtuneBesideTheLayoutFollowed() throws IOException {
        // a base as sentence-transformers saved it, naming the libraries that wrote it
        Path base = TinyModel.write(dir.resolve("base"), 3);
        ModelDirs.editJson(base.resolve("config_sentence_transformers.json"), c -> {
            ObjectNode v = c.putObject("__version__");
            v.put("sentence_transformers", "2.0.0");
            v.put("transformers", "4.6.1");
            v.put("pytorch", "1.8.1");
        });
        Path merged = dir.resolve("model");
        LoraMerge.writeMerged(base, lora, merged);
        JsonNode config = JSON.readTree(merged.resolve("config.json").toFile());
        assertEquals("4.41.2", config.get("transformers_version").asText(), "the layout followed, which transformers reads");
        assertEquals(EmbedtuneVersion.get(), config.get("embedtune_version").asText());
        JsonNode version = JSON.readTree(merged.resolve("config_sentence_transformers.json").toFile()).get("__version__");
        assertEquals(JSON.readTree("{\"sentence_transformers\":\"2.0.0\",\"embedtune\":\"" + EmbedtuneVersion.get() + "\"}"), version,
                "the layout followed and the writer; no transformers or pytorch version that did not run");

    }

    @Test
    void anImportIsStampedAndCarded() throws IOException {
        Path imported = dir.resolve("imported");
        BertImport.builtin(BuiltinModel.ALL_MINILM_L6_V2, imported);
        JsonNode config = JSON.readTree(imported.resolve("config.json").toFile());
        assertEquals("4.41.2", config.get("transformers_version").asText());
        assertEquals(EmbedtuneVersion.get(), config.get("embedtune_version").asText());
        assertEquals(JSON.readTree("{\"sentence_transformers\":\"3.0.1\",\"embedtune\":\"" + EmbedtuneVersion.get() + "\"}"),
                JSON.readTree(imported.resolve("config_sentence_transformers.json").toFile()).get("__version__"));
        String card = read(imported.resolve("README.md"));
        assertContains(card, "base_model: \"sentence-transformers/all-MiniLM-L6-v2\"",
                "converted by embedtune from [sentence-transformers/all-MiniLM-L6-v2]", "no BERT pooler");
        assertFalse(card.contains("## Training Details"), "nothing was trained");
    }
}

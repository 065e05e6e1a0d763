package dev.embedtune.model.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.embedtune.model.ModelDirs;
import dev.embedtune.model.TinyModel;
import dev.embedtune.model.embed.Embedder;
import dev.embedtune.model.lora.LoraAdapter;
import dev.embedtune.model.lora.LoraConfig;
import dev.embedtune.model.lora.LoraMerge;
import dev.embedtune.model.lora.LoraModel;
import dev.embedtune.model.st.ModelDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A base in sentence-transformers' old layout (the Hugging Face files in 0_Transformer/): the merged
 * weights go where the reader looks for them. They used to land beside modules.json, where nothing
 * reads them, so the "merged" model silently was the base model.
 */
class MergeLayoutTest {

    @TempDir
    Path dir;

    @Test
    void anOldLayoutGetsItsMergedWeightsInItsTransformerFolder() throws IOException {
        Path flat = TinyModel.write(dir.resolve("flat"), 4);
        Path old = ModelDirs.copy(flat, dir.resolve("old"), true);
        Files.createDirectories(old.resolve("0_Transformer"));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "vocab.txt", "sentence_bert_config.json")) {
            Files.move(old.resolve(f), old.resolve("0_Transformer").resolve(f));
        }
        String modules = Files.readString(old.resolve("modules.json")).replaceFirst("\"path\"\\s*:\\s*\"\"", "\"path\" : \"0_Transformer\"");
        Files.writeString(old.resolve("modules.json"), modules);
        assertTrue(ModelDirectory.read(old).transformerDir().endsWith("0_Transformer"));

        LoraModel fresh = LoraModel.init(ModelDirectory.read(flat).config(), new LoraConfig(2, 4, 0, List.of("query"), false), 3);
        Map<String, LoraAdapter> nonZero = new LinkedHashMap<>();
        fresh.adapters().forEach((m, a) -> nonZero.put(m, new LoraAdapter(a.a(), Nd4j.ones(a.b().shape()).muli(0.5))));
        LoraModel lora = new LoraModel(fresh.config(), nonZero);
        LoraMerge.writeMerged(flat, lora, dir.resolve("merged-flat"));
        LoraMerge.writeMerged(old, lora, dir.resolve("merged-old"));

        assertTrue(Files.isRegularFile(dir.resolve("merged-old/0_Transformer/model.safetensors")));
        assertFalse(Files.exists(dir.resolve("merged-old/model.safetensors")));
        List<String> texts = List.of("hacker", "kludge");
        float[][] base = Embedder.load(flat).encode(texts);
        float[][] mergedFlat = Embedder.load(dir.resolve("merged-flat")).encode(texts);
        float[][] mergedOld = Embedder.load(dir.resolve("merged-old")).encode(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(mergedFlat[i], mergedOld[i], 1e-6f, "same model in either layout");
            assertFalse(java.util.Arrays.equals(base[i], mergedOld[i]), "the adapters changed the old layout's model");
        }
    }
}

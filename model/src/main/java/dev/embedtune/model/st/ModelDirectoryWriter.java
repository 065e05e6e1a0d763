package dev.embedtune.model.st;

import dev.embedtune.model.AtomicFiles;
import dev.embedtune.model.card.ModelCard;
import dev.embedtune.model.card.RunFacts;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.safetensors.Safetensors;
import dev.embedtune.model.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes a sentence-transformers model directory in the layout {@code SentenceTransformer.save}
 * produces, so that {@code SentenceTransformer(dir)} in Python loads it:
 * <pre>
 * modules.json, config_sentence_transformers.json, sentence_bert_config.json,
 * config.json, model.safetensors, tokenizer.json, tokenizer_config.json, special_tokens_map.json,
 * vocab.txt (WordPiece models), 1_Pooling/config.json, 2_Normalize/ (when normalising)
 * </pre>
 * Everything is written into a temporary sibling directory that is renamed into place at the end,
 * so a reader never sees a half-written model and an interrupted write leaves the old one intact.
 */
public final class ModelDirectoryWriter {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The non-weight contents of a model directory.
     *
     * @param tokenizerJson   tokenizer.json's bytes
     * @param tokenizerConfig tokenizer_config.json's fields (e.g. do_lower_case, model_max_length)
     * @param specialTokens   special_tokens_map.json's fields (e.g. cls_token → [CLS])
     * @param vocab           vocab.txt's lines in id order, or null for non-WordPiece tokenizers
     */
    public record Contents(ModelConfig config, byte[] tokenizerJson, Map<String, Object> tokenizerConfig,
            Map<String, String> specialTokens, List<String> vocab, PoolingConfig pooling, boolean normalize,
            SentenceBertConfig sentenceBert, SentenceTransformersConfig settings) {
    }

    private ModelDirectoryWriter() {
    }

    public static void write(Path dir, Contents contents, SafetensorsWriter weights) throws IOException {
        write(dir, contents, weights, null);
    }

    /** @param card what README.md says about where the model comes from, or null for no card */
    public static void write(Path dir, Contents contents, SafetensorsWriter weights, RunFacts card) throws IOException {
        Path target = dir.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = AtomicFiles.newTempDirectory(target.getParent(), "." + target.getFileName() + ".");
        try {
            writeInto(tmp, contents, weights);
            if (card != null) {
                ModelCard.write(tmp, card);
            }
            AtomicFiles.replaceDirectory(tmp, target);
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
    }

    private static void writeInto(Path d, Contents c, SafetensorsWriter weights) throws IOException {
        weights.write(d.resolve(Safetensors.SINGLE));
        json(d.resolve("config.json"), VersionStamps.configJson(c.config().toJson()));
        Files.write(d.resolve("tokenizer.json"), c.tokenizerJson());
        json(d.resolve("tokenizer_config.json"), JSON.valueToTree(c.tokenizerConfig()));
        json(d.resolve("special_tokens_map.json"), JSON.valueToTree(c.specialTokens()));
        if (c.vocab() != null) {
            Files.writeString(d.resolve("vocab.txt"), String.join("\n", c.vocab()) + "\n", StandardCharsets.UTF_8);
        }
        ObjectNode sbert = JsonNodeFactory.instance.objectNode();
        sbert.put("max_seq_length", c.sentenceBert().maxSeqLength());
        sbert.put("do_lower_case", c.sentenceBert().doLowerCase());
        json(d.resolve("sentence_bert_config.json"), sbert);

        Files.createDirectories(d.resolve("1_Pooling"));
        json(d.resolve("1_Pooling/config.json"), c.pooling().toJson());
        ArrayNode modules = JsonNodeFactory.instance.arrayNode();
        modules.add(module(0, "", ModuleEntry.TRANSFORMER));
        modules.add(module(1, "1_Pooling", ModuleEntry.POOLING));
        if (c.normalize()) {
            Files.createDirectories(d.resolve("2_Normalize"));
            modules.add(module(2, "2_Normalize", ModuleEntry.NORMALIZE));
        }
        json(d.resolve("modules.json"), modules);

        ObjectNode st = VersionStamps.sentenceTransformersJson(JsonNodeFactory.instance.objectNode());
        ObjectNode prompts = st.putObject("prompts");
        c.settings().prompts().forEach(prompts::put);
        st.put("default_prompt_name", c.settings().defaultPromptName());
        st.put("similarity_fn_name", c.settings().similarityFnName());
        if (c.settings().truncateDim() != null) {
            st.put("truncate_dim", c.settings().truncateDim());
        }
        json(d.resolve("config_sentence_transformers.json"), st);
    }

    private static ObjectNode module(int idx, String path, String type) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("idx", idx);
        m.put("name", String.valueOf(idx));
        m.put("path", path);
        m.put("type", type);
        return m;
    }

    private static void json(Path file, Object node) throws IOException {
        Files.write(file, JSON.writeValueAsBytes(node));
    }


}

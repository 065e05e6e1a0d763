package dev.embedtune.model.st;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embedtune.model.ModelFormatException;
import dev.embedtune.model.config.BertConfig;
import dev.embedtune.model.config.JsonFields;
import dev.embedtune.model.config.ModelConfig;
import dev.embedtune.model.config.ModelConfigs;
import dev.embedtune.model.safetensors.Safetensors;
import dev.embedtune.model.safetensors.TensorSource;
import dev.embedtune.quant.NativeRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model directory as Hugging Face or sentence-transformers lays it out, read into typed parts.
 *
 * <p>A sentence-transformers directory has {@code modules.json}; its Transformer module's folder
 * (the root, or {@code 0_Transformer} in old layouts) holds the Hugging Face files. A plain Hugging
 * Face directory is read as sentence-transformers wraps one: mean pooling, no normalisation, the
 * model's maximum positions as maximum sequence length.
 *
 * @param dir            the directory given
 * @param transformerDir the folder with config.json, weights and tokenizer files
 * @param config         config.json, typed
 * @param tokenizerJson  tokenizer.json, or null when absent
 * @param vocabTxt       vocab.txt, or null when absent
 * @param modules        modules.json entries (empty for a plain Hugging Face directory)
 * @param pooling        the pooling module's configuration
 * @param normalize      whether a Normalize module follows pooling
 * @param sentenceBert   max sequence length and lower-casing
 * @param settings       prompts, similarity function, truncation
 */
public record ModelDirectory(Path dir, Path transformerDir, ModelConfig config, Path tokenizerJson,
        Path vocabTxt, List<ModuleEntry> modules, PoolingConfig pooling, boolean normalize,
        SentenceBertConfig sentenceBert, SentenceTransformersConfig settings) {

    static final ObjectMapper JSON = new ObjectMapper();

    public boolean isSentenceTransformers() {
        return !modules.isEmpty();
    }

    /** The weights: model.safetensors or a sharded index in the transformer folder. */
    public TensorSource openWeights() throws IOException {
        return Safetensors.openModel(transformerDir);
    }

    public static ModelDirectory read(Path dir) throws IOException {
        NativeRuntime.configure();                    // before ND4J loads, where this is the first use
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir, "not a directory");
        }
        Path modulesJson = dir.resolve("modules.json");
        List<ModuleEntry> modules = Files.isRegularFile(modulesJson) ? readModules(modulesJson) : List.of();
        Path transformerDir = dir;
        PoolingConfig pooling = null;
        boolean normalize = false;
        for (ModuleEntry m : modules) {
            Path folder = m.path().isEmpty() ? dir : dir.resolve(m.path());
            switch (m.simpleType()) {
                case "Transformer" -> transformerDir = folder;
                case "Pooling" -> pooling = readPooling(folder.resolve("config.json"));
                case "Normalize" -> normalize = true;
                default -> throw new ModelFormatException(modulesJson, "module " + m.idx() + " has type "
                        + m.type() + ", which embedtune does not support; supported: Transformer, Pooling, Normalize");
            }
        }
        ModelConfig config = ModelConfigs.read(transformerDir.resolve("config.json"));
        if (pooling == null) {
            if (!modules.isEmpty()) {
                throw new ModelFormatException(modulesJson, "has no Pooling module");
            }
            pooling = PoolingConfig.of(PoolingConfig.Mode.MEAN, config.hiddenSize());
        }
        if (pooling.wordEmbeddingDimension() != config.hiddenSize()) {
            throw new ModelFormatException(dir, "pooling word_embedding_dimension " + pooling.wordEmbeddingDimension()
                    + " differs from config.json hidden_size " + config.hiddenSize());
        }
        SentenceBertConfig sbert = readSentenceBert(transformerDir, dir, config);
        SentenceTransformersConfig settings = readSettings(dir.resolve("config_sentence_transformers.json"));
        Path tokenizer = transformerDir.resolve("tokenizer.json");
        Path vocab = transformerDir.resolve("vocab.txt");
        return new ModelDirectory(dir, transformerDir, config, Files.isRegularFile(tokenizer) ? tokenizer : null,
                Files.isRegularFile(vocab) ? vocab : null, modules, pooling, normalize, sbert, settings);
    }

    private static JsonNode readJson(Path file) throws ModelFormatException {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null) {
                throw new ModelFormatException(file, "is empty");
            }
            return n;
        } catch (IOException e) {
            throw new ModelFormatException(file, "not valid JSON: " + e.getMessage());
        }
    }

    private static List<ModuleEntry> readModules(Path file) throws ModelFormatException {
        JsonNode root = readJson(file);
        if (!root.isArray()) {
            throw new ModelFormatException(file, "should hold a JSON array of modules");
        }
        List<ModuleEntry> out = new ArrayList<>();
        for (JsonNode m : root) {
            JsonFields f = new JsonFields(file, m);
            out.add(new ModuleEntry(f.requiredInt("idx"), f.requiredString("name"), f.requiredString("path"),
                    f.requiredString("type")));
        }
        return out;
    }

    private static PoolingConfig readPooling(Path file) throws ModelFormatException {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "no such file (the Pooling module's configuration)");
        }
        return PoolingConfig.read(file, new JsonFields(file, readJson(file)));
    }

    private static SentenceBertConfig readSentenceBert(Path transformerDir, Path dir, ModelConfig config)
            throws ModelFormatException {
        for (Path candidate : List.of(transformerDir.resolve("sentence_bert_config.json"),
                dir.resolve("sentence_bert_config.json"))) {
            if (Files.isRegularFile(candidate)) {
                JsonFields f = new JsonFields(candidate, readJson(candidate));
                return new SentenceBertConfig(f.optionalInt("max_seq_length", config.maxPositionEmbeddings()),
                        f.optionalBoolean("do_lower_case", false));
            }
        }
        return new SentenceBertConfig(config.maxPositionEmbeddings(), false);
    }

    private static SentenceTransformersConfig readSettings(Path file) throws ModelFormatException {
        if (!Files.isRegularFile(file)) {
            return SentenceTransformersConfig.DEFAULT;
        }
        JsonNode root = readJson(file);
        JsonFields f = new JsonFields(file, root);
        Map<String, String> prompts = new LinkedHashMap<>();
        JsonNode p = root.get("prompts");
        if (p != null && !p.isNull()) {
            if (!p.isObject()) {
                throw new ModelFormatException(file, "field \"prompts\" should be an object of strings, found " + p);
            }
            for (var it = p.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new ModelFormatException(file, "prompts." + e.getKey() + " should be a string, found " + e.getValue());
                }
                prompts.put(e.getKey(), e.getValue().textValue());
            }
        }
        String defaultPrompt = f.optionalString("default_prompt_name", null);
        if (defaultPrompt != null && !prompts.containsKey(defaultPrompt)) {
            throw new ModelFormatException(file, "default_prompt_name \"" + defaultPrompt + "\" is not among the prompts " + prompts.keySet());
        }
        Integer truncate = f.has("truncate_dim") ? f.requiredInt("truncate_dim") : null;
        return new SentenceTransformersConfig(prompts, defaultPrompt, f.optionalString("similarity_fn_name", "cosine"), truncate);
    }

    /** A BERT config, or an error naming config.json when the model is another type. */
    public BertConfig bertConfig() throws ModelFormatException {
        if (config instanceof BertConfig b) {
            return b;
        }
        throw new ModelFormatException(transformerDir.resolve("config.json"), "model_type is " + config.modelType() + ", expected bert");
    }
}
